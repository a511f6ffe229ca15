import { fromBinary } from '@bufbuild/protobuf';
import { BatchGetRequestSchema, PutRequestSchema } from '../server/src/gen/smarterbase/v1/document_service_pb.js';
import { batchGetBytes, envelope, putStructBytes } from './decode-stall-payloads.js';

describe('decode-stall payloads', () => {
  test('batchGetBytes decodes to the ids it promises, 16 bytes each', () => {
    const bytes = batchGetBytes('c', 1000);
    const req = fromBinary(BatchGetRequestSchema, bytes);
    expect(req.collection).toBe('c');
    expect(req.ids).toHaveLength(1000);
    expect(req.ids[999]).toBe('id-00000000999');
    expect(bytes.length).toBe(3 + 16 * 1000);
  });

  test('putStructBytes decodes to a Struct of null keys, 15 bytes each', () => {
    const bytes = putStructBytes('c', 'x', 200);
    const req = fromBinary(PutRequestSchema, bytes);
    expect(req.id).toBe('x');
    expect(Object.keys(req.data ?? {})).toHaveLength(200);
    expect(req.data?.k000199).toBeNull();
  });

  test('300,000 elements stay under the default 5 MiB message limit', () => {
    expect(batchGetBytes('c', 300_000).length).toBeLessThan(5 * 1024 * 1024);
    expect(putStructBytes('c', 'x', 300_000).length).toBeLessThan(5 * 1024 * 1024);
  });

  test('envelope prefixes flags 0 and the big-endian length', () => {
    expect(Array.from(envelope(Uint8Array.of(7, 8)))).toEqual([0, 0, 0, 0, 2, 7, 8]);
  });
});
