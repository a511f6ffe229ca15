/** Small file helpers of the filesystem ObjectStore: durable writes, key paths, error mapping. */
import { promises as fs } from 'node:fs';
import { DbError } from '../../../errors/db-error.js';
import { keyToPath } from '../../filesystem/key-path.js';

/** First-segment prefix reserved for the store's own directories (.sb-tmp, .sb-uploads). */
export const RESERVED_PREFIX = '.sb-';

/** Temp files, emptied at open. */
export const TMP_DIR = '.sb-tmp';

/** Open uploads, one directory each. */
export const UPLOADS_DIR = '.sb-uploads';

/** The path of `key`'s object file; 'invalid' for keys the filesystem cannot hold or that use a reserved name. */
export function objectPath(root: string, key: string): string {
  if (key.startsWith(RESERVED_PREFIX)) {
    throw new DbError('invalid', 'INVALID_ID', `object key ${JSON.stringify(key)} uses the reserved prefix ${RESERVED_PREFIX}`, {
      field: 'id',
      metadata: { field: 'id' },
    });
  }
  return keyToPath(root, key);
}

/** The directory part of a path. */
export function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

/** fsyncs a directory (makes its entries durable). */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** True for the errno codes that mean "no such file" (including a file where a directory was expected). */
export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}

/** An I/O failure as the port reports it: 'unavailable', cause kept. */
export function ioError(e: unknown, message: string): DbError {
  if (e instanceof DbError) return e;
  return new DbError('unavailable', 'BACKEND_UNAVAILABLE', message, { cause: e });
}
