import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { resolve } from 'node:path';
import { DbError } from '../../errors/db-error.js';
import { throwIfAborted } from '../../common/abort.js';
import { StripedLock } from '../striped-lock.js';
import { LruCache } from '../lru-cache.js';
import {
  ConditionFailedError,
  type Blob,
  type BlobMeta,
  type BlobStore,
  type ListOptions,
  type ListPage,
  type WriteCondition,
} from '../blob-store.js';
import { FS_TMP_DIR, keyToPath } from './key-path.js';
import { validateListLimit } from '../list-limit.js';
import { listKeys } from './list-keys.js';
import { DEFAULT_LIST_INDEX_ENTRIES, ListIndex, type ListIndexStats } from './list-index.js';

/** Options of FilesystemBlobStore.open. */
export interface FilesystemBlobStoreOptions {
  /** The directory holding the objects; created if missing. */
  readonly root: string;
  /** How many in-process key mutexes to stripe over (default 256). */
  readonly lockStripes?: number;
  /**
   * Bytes of object bodies kept in the in-memory read cache (LRU), default
   * 64 MiB (67108864); 0 disables it. Sound only because one process and one
   * store instance own the root (see the class comment).
   */
  readonly readCacheBytes?: number;
  /**
   * Directory entry names kept in the in-memory listing index (list-index.ts),
   * default 2,000,000; 0 disables it. A directory with more entries than this
   * is read and sorted from disk for every listing page.
   */
  readonly listIndexEntries?: number;
}

/** The default size of the read cache: 64 MiB. */
export const DEFAULT_READ_CACHE_BYTES = 64 * 1024 * 1024;

/** Bookkeeping bytes counted per cached entry besides its body and key. */
const ENTRY_OVERHEAD_BYTES = 96;

/** The etag of a body: the first 32 hex characters of its SHA-256. */
export function filesystemEtag(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex').slice(0, 32);
}

/**
 * A BlobStore over a local directory, for one process (development, tests,
 * single-node deployments). Key 'a/b/c' is the file <root>/a/b/c.
 *
 * Writes are atomic and durable: the body goes to a temp file under
 * <root>/.sb-tmp, is fsynced, renamed into place, and the directory fsynced.
 * Conditions are exact under concurrency WITHIN THIS PROCESS: every write
 * (conditional or not) runs under a striped per-key async mutex. Two processes
 * sharing one root are not supported.
 *
 * Reads are served from a bounded LRU cache of {body, etag}. Every change of
 * an object goes through this instance under the key's stripe lock, which
 * updates (put) or drops (delete, failed write) the entry before releasing it;
 * a cache miss reads the file under the same lock before filling the entry. So
 * a read that starts after a write completed never sees an older version, and
 * no stale read can refill the cache behind a newer write. A key cannot be both an object and a
 * "directory" of other keys ('a' and 'a/b'); such a write is rejected as
 * DbError('invalid', 'INVALID_ID').
 *
 * Listing seeks in an in-memory sorted index of each listed directory's
 * names (list-index.ts), read from disk on first use after open() and kept
 * up to date by this instance's puts and deletes, so a page costs what it
 * returns. Nothing of it is persisted: a restart reads the directories again.
 */
export class FilesystemBlobStore implements BlobStore {
  private readonly locks: StripedLock;
  private readonly cache: LruCache<Blob>;
  private readonly index: ListIndex;
  private closed = false;

  private constructor(
    /** The absolute root directory. */
    readonly root: string,
    lockStripes: number,
    readCacheBytes: number,
    listIndexEntries: number,
  ) {
    this.index = new ListIndex(root, listIndexEntries);
    this.locks = new StripedLock(lockStripes);
    this.cache = new LruCache<Blob>({
      maxWeight: readCacheBytes,
      weigh: (key, blob) => blob.body.byteLength + key.length * 2 + ENTRY_OVERHEAD_BYTES,
    });
  }

  /** Creates the root (and its temp dir) if missing and returns a store over it. */
  static async open(options: FilesystemBlobStoreOptions): Promise<FilesystemBlobStore> {
    const root = resolve(options.root);
    try {
      await fs.mkdir(root, { recursive: true });
      await fs.rm(`${root}/${FS_TMP_DIR}`, { recursive: true, force: true });
      await fs.mkdir(`${root}/${FS_TMP_DIR}`, { recursive: true });
    } catch (e) {
      throw ioError(e, `cannot open filesystem store at ${root}`);
    }
    return new FilesystemBlobStore(
      root,
      options.lockStripes ?? 256,
      options.readCacheBytes ?? DEFAULT_READ_CACHE_BYTES,
      options.listIndexEntries ?? DEFAULT_LIST_INDEX_ENTRIES,
    );
  }

  /** The object, or undefined when the key does not exist. */
  async get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    this.check(signal);
    const cached = this.cache.get(key);
    if (cached !== undefined) return { body: copyOf(cached.body), etag: cached.etag };
    // A miss reads under the key's lock, so that it cannot cache a version older than a concurrent write's.
    const blob = await this.locks.withLock(key, () => this.readCached(keyToPath(this.root, key), key), signal);
    return blob === undefined ? undefined : { body: copyOf(blob.body), etag: blob.etag };
  }

  /** Entries and body bytes (plus bookkeeping) held by the read cache. */
  get readCache(): { readonly entries: number; readonly bytes: number } {
    return { entries: this.cache.size, bytes: this.cache.weight };
  }

  /** The object's etag (a hash of its bytes), or undefined when the key does not exist. */
  async head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    const blob = await this.get(key, signal);
    return blob === undefined ? undefined : { etag: blob.etag };
  }

  /** Writes the object atomically if the condition holds; throws ConditionFailedError otherwise. */
  async put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    this.check(signal);
    const path = keyToPath(this.root, key);
    return this.locks.withLock(
      key,
      async () => {
        this.check(signal);
        if (condition?.ifNoneMatch === true || condition?.ifMatch !== undefined) {
          const currentEtag = (await this.readCached(path, key))?.etag;
          if (condition.ifNoneMatch === true && currentEtag !== undefined) {
            throw new ConditionFailedError(key, currentEtag);
          }
          if (condition.ifMatch !== undefined && currentEtag !== condition.ifMatch) {
            throw new ConditionFailedError(key, currentEtag);
          }
        }
        this.cache.delete(key); // if the write fails half-way, the next read goes to the file
        await this.writeAtomically(path, key, body);
        const etag = filesystemEtag(body);
        this.cache.set(key, { body: copyOf(body), etag });
        return { etag };
      },
      signal,
    );
  }

  /** Deletes the object if the condition holds; false when it did not exist and no condition was given. */
  async delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    this.check(signal);
    const path = keyToPath(this.root, key);
    return this.locks.withLock(
      key,
      async () => {
        this.check(signal);
        if (condition?.ifMatch !== undefined) {
          const currentEtag = (await this.readCached(path, key))?.etag;
          if (currentEtag !== condition.ifMatch) throw new ConditionFailedError(key, currentEtag);
        }
        this.cache.delete(key);
        try {
          await fs.unlink(path);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'ENOENT' || code === 'ENOTDIR') return false;
          if (code === 'EISDIR' || code === 'EPERM') return false; // a "directory" key holds no object
          throw ioError(e, `cannot delete ${key}`);
        }
        this.index.noteDeleted(key);
        await fsyncDir(dirOf(path));
        return true;
      },
      signal,
    );
  }

  /** One page of keys under the prefix, ascending in UTF-8 byte order. */
  async list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    this.check(signal);
    validateListLimit(options.limit);
    try {
      return await listKeys(this.index, options, signal);
    } catch (e) {
      if (e instanceof DbError) throw e;
      throw ioError(e, `cannot list ${options.prefix}`);
    }
  }

  /** Marks the store closed; later calls throw 'unavailable'. Files stay on disk. */
  async close(): Promise<void> {
    this.closed = true;
    this.index.clear();
  }

  /** Counters of the listing index (directories loaded from disk, names held). */
  get listIndex(): ListIndexStats {
    return this.index.stats;
  }

  private check(signal: AbortSignal | undefined): void {
    throwIfAborted(signal);
    if (this.closed) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'filesystem blob store is closed');
  }

  /**
   * The object from the cache, else from its file (then cached). Only call
   * while holding the key's lock. The returned body is the cached one: copy it
   * before handing it out.
   */
  private async readCached(path: string, key: string): Promise<Blob | undefined> {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const body = await this.read(path, key);
    if (body === undefined) return undefined;
    const blob = { body, etag: filesystemEtag(body) };
    this.cache.set(key, blob);
    return blob;
  }

  /** The file's bytes, or undefined when it does not exist (or is a directory of other keys). */
  private async read(path: string, key: string): Promise<Uint8Array | undefined> {
    try {
      const buf = await fs.readFile(path);
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
      throw ioError(e, `cannot read ${key}`);
    }
  }

  /** temp file → fsync → rename → fsync dir (and the parents of directories it created). */
  private async writeAtomically(path: string, key: string, body: Uint8Array): Promise<void> {
    const dir = dirOf(path);
    const tmp = `${this.root}/${FS_TMP_DIR}/${randomBytes(12).toString('hex')}`;
    try {
      const created = await fs.mkdir(dir, { recursive: true });
      const handle = await fs.open(tmp, 'wx', 0o644);
      try {
        await handle.writeFile(body);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, path);
      this.index.noteAdded(key); // at once: the file is visible from here on, even if an fsync below fails
      await fsyncDir(dir);
      if (created !== undefined) {
        // Make the new directory entries durable too, from the deepest up to the first new one's parent.
        for (let d = dir; d.length >= created.length; d = dirOf(d)) await fsyncDir(dirOf(d));
      }
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST' || code === 'ENAMETOOLONG') {
        throw new DbError('invalid', 'INVALID_ID', `key ${key} conflicts with another key's path`, {
          cause: e,
          field: 'id',
          metadata: { field: 'id' },
        });
      }
      throw ioError(e, `cannot write ${key}`);
    }
  }
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function ioError(e: unknown, message: string): DbError {
  return new DbError('unavailable', 'BACKEND_UNAVAILABLE', message, { cause: e });
}

/** A copy of the bytes (Buffer#slice would return a view). */
function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
