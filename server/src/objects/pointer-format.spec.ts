import { decodePointer, encodePointer, objectMetaOf, type ObjectPointer } from './pointer-format.js';

const pointer: ObjectPointer = {
  version: 2,
  createTime: new Date('2026-01-01T00:00:00.000Z'),
  updateTime: new Date('2026-01-02T00:00:00.000Z'),
  writeId: 'w1',
  data: '_objdata/c/x/0193',
  size: 42,
  sha256: 'a'.repeat(64),
  contentType: 'application/zip',
  metadata: { k: 'v' },
};

describe('pointer format', () => {
  test('round-trips every field through the ADR 0013 envelope', () => {
    const bytes = encodePointer(pointer);
    const json = JSON.parse(Buffer.from(bytes).toString('utf8')) as {
      smarterbase: { kind: string; schemaVersion: number };
      object: { data: string };
    };
    expect(json.smarterbase).toMatchObject({ kind: 'object', schemaVersion: 1 });
    expect(json.object.data).toBe('_objdata/c/x/0193');
    expect(decodePointer(bytes, 'objects/c/x')).toEqual(pointer);
  });

  test('a write id makes two otherwise equal pointers differ', () => {
    expect(Buffer.from(encodePointer(pointer)).equals(Buffer.from(encodePointer({ ...pointer, writeId: 'w2' })))).toBe(false);
  });

  test.each([
    ['not JSON', Buffer.from('{')],
    ['a document envelope', Buffer.from(JSON.stringify({ smarterbase: { kind: 'document', schemaVersion: 1 }, object: {} }))],
    [
      'a missing size',
      Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(encodePointer(pointer)).toString()), object: { data: 'd' } })),
    ],
  ])('%s is OBJECT_CORRUPT', (_what, bytes) => {
    expect(() => decodePointer(bytes, 'objects/c/x')).toThrow(
      expect.objectContaining({ reason: 'OBJECT_CORRUPT', kind: 'internal' }) as Error,
    );
  });

  test('objectMetaOf carries the etag and the pointer fields', () => {
    expect(objectMetaOf('c', 'x', 'e1', pointer)).toEqual({
      collection: 'c',
      id: 'x',
      etag: 'e1',
      version: 2,
      sizeBytes: 42,
      sha256: 'a'.repeat(64),
      contentType: 'application/zip',
      metadata: { k: 'v' },
      createTime: pointer.createTime,
      updateTime: pointer.updateTime,
    });
  });
});
