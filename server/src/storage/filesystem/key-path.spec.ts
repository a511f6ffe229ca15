import { keyToPath, FS_TMP_DIR } from './key-path.js';

describe('keyToPath', () => {
  const root = '/data/sb';

  it('maps each segment to a path segment under the root', () => {
    expect(keyToPath(root, 'docs/users/a b:c~d.e-f')).toBe('/data/sb/docs/users/a b:c~d.e-f');
    expect(keyToPath(root, 'docs/users/日本')).toBe('/data/sb/docs/users/日本');
  });

  it.each([
    ['..', 'a parent segment'],
    ['docs/../../etc/passwd', 'an escape'],
    ['docs/./x', 'a dot segment'],
    ['docs//x', 'an empty segment'],
    ['/abs', 'a leading slash'],
    ['docs/x/', 'a trailing slash'],
    ['docs/x\0y', 'a NUL'],
    [`docs/${'é'.repeat(128)}`, 'a segment of 256 bytes'],
    [`${FS_TMP_DIR}/x`, 'the reserved temp dir'],
  ])('rejects %j (%s) with invalid INVALID_ID', (key) => {
    expect(() => keyToPath(root, key)).toThrow(expect.objectContaining({ kind: 'invalid', reason: 'INVALID_ID' }));
  });

  it('accepts a 255-byte segment', () => {
    expect(keyToPath(root, `d/${'a'.repeat(255)}`)).toBe(`/data/sb/d/${'a'.repeat(255)}`);
  });
});
