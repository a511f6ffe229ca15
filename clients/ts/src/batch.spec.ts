import { create } from '@bufbuild/protobuf';
import { anyPack, durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, createRouterTransport } from '@connectrpc/connect';
import { del, put, statusToError, toProtoWriteItem } from './batch.js';
import { createClient } from './client.js';
import { isAlreadyExists, isEtagMismatch, SmarterBaseError } from './errors.js';
import { ErrorInfoSchema, RetryInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { StatusSchema, type Status } from './gen/google/rpc/status_pb.js';
import { DocumentService, type BatchDeleteRequest, type BatchWriteRequest } from './gen/smarterbase/v1/document_service_pb.js';

function status(code: Code, message: string, reason: string, metadata: Record<string, string>): Status {
  return create(StatusSchema, {
    code,
    message,
    details: [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason, domain: 'smarterbase.v1', metadata }))],
  });
}

describe('batch item builders', () => {
  it('put() defaults to an upsert and carries createOnly / etag', () => {
    expect(put('a', { x: 1 })).toEqual({ kind: 'put', id: 'a', data: { x: 1 }, createOnly: false, etag: '' });
    expect(put('a', {}, { createOnly: true })).toMatchObject({ createOnly: true, etag: '' });
    expect(put('a', {}, { etag: 'e1' })).toMatchObject({ createOnly: false, etag: 'e1' });
  });

  it('put() refuses createOnly together with etag', () => {
    expect(() => put('a', {}, { createOnly: true, etag: 'e1' })).toThrow(TypeError);
  });

  it('del() carries an optional etag', () => {
    expect(del('a')).toEqual({ kind: 'delete', id: 'a', etag: '' });
    expect(del('a', { etag: 'e9' })).toEqual({ kind: 'delete', id: 'a', etag: 'e9' });
  });

  it('maps builders onto the BatchWriteItem oneof', () => {
    expect(toProtoWriteItem(put('a', { x: 1 }, { createOnly: true }))).toEqual({
      operation: { case: 'put', value: { id: 'a', data: { x: 1 }, createOnly: true, etag: '' } },
    });
    expect(toProtoWriteItem(del('b', { etag: 'e' }))).toEqual({ operation: { case: 'delete', value: { id: 'b', etag: 'e' } } });
  });
});

describe('statusToError', () => {
  it('is undefined for OK or a missing status', () => {
    expect(statusToError(undefined)).toBeUndefined();
    expect(statusToError(create(StatusSchema, { code: 0 }))).toBeUndefined();
  });

  it('decodes code, ErrorInfo reason/metadata and RetryInfo like a failed single call', () => {
    const s = status(Code.Aborted, 'etag is stale', 'ETAG_MISMATCH', { currentEtag: 'e2', expectedEtag: 'e1' });
    s.details.push(anyPack(RetryInfoSchema, create(RetryInfoSchema, { retryDelay: durationFromMs(250) })));
    const err = statusToError(s)!;
    expect(err).toBeInstanceOf(SmarterBaseError);
    expect(err.code).toBe(Code.Aborted);
    expect(err.reason).toBe('ETAG_MISMATCH');
    expect(err.domain).toBe('smarterbase.v1');
    expect(err.metadata).toEqual({ currentEtag: 'e2', expectedEtag: 'e1' });
    expect(err.retryDelayMs).toBe(250);
    expect(err.message).toContain('etag is stale');
    expect(isEtagMismatch(err)).toBe(true);
  });

  it('gives an empty reason for a status without details, and Unknown for an unknown code', () => {
    const err = statusToError(create(StatusSchema, { code: Code.Internal, message: 'boom' }))!;
    expect(err.code).toBe(Code.Internal);
    expect(err.reason).toBe('');
    expect(statusToError(create(StatusSchema, { code: 99, message: '?' }))!.code).toBe(Code.Unknown);
  });
});

describe('batch calls through an in-memory server', () => {
  let seenWrite: BatchWriteRequest | undefined;
  let seenDelete: BatchDeleteRequest | undefined;
  const transport = createRouterTransport((r) =>
    r.service(DocumentService, {
      batchWrite: (req) => {
        seenWrite = req;
        return {
          results: [
            { id: 'a', status: { code: 0 }, document: { collection: req.collection, id: 'a', data: { x: 1 }, etag: 'ea', version: 1n } },
            { id: 'b', status: status(Code.AlreadyExists, 'taken', 'DOCUMENT_ALREADY_EXISTS', { collection: 'c', id: 'b' }) },
            { id: 'c', status: { code: 0 }, deleted: true },
          ],
        };
      },
      batchExists: (req) => ({ results: req.ids.map((id) => ({ id, exists: id !== 'missing', etag: id === 'missing' ? '' : `e-${id}` })) }),
      batchDelete: (req) => {
        seenDelete = req;
        return {
          results: [
            { id: 'a', status: { code: 0 }, deleted: true },
            { id: 'b', status: status(Code.Aborted, 'stale', 'ETAG_MISMATCH', { currentEtag: 'now' }) },
          ],
        };
      },
    }),
  );
  const db = createClient({ transport });

  it('batchWrite sends the items in order and decodes per-item results', async () => {
    const res = await db.batchWrite('c', [put('a', { x: 1 }), put('b', { y: 2 }, { createOnly: true }), del('c')]);
    expect(seenWrite?.writes.map((w) => [w.operation.case, w.operation.value?.id])).toEqual([
      ['put', 'a'],
      ['put', 'b'],
      ['delete', 'c'],
    ]);
    expect(res.map((r) => [r.id, r.ok])).toEqual([
      ['a', true],
      ['b', false],
      ['c', true],
    ]);
    expect(res[0]!.document).toMatchObject({ id: 'a', data: { x: 1 }, etag: 'ea', version: 1 });
    expect(res[1]!.document).toBeUndefined();
    expect(res[1]!.error?.code).toBe(Code.AlreadyExists);
    expect(isAlreadyExists(res[1]!.error)).toBe(true);
    expect(res[1]!.error?.metadata).toEqual({ collection: 'c', id: 'b' });
    expect(res[2]!.deleted).toBe(true);
  });

  it('batchExists keeps request order with missing ids', async () => {
    expect(await db.batchExists('c', ['x', 'missing', 'y'])).toEqual([
      { id: 'x', exists: true, etag: 'e-x' },
      { id: 'missing', exists: false, etag: '' },
      { id: 'y', exists: true, etag: 'e-y' },
    ]);
  });

  it('batchDelete sends etags and decodes a stale one as ETAG_MISMATCH', async () => {
    const res = await db.batchDelete('c', [del('a'), del('b', { etag: 'old' })]);
    expect(seenDelete?.items.map((i) => [i.id, i.etag])).toEqual([
      ['a', ''],
      ['b', 'old'],
    ]);
    expect(res[0]).toMatchObject({ id: 'a', ok: true, deleted: true });
    expect(res[1]).toMatchObject({ id: 'b', ok: false, deleted: false });
    expect(isEtagMismatch(res[1]!.error)).toBe(true);
    expect(res[1]!.error?.metadata.currentEtag).toBe('now');
  });

  it('batchDelete refuses put items', async () => {
    await expect(db.batchDelete('c', [put('a', {}) as never])).rejects.toThrow(TypeError);
  });
});
