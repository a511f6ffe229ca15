/** Reading the filesystem ObjectStore: a body in chunks from an open file, and every key of the tree. */
import { promises as fs } from 'node:fs';
import { throwIfAborted } from '../../../common/abort.js';
import { DbError } from '../../../errors/db-error.js';
import { RESERVED_PREFIX, isMissing } from './fs-io.js';

/** Bytes per chunk a read yields. */
const READ_CHUNK = 256 * 1024;

/** Reads [start, start + length) of the open file in chunks; closes the handle when done, failed or abandoned. */
export async function* readChunks(
  handle: fs.FileHandle,
  start: number,
  length: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  try {
    for (let at = start; at < start + length;) {
      throwIfAborted(signal);
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, start + length - at));
      const { bytesRead } = await handle.read(buf, 0, buf.byteLength, at);
      if (bytesRead === 0) throw new DbError('internal', 'INTERNAL_ERROR', 'object file ended early');
      at += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** Every object key under `dir` (relative `rel`), skipping the store's reserved directories at the top. */
export async function walk(root: string, rel: string): Promise<string[]> {
  const keys: string[] = [];
  let entries;
  try {
    entries = await fs.readdir(rel === '' ? root : `${root}/${rel}`, { withFileTypes: true });
  } catch (e) {
    if (isMissing(e)) return keys;
    throw e;
  }
  for (const entry of entries) {
    if (rel === '' && entry.name.startsWith(RESERVED_PREFIX)) continue;
    const key = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) keys.push(...(await walk(root, key)));
    else if (entry.isFile()) keys.push(key);
  }
  return keys;
}
