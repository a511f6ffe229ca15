import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { create, toJson } from '@bufbuild/protobuf';
import { Code } from '@connectrpc/connect';
import { DbError, invalid } from '../../../errors/db-error.js';
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from '../../../gen/google/rpc/error_details_pb.js';
import { BatchWriteItemSchema, BatchWriteResponseSchema, BatchWriteResultSchema } from '../../../gen/smarterbase/v1/document_service_pb.js';
import { statusOfError, toBatchDeleteItems, toBatchWriteOps, toBatchWriteResult } from './convert-batch.js';
import { ERROR_DETAIL_REGISTRY } from '../../error-table.js';

describe('convert-batch', () => {
  test("a failed item's Status has the single call's code, message, ErrorInfo and BadRequest", () => {
    const s = statusOfError(invalid('INVALID_ID', 'id', 'bad id'));
    expect([s.code, s.message]).toEqual([Code.InvalidArgument, 'bad id']);
    expect(anyUnpack(s.details[0]!, ErrorInfoSchema)).toMatchObject({
      reason: 'INVALID_ID',
      domain: 'smarterbase.v1',
      metadata: { field: 'id' },
    });
    expect(anyUnpack(s.details[1]!, BadRequestSchema)?.fieldViolations[0]).toMatchObject({ field: 'id', reason: 'INVALID_ID' });
    const busy = statusOfError(new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'down', { retryDelayMs: 1500 }));
    expect(busy.code).toBe(Code.Unavailable);
    expect(anyUnpack(busy.details[1]!, RetryInfoSchema)?.retryDelay).toMatchObject({ seconds: 1n, nanos: 500_000_000 });
  });

  test("a failed item's backend cause goes to the logger, never into its Status", () => {
    const logged: unknown[] = [];
    const err = new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'storage unavailable', {
      cause: new Error('ECONNREFUSED 10.0.0.7:9000'),
    });
    const result = toBatchWriteResult({ id: 'a', error: err }, (e) => logged.push(e));
    expect(logged).toEqual([err]);
    expect(
      JSON.stringify(toJson(BatchWriteResultSchema, create(BatchWriteResultSchema, result), { registry: ERROR_DETAIL_REGISTRY })),
    ).not.toContain('ECONNREFUSED');
    expect(logged.length).toBe(1);
    statusOfError(invalid('INVALID_ID', 'id', 'bad id'), (e) => logged.push(e));
    expect(logged.length).toBe(1); // client errors are not logged
  });

  test('requests become engine ops; empty etags are absent; an empty item fails the request', () => {
    const w = (v: Parameters<typeof create<typeof BatchWriteItemSchema>>[1]) => create(BatchWriteItemSchema, v);
    expect(
      toBatchWriteOps([
        w({ operation: { case: 'put', value: { id: 'a', data: { x: 1 } } } }),
        w({ operation: { case: 'put', value: { id: 'b', data: {}, createOnly: true } } }),
        w({ operation: { case: 'put', value: { id: 'c', data: {}, etag: 'e' } } }),
        w({ operation: { case: 'delete', value: { id: 'd' } } }),
        w({ operation: { case: 'delete', value: { id: 'e', etag: 'f' } } }),
      ]),
    ).toEqual([
      { kind: 'put', id: 'a', data: { x: 1 } },
      { kind: 'put', id: 'b', data: {}, createOnly: true },
      { kind: 'put', id: 'c', data: {}, etag: 'e' },
      { kind: 'delete', id: 'd' },
      { kind: 'delete', id: 'e', etag: 'f' },
    ]);
    expect(() => toBatchWriteOps([w({ operation: { case: 'delete', value: { id: 'd' } } }), w({})])).toThrow(
      expect.objectContaining({ reason: 'INVALID_ARGUMENT', field: 'writes[1]' }),
    );
    expect(
      toBatchDeleteItems([
        { id: 'a', etag: '' },
        { id: 'b', etag: 'x' },
      ] as never),
    ).toEqual([{ id: 'a' }, { id: 'b', etag: 'x' }]);
  });

  test('results: OK status with the document or deleted flag; JSON needs ERROR_DETAIL_REGISTRY for the details', () => {
    const ok = toBatchWriteResult({ id: 'a', deleted: true });
    expect([ok.status?.code, ok.deleted, ok.document]).toEqual([0, true, undefined]);
    const failed = create(BatchWriteResponseSchema, {
      results: [toBatchWriteResult({ id: 'b', error: new DbError('not_found', 'DOCUMENT_NOT_FOUND', 'gone') })],
    });
    expect(() => toJson(BatchWriteResponseSchema, failed)).toThrow(/registry/);
    const json = toJson(BatchWriteResponseSchema, failed, { registry: ERROR_DETAIL_REGISTRY }) as {
      results: { status: { details: unknown[] } }[];
    };
    expect(json.results[0]!.status.details[0]).toMatchObject({
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'DOCUMENT_NOT_FOUND',
    });
  });
});
