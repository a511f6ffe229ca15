/**
 * Maps BlobStore keys to file paths under a root, refusing anything that
 * could escape the root or that the filesystem cannot name.
 */
import { resolve, sep } from 'node:path';
import { DbError } from '../../errors/db-error.js';

/** The hidden directory under the root that holds temp files; never a key's first segment. */
export const FS_TMP_DIR = '.sb-tmp';

/** The longest file name most filesystems accept, in bytes. */
const MAX_SEGMENT_BYTES = 255;

/**
 * The absolute path of `key` under `root`. Throws DbError('invalid', 'INVALID_ID')
 * for an empty segment, '.', '..', a NUL, a segment over 255 UTF-8 bytes, the
 * reserved temp directory name as first segment, or a path outside the root.
 */
export function keyToPath(root: string, key: string): string {
  const segments = key.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') invalidKey(key, 'has an empty, "." or ".." segment');
    if (segment.includes('\0')) invalidKey(key, 'contains NUL');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) invalidKey(key, 'has a segment over 255 bytes');
  }
  if (segments[0] === FS_TMP_DIR) invalidKey(key, `uses the reserved name ${FS_TMP_DIR}`);
  const path = resolve(root, ...segments);
  if (
    !path.startsWith(root + sep) ||
    path
      .slice(root.length + 1)
      .split(sep)
      .join('/') !== key
  ) {
    invalidKey(key, 'does not map to a path under the root');
  }
  return path;
}

function invalidKey(key: string, why: string): never {
  throw new DbError('invalid', 'INVALID_ID', `storage key ${JSON.stringify(key)} ${why}`, {
    field: 'id',
    metadata: { field: 'id' },
  });
}
