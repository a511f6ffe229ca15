import { validateUploadHeader } from './upload-header.js';

const ok = { collection: 'c', id: 'x' };

describe('validateUploadHeader', () => {
  test('applies defaults: octet-stream, no metadata, unknown size and checksum', () => {
    expect(validateUploadHeader({ ...ok, contentType: '', expectedSize: 0, expectedSha256: '' }, 100)).toEqual({
      collection: 'c',
      id: 'x',
      contentType: 'application/octet-stream',
      metadata: {},
    });
  });

  test.each([
    ['id ..', { ...ok, id: '..' }, 'INVALID_ID'],
    ['id a/b', { ...ok, id: 'a/b' }, 'INVALID_ID'],
    ['an empty collection', { ...ok, collection: '' }, 'INVALID_COLLECTION'],
    ['a content type over 256 characters', { ...ok, contentType: 'x'.repeat(257) }, 'INVALID_ARGUMENT'],
    [
      '65 metadata entries',
      { ...ok, metadata: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, ''])) },
      'INVALID_ARGUMENT',
    ],
    ['metadata over 2 KiB', { ...ok, metadata: { k: 'v'.repeat(2048) } }, 'INVALID_ARGUMENT'],
    ['an uppercase SHA-256', { ...ok, expectedSha256: 'A'.repeat(64) }, 'INVALID_ARGUMENT'],
    ['an empty precondition etag', { ...ok, precondition: { etag: '' } }, 'INVALID_ARGUMENT'],
  ])('%s is refused (%s)', (_what, header, reason) => {
    expect(() => validateUploadHeader(header, 100)).toThrow(expect.objectContaining({ kind: 'invalid', reason }) as Error);
  });

  test('an expected size above the maximum is OBJECT_TOO_LARGE with both sizes', () => {
    expect(() => validateUploadHeader({ ...ok, expectedSize: 101 }, 100)).toThrow(
      expect.objectContaining({ reason: 'OBJECT_TOO_LARGE', metadata: { sizeBytes: '101', limitBytes: '100' } }) as Error,
    );
    expect(validateUploadHeader({ ...ok, expectedSize: 100 }, 100).expectedSize).toBe(100);
  });

  test('64 entries of 2 KiB in all are accepted', () => {
    const metadata = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'v'.repeat(29)]));
    expect(Object.keys(validateUploadHeader({ ...ok, metadata }, 100).metadata)).toHaveLength(64);
  });
});
