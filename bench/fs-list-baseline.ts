/**
 * The "before" of bench/fs-list-bench.ts: the filesystem store's listing as it
 * was up to commit ce64a2c (server/src/storage/filesystem/list-keys.ts), kept
 * verbatim so the benchmark compares both in one run. Every page reads and
 * sorts every directory it enters. Not used by the server.
 */
import type { Dirent } from 'node:fs';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { throwIfAborted } from '../server/src/common/abort.js';
import type { ListOptions, ListPage } from '../server/src/storage/blob-store.js';
import { FS_TMP_DIR } from '../server/src/storage/filesystem/key-path.js';

/** One directory entry with the part of its key used for ordering. */
interface Entry {
  readonly name: string;
  readonly isDir: boolean;
  /** name, plus '/' for a directory: its keys all start with this. */
  readonly order: Buffer;
}

/** Keys under `options.prefix` in `root`, reading and sorting each directory entered; missing directories mean no keys. */
export async function listKeysReaddirSort(root: string, options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
  const { prefix, startAfter, limit } = options;
  const dirKey = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const dirSegments = dirKey === '' ? [] : dirKey.slice(0, -1).split('/');
  if (dirSegments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) {
    return { keys: [], isTruncated: false }; // no valid key lies under such a prefix
  }
  const after = startAfter === undefined ? undefined : Buffer.from(startAfter, 'utf8');
  const found: string[] = [];

  const walk = async (dirPath: string, keyPrefix: string): Promise<void> => {
    throwIfAborted(signal);
    let dirents: Dirent[];
    try {
      dirents = await fs.readdir(dirPath, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw e;
    }
    const entries: Entry[] = dirents
      .filter((d) => (d.isDirectory() || d.isFile()) && !(keyPrefix === '' && d.name === FS_TMP_DIR))
      .map((d) => ({ name: d.name, isDir: d.isDirectory(), order: Buffer.from(d.name + (d.isDirectory() ? '/' : ''), 'utf8') }))
      .sort((a, b) => Buffer.compare(a.order, b.order));
    for (const entry of entries) {
      if (found.length > limit) return;
      const full = keyPrefix + entry.name + (entry.isDir ? '/' : '');
      if (!full.startsWith(prefix)) continue;
      if (after !== undefined) {
        const cmp = Buffer.compare(Buffer.from(full, 'utf8'), after);
        if (entry.isDir ? cmp < 0 && !startAfter!.startsWith(full) : cmp <= 0) continue;
      }
      if (entry.isDir) await walk(join(dirPath, entry.name), full);
      else found.push(full);
    }
  };

  await walk(dirSegments.length === 0 ? root : join(root, ...dirSegments), dirKey);
  return { keys: found.slice(0, limit), isTruncated: found.length > limit };
}
