/**
 * The filesystem store's listing index: for each directory that has been
 * listed, the sorted set of its entry names ('name' for a file, 'name/' for a
 * sub-directory), kept in memory and updated by the store's own puts and
 * deletes. A listing page then seeks to its start and reads only what it
 * returns, instead of reading and sorting whole directories.
 *
 * Nothing is persisted: a directory is read from disk (readdir + sort) the
 * first time a listing needs it after open(), so a crash or a restart can
 * neither lose nor invent keys. Sound because one process and one store
 * instance own the root (docs/storage-adapters.md).
 *
 * A load racing with writes: the directory is marked 'loading' before readdir
 * starts, and every change the store makes while it is loading is logged and
 * replayed on the readdir result. A change is noted right after its file
 * operation succeeded, so a change the readdir missed is in the log, and
 * replaying an add or a delete the readdir already saw changes nothing.
 *
 * Memory is bounded by `maxEntries` names over all directories (the least
 * recently listed directories are dropped first); a directory larger than the
 * bound is never kept and is read from disk for every page, as before.
 */
import { promises as fs } from 'node:fs';
import { compareUtf8, sortsLikeUtf16 } from '../../common/utf8-order.js';
import { FS_TMP_DIR } from './key-path.js';
import { SortedNames } from './sorted-names.js';

/** The default bound of the listing index: 2,000,000 names (~100 bytes of heap each for short ids, so ~200 MiB at most). */
export const DEFAULT_LIST_INDEX_ENTRIES = 2_000_000;

/** One change to a directory logged while it loads. */
interface LoggedChange {
  readonly add: boolean;
  readonly name: string;
}

/** A directory's index: being read from disk, or in memory. */
type DirState =
  | { readonly kind: 'loading'; readonly done: Promise<SortedNames>; readonly log: LoggedChange[] }
  | { readonly kind: 'ready'; readonly names: SortedNames; weight: number };

/** Counters for tests and diagnostics. */
export interface ListIndexStats {
  /** Directories read from disk so far. */
  readonly loads: number;
  /** Directories held in memory now. */
  readonly directories: number;
  /** Names held in memory now (the bounded quantity). */
  readonly entries: number;
}

/** The in-memory listing index of one filesystem store root. */
export class ListIndex {
  /** By directory key ('' for the root, else 'a/b/'); Map order is least recently used first. */
  private readonly dirs = new Map<string, DirState>();
  private total = 0;
  private loads = 0;

  constructor(
    /** The absolute root directory. */
    private readonly root: string,
    /** The most names kept over all directories; 0 keeps none (every page reads its directories). */
    private readonly maxEntries: number = DEFAULT_LIST_INDEX_ENTRIES,
  ) {}

  /**
   * The sorted entry names of directory `dirKey` ('' or ending in '/'); an
   * empty set when it does not exist. The returned set may be a snapshot that
   * is no longer updated (dropped from memory): callers re-seek by name and
   * accept that changes made during a listing may or may not be seen.
   */
  async names(dirKey: string): Promise<SortedNames> {
    const state = this.dirs.get(dirKey);
    if (state?.kind === 'ready') {
      this.dirs.delete(dirKey); // most recently used
      this.dirs.set(dirKey, state);
      return state.names;
    }
    if (state?.kind === 'loading') return state.done;
    const log: LoggedChange[] = [];
    const done = this.load(dirKey, log);
    this.dirs.set(dirKey, { kind: 'loading', done, log });
    return done;
  }

  /** Notes that the file of `key` now exists (and so does each of its parent directories). */
  noteAdded(key: string): void {
    let start = 0;
    for (let slash = key.indexOf('/'); slash !== -1; slash = key.indexOf('/', start)) {
      this.change(key.slice(0, start), true, key.slice(start, slash + 1));
      start = slash + 1;
    }
    this.change(key.slice(0, start), true, key.slice(start));
  }

  /** Notes that the file of `key` is gone (its directories stay: the store never removes them). */
  noteDeleted(key: string): void {
    const slash = key.lastIndexOf('/');
    this.change(key.slice(0, slash + 1), false, key.slice(slash + 1));
  }

  /** Drops everything (close). */
  clear(): void {
    this.dirs.clear();
    this.total = 0;
  }

  /** Counters for tests and diagnostics. */
  get stats(): ListIndexStats {
    return { loads: this.loads, directories: [...this.dirs.values()].filter((s) => s.kind === 'ready').length, entries: this.total };
  }

  private change(dirKey: string, add: boolean, name: string): void {
    const state = this.dirs.get(dirKey);
    if (state === undefined) return; // not in memory: the next load reads the disk, which has the change
    if (state.kind === 'loading') {
      state.log.push({ add, name });
      return;
    }
    if (!(add ? state.names.add(name) : state.names.delete(name))) return;
    state.weight += add ? 1 : -1;
    this.total += add ? 1 : -1;
    this.evict();
  }

  private async load(dirKey: string, log: LoggedChange[]): Promise<SortedNames> {
    let names: SortedNames;
    try {
      names = SortedNames.fromSorted(await readSorted(this.root, dirKey));
    } catch (e) {
      this.dirs.delete(dirKey);
      throw e;
    } finally {
      this.loads++;
    }
    for (const { add, name } of log) {
      if (add) names.add(name);
      else names.delete(name);
    }
    const weight = names.size + 1; // + 1: an empty directory still costs a map entry
    if (weight <= this.maxEntries) {
      this.dirs.delete(dirKey);
      this.dirs.set(dirKey, { kind: 'ready', names, weight });
      this.total += weight;
      this.evict();
    } else {
      this.dirs.delete(dirKey); // too large to keep: this page uses the snapshot
    }
    return names;
  }

  /** Drops least recently used ready directories until the total fits. */
  private evict(): void {
    for (const [dirKey, state] of this.dirs) {
      if (this.total <= this.maxEntries) return;
      if (state.kind !== 'ready') continue;
      this.dirs.delete(dirKey);
      this.total -= state.weight;
    }
  }
}

/** The entry names of a directory, ascending in UTF-8 byte order; [] when it does not exist. */
export async function readSorted(root: string, dirKey: string): Promise<string[]> {
  let dirents;
  try {
    dirents = await fs.readdir(dirKey === '' ? root : `${root}/${dirKey.slice(0, -1)}`, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
  const names: string[] = [];
  let plain = true;
  for (const d of dirents) {
    if (dirKey === '' && d.name === FS_TMP_DIR) continue;
    if (d.isDirectory()) names.push(`${d.name}/`);
    else if (d.isFile()) names.push(d.name);
    else continue;
    plain &&= sortsLikeUtf16(d.name);
  }
  // Without units ≥ U+D800, the engine's native string sort is already UTF-8 order (and much faster).
  return plain ? names.sort() : names.sort(compareUtf8);
}
