import { create, toBinary } from '@bufbuild/protobuf';
import { WriteAtRequestSchema } from '../gen/smarterbase/v1/object_service_pb.js';
import { decodeTask } from './decode-worker.js';

describe('decode worker', () => {
  test('knows ObjectService requests: a large WriteAt (the only unary request with megabytes of data) decodes', () => {
    const req = create(WriteAtRequestSchema, { uploadId: 'u', writeOffset: 5n, data: new Uint8Array(2 * 1024 * 1024).fill(3) });
    const out = decodeTask({
      typeName: WriteAtRequestSchema.typeName,
      bytes: toBinary(WriteAtRequestSchema, req),
      maxDocumentBytes: 1024,
      wantMessage: true,
    });
    expect(out.ok).toBe(true);
    expect(out.ok && (out.message as { writeOffset: bigint }).writeOffset).toBe(5n);
  });

  test('an unknown type is INTERNAL, not a crash', () => {
    expect(decodeTask({ typeName: 'x.Nope', bytes: new Uint8Array(), maxDocumentBytes: 1, wantMessage: true })).toMatchObject({
      ok: false,
    });
  });
});
