/**
 * An ObjectStore over a local directory, for one process (development, tests,
 * the embedded default). Key 'a/b' is the file <root>/a/b: the body, then a
 * metadata trailer (object-file.ts). Every publishing write (putSmall, an
 * upload's completion) assembles its file under <root>/.sb-tmp, fsyncs it,
 * then, holding the key's in-process lock, checks the condition and renames
 * the file into place: readers see the old or the new object, and conditions
 * are exact within this process. Parts of open uploads are files under
 * <root>/.sb-uploads (upload-staging.ts). Two processes sharing a root are not
 * supported, as for FilesystemBlobStore. Listing walks the whole tree for every
 * page (fine for thousands of objects, not millions).
 */
import { createReadStream, promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { throwIfAborted } from '../../../common/abort.js';
import { compareUtf8 } from '../../../common/utf8-order.js';
import { DbError } from '../../../errors/db-error.js';
import { ConditionFailedError, type ListOptions } from '../../blob-store.js';
import { validateListLimit } from '../../list-limit.js';
import { StripedLock } from '../../striped-lock.js';
import { resolveRange } from '../byte-range.js';
import {
  DEFAULT_CONTENT_TYPE,
  type GetObjectOptions,
  type ObjectCondition,
  type ObjectInfo,
  type ObjectPage,
  type ObjectReader,
  type ObjectStore,
  type OpenUpload,
  type PutObjectOptions,
  type PutObjectResult,
  type StartUploadOptions,
  type UploadedPart,
} from '../object-store.js';
import { Sha256Tap, sha256Hex } from '../sha256-stream.js';
import { streamedPut } from '../streamed-put.js';
import { checkPartNumber, checksumMismatch, namedParts } from '../upload-errors.js';
import { encodeTrailer, readTrailer, type ObjectTrailer } from './object-file.js';
import { TMP_DIR, UPLOADS_DIR, dirOf, fsyncDir, ioError, isMissing, objectPath } from './fs-io.js';
import { UploadStaging } from './upload-staging.js';
import { readChunks, walk } from './object-reads.js';

/** Options of FilesystemObjectStore.open. */
export interface FilesystemObjectStoreOptions {
  /** The directory holding the objects (not a FilesystemBlobStore's root); created if missing. */
  readonly root: string;
  /** Stamps upload start times (default the system clock). */
  readonly now?: () => Date;
}

/** See the file comment. */
export class FilesystemObjectStore implements ObjectStore {
  private readonly keyLocks = new StripedLock(256);
  private readonly uploadLocks = new StripedLock(64);
  private readonly staging: UploadStaging;
  private closed = false;

  private constructor(
    /** The absolute root directory. */
    readonly root: string,
    private readonly now: () => Date,
  ) {
    this.staging = new UploadStaging(root);
  }

  /** Creates the root, empties its temp directory and returns a store over it (open uploads survive). */
  static async open(options: FilesystemObjectStoreOptions): Promise<FilesystemObjectStore> {
    const root = resolve(options.root);
    try {
      await fs.mkdir(root, { recursive: true });
      await fs.rm(`${root}/${TMP_DIR}`, { recursive: true, force: true });
      await fs.mkdir(`${root}/${TMP_DIR}`, { recursive: true });
      await fs.mkdir(`${root}/${UPLOADS_DIR}`, { recursive: true });
    } catch (e) {
      throw ioError(e, `cannot open filesystem object store at ${root}`);
    }
    return new FilesystemObjectStore(root, options.now ?? (() => new Date()));
  }

  /** Streams the body in through putSmall or a multipart upload. */
  put(key: string, body: AsyncIterable<Uint8Array>, options?: PutObjectOptions): Promise<PutObjectResult> {
    return streamedPut(this, key, body, options);
  }

  /** Writes body + trailer to a temp file, then publishes it if the condition holds. */
  async putSmall(key: string, body: Uint8Array, options: Omit<PutObjectOptions, 'partSize'> = {}): Promise<PutObjectResult> {
    this.check(options.signal);
    const path = objectPath(this.root, key);
    const sha256 = sha256Hex(body);
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256)
      throw checksumMismatch(key, options.expectedSha256, sha256);
    const trailer = this.trailer(body.byteLength, sha256, options.contentType, options.metadata);
    const tmp = await this.writeTemp(key, async (handle) => {
      await handle.write(body);
      await handle.write(encodeTrailer(trailer));
    });
    return this.publish(key, path, tmp, trailer, options.condition, options.signal);
  }

  /** Creates the upload's staging directory. */
  async startUpload(key: string, options: StartUploadOptions = {}): Promise<string> {
    this.check(options.signal);
    objectPath(this.root, key);
    return this.staging.start(key, options, this.now());
  }

  /** Stores the part as a file of the upload's directory. */
  async putPart(key: string, uploadId: string, partNumber: number, body: Uint8Array, signal?: AbortSignal): Promise<UploadedPart> {
    this.check(signal);
    checkPartNumber(partNumber);
    return this.uploadLocks.withLock(
      uploadId,
      async () => {
        await this.staging.manifest(key, uploadId);
        return this.staging.putPart(uploadId, partNumber, body);
      },
      signal,
    );
  }

  /** The part files of the upload. */
  async listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<UploadedPart[]> {
    this.check(signal);
    return this.uploadLocks.withLock(
      uploadId,
      async () => {
        await this.staging.manifest(key, uploadId);
        return (await this.staging.parts(uploadId)).map(({ partNumber, size, etag }) => ({ partNumber, size, etag }));
      },
      signal,
    );
  }

  /** Concatenates the named parts into a temp file (hashing them), then publishes it if the condition holds. */
  async completeUpload(
    key: string,
    uploadId: string,
    parts: readonly Pick<UploadedPart, 'partNumber' | 'etag'>[],
    options: { readonly condition?: ObjectCondition; readonly signal?: AbortSignal } = {},
  ): Promise<PutObjectResult> {
    this.check(options.signal);
    const path = objectPath(this.root, key);
    return this.uploadLocks.withLock(
      uploadId,
      async () => {
        const manifest = await this.staging.manifest(key, uploadId);
        const staged = new Map((await this.staging.parts(uploadId)).map((p) => [p.partNumber, p]));
        const chosen = namedParts(staged, parts);
        const sha = new Sha256Tap();
        const tmp = await this.writeTemp(key, async (handle) => {
          for (const part of chosen) {
            throwIfAborted(options.signal);
            for await (const chunk of sha.tap(createReadStream(part.path))) await handle.write(chunk);
          }
        });
        const sha256 = sha.hex();
        const trailer = this.trailer(sha.size, sha256, manifest.contentType, manifest.metadata);
        try {
          if (manifest.sha256 !== undefined && manifest.sha256 !== sha256) throw checksumMismatch(key, manifest.sha256, sha256);
          await fs.appendFile(tmp, encodeTrailer(trailer));
        } catch (e) {
          await fs.rm(tmp, { force: true }).catch(() => undefined);
          throw ioError(e, `cannot complete ${key}`);
        }
        const result = await this.publish(key, path, tmp, trailer, options.condition, options.signal);
        await this.staging.remove(uploadId);
        return result;
      },
      options.signal,
    );
  }

  /** Removes the upload's directory. */
  async abortUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    this.check(signal);
    await this.uploadLocks.withLock(
      uploadId,
      async () => {
        await this.staging.manifest(key, uploadId);
        await this.staging.remove(uploadId);
      },
      signal,
    );
  }

  /** Open uploads under the prefix, by key then start time. */
  async listUploads(options: { readonly prefix: string; readonly limit: number; readonly signal?: AbortSignal }): Promise<OpenUpload[]> {
    this.check(options.signal);
    validateListLimit(options.limit);
    const found = await this.staging.list(options.prefix);
    return found.sort((a, b) => compareUtf8(a.key, b.key) || a.startedAt.getTime() - b.startedAt.getTime()).slice(0, options.limit);
  }

  /** Opens the file (the reader keeps that version even if a put replaces it) and reads its trailer. */
  async get(key: string, options: GetObjectOptions = {}): Promise<ObjectReader | undefined> {
    this.check(options.signal);
    const path = objectPath(this.root, key);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r');
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw ioError(e, `cannot read ${key}`);
    }
    try {
      const trailer = await readTrailer(handle, (await handle.stat()).size, key);
      if (options.ifMatch !== undefined && options.ifMatch !== trailer.etag) throw new ConditionFailedError(key, trailer.etag);
      const { start, length } = resolveRange(options.range, trailer.size);
      return { info: { key, ...trailer }, start, length, body: readChunks(handle, start, length, options.signal) };
    } catch (e) {
      await handle.close();
      if (e instanceof DbError || e instanceof ConditionFailedError) throw e;
      throw ioError(e, `cannot read ${key}`);
    }
  }

  /** The object's trailer. */
  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    this.check(signal);
    const trailer = await this.readInfo(objectPath(this.root, key), key);
    return trailer === undefined ? undefined : { key, ...trailer };
  }

  /** Unlinks the object if the condition holds. */
  async delete(key: string, condition?: Pick<ObjectCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    this.check(signal);
    const path = objectPath(this.root, key);
    return this.keyLocks.withLock(
      key,
      async () => {
        if (condition?.ifMatch !== undefined) {
          const current = (await this.readInfo(path, key))?.etag;
          if (current !== condition.ifMatch) throw new ConditionFailedError(key, current);
        }
        try {
          await fs.unlink(path);
        } catch (e) {
          if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EPERM') return false;
          throw ioError(e, `cannot delete ${key}`);
        }
        await fsyncDir(dirOf(path));
        return true;
      },
      signal,
    );
  }

  /** Walks the tree, sorts the keys in UTF-8 order and returns one page with sizes and etags. */
  async list(options: ListOptions, signal?: AbortSignal): Promise<ObjectPage> {
    this.check(signal);
    validateListLimit(options.limit);
    try {
      const keys = (await walk(this.root, ''))
        .filter((k) => k.startsWith(options.prefix) && (options.startAfter === undefined || compareUtf8(k, options.startAfter) > 0))
        .sort(compareUtf8);
      const objects: { key: string; size: number; etag: string }[] = [];
      for (const key of keys.slice(0, options.limit)) {
        const info = await this.readInfo(`${this.root}/${key}`, key);
        if (info !== undefined) objects.push({ key, size: info.size, etag: info.etag });
      }
      return { objects, isTruncated: keys.length > options.limit };
    } catch (e) {
      throw ioError(e, `cannot list ${options.prefix}`);
    }
  }

  /** Marks the store closed; later calls throw 'unavailable'. Files stay. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private trailer(size: number, sha256: string, contentType?: string, metadata?: Readonly<Record<string, string>>): ObjectTrailer {
    return { size, etag: sha256.slice(0, 32), sha256, contentType: contentType ?? DEFAULT_CONTENT_TYPE, metadata: { ...metadata } };
  }

  /** Creates a temp file, lets `fill` write it, fsyncs it; removes it on failure. */
  private async writeTemp(key: string, fill: (handle: fs.FileHandle) => Promise<void>): Promise<string> {
    const tmp = `${this.root}/${TMP_DIR}/${randomBytes(12).toString('hex')}`;
    try {
      const handle = await fs.open(tmp, 'wx', 0o644);
      try {
        await fill(handle);
        await handle.sync();
      } finally {
        await handle.close();
      }
      return tmp;
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw ioError(e, `cannot write ${key}`);
    }
  }

  /** Under the key's lock: checks the condition against the current file, renames `tmp` into place, fsyncs. */
  private publish(
    key: string,
    path: string,
    tmp: string,
    trailer: ObjectTrailer,
    condition: ObjectCondition | undefined,
    signal: AbortSignal | undefined,
  ): Promise<PutObjectResult> {
    return this.keyLocks
      .withLock(
        key,
        async () => {
          if (condition?.ifNoneMatch === true || condition?.ifMatch !== undefined) {
            const current = (await this.readInfo(path, key))?.etag;
            if (condition.ifNoneMatch === true && current !== undefined) throw new ConditionFailedError(key, current);
            if (condition.ifMatch !== undefined && current !== condition.ifMatch) throw new ConditionFailedError(key, current);
          }
          try {
            await fs.mkdir(dirOf(path), { recursive: true });
            await fs.rename(tmp, path);
            await fsyncDir(dirOf(path));
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST') {
              throw new DbError('invalid', 'INVALID_ID', `key ${key} conflicts with another key's path`, {
                cause: e,
                field: 'id',
                metadata: { field: 'id' },
              });
            }
            throw ioError(e, `cannot write ${key}`);
          }
          return { etag: trailer.etag, size: trailer.size, sha256: trailer.sha256 };
        },
        signal,
      )
      .catch(async (e: unknown) => {
        await fs.rm(tmp, { force: true }).catch(() => undefined);
        throw e;
      });
  }

  /** The trailer of the object file at `path`, or undefined when there is none. */
  private async readInfo(path: string, key: string): Promise<ObjectTrailer | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(path, 'r');
    } catch (e) {
      if (isMissing(e)) return undefined;
      throw ioError(e, `cannot read ${key}`);
    }
    try {
      return await readTrailer(handle, (await handle.stat()).size, key);
    } finally {
      await handle.close();
    }
  }

  private check(signal: AbortSignal | undefined): void {
    throwIfAborted(signal);
    if (this.closed) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'filesystem object store is closed');
  }
}
