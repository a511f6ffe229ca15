import { create, toBinary } from '@bufbuild/protobuf';
import { DbError } from '../errors/db-error.js';
import { CommitRequestSchema, PutRequestSchema } from '../gen/smarterbase/v1/document_service_pb.js';
import { checkDocumentSizes, decodeChecked } from './decode-check.js';
import { RequestDecoder } from './decode-pool.js';

function caught(f: () => unknown): DbError {
  try {
    f();
  } catch (e) {
    if (e instanceof DbError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

const data = (bytes: number): Record<string, string> => ({ s: 'x'.repeat(bytes) });

describe('checkDocumentSizes', () => {
  it('passes documents whose JSON is at most the limit', () => {
    const json = JSON.stringify(data(90)).length;
    expect(() =>
      checkDocumentSizes(PutRequestSchema, create(PutRequestSchema, { collection: 'c', id: 'a', data: data(90) }) as never, json),
    ).not.toThrow();
  });

  it('refuses a Put whose data is over the limit as DOCUMENT_TOO_LARGE, naming the field and both sizes', () => {
    const json = JSON.stringify(data(91)).length;
    const e = caught(() =>
      checkDocumentSizes(PutRequestSchema, create(PutRequestSchema, { collection: 'c', id: 'a', data: data(91) }) as never, json - 1),
    );
    expect([e.kind, e.reason, e.field]).toEqual(['invalid', 'DOCUMENT_TOO_LARGE', 'data']);
    expect(e.metadata).toEqual({ field: 'data', sizeBytes: String(json), limitBytes: String(json - 1) });
  });

  it('finds a document inside a repeated field and a oneof (Commit writes[i].set.data)', () => {
    const req = create(CommitRequestSchema, {
      writes: [
        { collection: 'c', id: 'a', operation: { case: 'set', value: { data: data(10) } } },
        { collection: 'c', id: 'b', operation: { case: 'delete', value: {} } },
        { collection: 'c', id: 'c', operation: { case: 'set', value: { data: data(500) } } },
      ],
    });
    const e = caught(() => checkDocumentSizes(CommitRequestSchema, req as never, 100));
    expect([e.reason, e.field]).toEqual(['DOCUMENT_TOO_LARGE', 'writes[2].set.data']);
  });

  it('counts bytes of UTF-8, not characters', () => {
    const req = create(PutRequestSchema, { collection: 'c', id: 'a', data: { s: 'é'.repeat(50) } });
    expect(caught(() => checkDocumentSizes(PutRequestSchema, req as never, 100)).metadata.sizeBytes).toBe(
      String(JSON.stringify({ s: 'é'.repeat(50) }).length + 50),
    );
  });
});

describe('decodeChecked', () => {
  it('decodes, then sizes', () => {
    const bytes = toBinary(PutRequestSchema, create(PutRequestSchema, { collection: 'c', id: 'a', data: data(100) }));
    expect(decodeChecked(PutRequestSchema, bytes, 1000).data).toEqual(data(100));
    expect(caught(() => decodeChecked(PutRequestSchema, bytes, 50)).reason).toBe('DOCUMENT_TOO_LARGE');
  });

  it('refuses bytes that do not decode as MALFORMED_REQUEST', () => {
    expect(caught(() => decodeChecked(PutRequestSchema, Uint8Array.from([0x0a, 0x02, 0xff, 0xfe]), 1000)).reason).toBe('MALFORMED_REQUEST');
  });
});

describe('RequestDecoder', () => {
  it('decodes inline where the compiled worker does not exist (the sources under ts-jest)', async () => {
    const decoder = new RequestDecoder({ offloadBytes: 1, workers: 1, maxQueued: 1, maxDocumentBytes: 10 });
    expect(decoder.offloading).toBe(false);
    const bytes = toBinary(PutRequestSchema, create(PutRequestSchema, { collection: 'c', id: 'a', data: data(100) }));
    // Inline decoding leaves the size to the engine, as for every small request.
    expect((await decoder.decode(PutRequestSchema, bytes)).data).toEqual(data(100));
    await expect(decoder.check(PutRequestSchema, bytes)).resolves.toBeUndefined();
    await decoder.close();
  });
});
