import { create } from '@bufbuild/protobuf';
import { UploadRequestSchema, WriteAtRequestSchema } from '../../../gen/smarterbase/v1/object_service_pb.js';
import { int64Field, toProtoObject, uploadMessageOf, writeMessageOf } from './convert-object.js';

describe('ObjectService conversion', () => {
  test('a header message becomes the API header with its precondition and numbers', () => {
    const req = create(UploadRequestSchema, {
      kind: {
        case: 'header',
        value: {
          collection: 'c',
          id: 'x',
          precondition: { condition: { case: 'exists', value: false } },
          expectedSize: 5n,
          metadata: { a: 'b' },
        },
      },
    });
    expect(uploadMessageOf(req)).toEqual({
      header: {
        collection: 'c',
        id: 'x',
        precondition: { exists: false },
        contentType: '',
        metadata: { a: 'b' },
        expectedSize: 5,
        expectedSha256: '',
      },
      finishWrite: false,
    });
  });

  test('data and an empty finishing message', () => {
    const bytes = new Uint8Array([1, 2]);
    expect(uploadMessageOf(create(UploadRequestSchema, { kind: { case: 'data', value: bytes }, finishWrite: true }))).toEqual({
      data: bytes,
      finishWrite: true,
    });
    expect(uploadMessageOf(create(UploadRequestSchema, { finishWrite: true }))).toEqual({ finishWrite: true });
  });

  test('an empty precondition and a negative int64 are INVALID_ARGUMENT', () => {
    const req = create(UploadRequestSchema, { kind: { case: 'header', value: { collection: 'c', id: 'x', precondition: {} } } });
    expect(() => uploadMessageOf(req)).toThrow(expect.objectContaining({ field: 'header.precondition' }) as Error);
    expect(() => int64Field(-1n, 'offset')).toThrow(expect.objectContaining({ field: 'offset' }) as Error);
  });

  test('keys-only objects carry only their names; full ones every field', () => {
    expect(toProtoObject({ collection: 'c', id: 'x' })).toMatchObject({ collection: 'c', id: 'x', etag: '', sizeBytes: 0n });
    const t = new Date('2026-01-01T00:00:00Z');
    const full = {
      collection: 'c',
      id: 'x',
      etag: 'e',
      version: 2,
      sizeBytes: 3,
      sha256: 's',
      contentType: 't',
      metadata: { k: 'v' },
      createTime: t,
      updateTime: t,
    };
    expect(toProtoObject(full)).toMatchObject({
      etag: 'e',
      version: 2n,
      sizeBytes: 3n,
      metadata: { k: 'v' },
      createTime: { seconds: BigInt(t.getTime() / 1000) },
    });
  });

  test('a WriteAt request becomes the API write message: no data when empty, a negative offset INVALID_ARGUMENT', () => {
    const data = new Uint8Array([1]);
    expect(writeMessageOf(create(WriteAtRequestSchema, { uploadId: 'u', writeOffset: 7n, data, finishWrite: true }))).toEqual({
      uploadId: 'u',
      writeOffset: 7,
      data,
      finishWrite: true,
    });
    expect(writeMessageOf(create(WriteAtRequestSchema, { uploadId: 'u' }))).toEqual({ uploadId: 'u', writeOffset: 0, finishWrite: false });
    expect(() => writeMessageOf(create(WriteAtRequestSchema, { uploadId: 'u', writeOffset: -1n }))).toThrow(
      expect.objectContaining({ field: 'write_offset' }) as Error,
    );
  });
});
