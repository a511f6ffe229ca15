/**
 * Lists the keys of a filesystem store in ascending UTF-8 byte order by an
 * ordered depth-first walk over the listing index (list-index.ts): in each
 * directory it seeks to the first name that can be on the page (after
 * startAfter, at or after the prefix) and stops one key past the limit, so a
 * page costs what it returns, not the size of the directories it crosses.
 */
import { throwIfAborted } from '../../common/abort.js';
import { compareUtf8 } from '../../common/utf8-order.js';
import type { ListOptions, ListPage } from '../blob-store.js';
import type { ListIndex } from './list-index.js';

/** Keys under `options.prefix`; missing directories mean no keys. */
export async function listKeys(index: ListIndex, options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
  const { prefix, startAfter, limit } = options;
  const startDir = prefix.slice(0, prefix.lastIndexOf('/') + 1);
  const dirSegments = startDir === '' ? [] : startDir.slice(0, -1).split('/');
  if (dirSegments.some((s) => s === '' || s === '.' || s === '..' || s.includes('\0'))) {
    return { keys: [], isTruncated: false }; // no valid key lies under such a prefix
  }
  const found: string[] = [];

  /** Walks directory `dirKey`, whose names must start with `rel` to be under the prefix. */
  const walk = async (dirKey: string, rel: string): Promise<void> => {
    throwIfAborted(signal);
    const names = await index.names(dirKey);
    let cur: string | undefined;
    if (startAfter === undefined || compareUtf8(startAfter, dirKey) < 0) {
      cur = names.ceiling(rel);
    } else if (!startAfter.startsWith(dirKey)) {
      return; // the whole directory sorts at or before startAfter
    } else {
      const after = startAfter.slice(dirKey.length);
      // The sub-directory holding startAfter (if any) sorts just before the names after it: walk it first.
      const slash = after.indexOf('/');
      const holder = slash === -1 ? undefined : after.slice(0, slash + 1);
      if (holder !== undefined && holder.startsWith(rel) && names.has(holder)) await walk(dirKey + holder, '');
      cur = compareUtf8(after, rel) >= 0 ? names.ceiling(after, true) : names.ceiling(rel);
    }
    while (cur !== undefined && cur.startsWith(rel) && found.length <= limit) {
      if (cur.endsWith('/')) await walk(dirKey + cur, '');
      else found.push(dirKey + cur);
      cur = names.ceiling(cur, true); // by name, not position: names may change while we walk
    }
  };

  await walk(startDir, prefix.slice(startDir.length));
  return { keys: found.slice(0, limit), isTruncated: found.length > limit };
}
