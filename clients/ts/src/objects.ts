/**
 * Objects: the ObjectService calls of the client, reached as `db.objects`
 * (docs/streams.md, "Objects"). upload() sends one client stream (a header,
 * the bytes in chunks, finish_write): nothing is visible unless it resolves,
 * and it is not retried by itself (a source cannot always be rewound).
 * download() continues an interrupted transfer from the bytes already
 * delivered, pinned to the first message's etag so the bytes never mix two
 * versions, and checks a whole-object download against the object's SHA-256.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { Code, createClient as createConnectClient, type Client, type Transport } from '@connectrpc/connect';
import { SmarterBaseError, toSmarterBaseError } from './errors.js';
import { ObjectService, type UploadRequestSchema } from './gen/smarterbase/v1/object_service_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { CallOptions, RetryPolicy } from './options.js';
import { isRetryableError } from './retry.js';
import { ResumableUpload, type ResumableSource, type ResumableUploadOptions } from './object-upload.js';
import { fromProtoObject, uploadHeader, type ObjectInfo, type UploadOptions } from './object-types.js';

export { fromProtoObject, type ObjectInfo, type UploadOptions } from './object-types.js';

/** Bytes per upload message (the server accepts up to 4 MiB). */
export const DEFAULT_OBJECT_CHUNK_BYTES = 1024 * 1024;

/** What upload() reads. */
export type ObjectSource = Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** Options of download(). */
export interface DownloadOptions extends CallOptions {
  /** First byte (default 0). */
  readonly offset?: number;
  /** Most bytes (default 0: to the end). */
  readonly length?: number;
  /** Only this version (ETAG_MISMATCH otherwise). */
  readonly ifMatch?: string;
  /** How often an interrupted download continues from the bytes delivered (default 5). */
  readonly maxResumes?: number;
  /** Called with the bytes delivered so far. */
  readonly onProgress?: (receivedBytes: number) => void;
}

/** One page of listObjects(); nextPageToken is empty at the end. */
export interface ObjectPage {
  readonly objects: ObjectInfo[];
  readonly nextPageToken: string;
}

async function* chunksOf(source: ObjectSource, size: number): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    for (let i = 0; i < source.length; i += size) yield source.subarray(i, i + size);
    return;
  }
  for await (const block of source as AsyncIterable<Uint8Array>) {
    for (let i = 0; i < block.length; i += size) yield block.subarray(i, i + size);
  }
}

/** The object calls of a SmarterBaseClient (`db.objects`). */
export class ObjectCalls {
  /** The generated ObjectService client (errors are not converted). */
  readonly rpc: Client<typeof ObjectService>;

  /**
   * Used by SmarterBaseClient; `opts` applies the client's default deadline,
   * `retry` is its policy (the backoff of resumable uploads), `unaryWrites`
   * makes resumable uploads use WriteAt (the `connect` transport).
   */
  constructor(
    transport: Transport,
    private readonly opts: (o: CallOptions | undefined) => { timeoutMs?: number; signal?: AbortSignal },
    private readonly retry: RetryPolicy | false | undefined = undefined,
    private readonly unaryWrites = false,
  ) {
    this.rpc = createConnectClient(ObjectService, transport);
  }

  /** Stores `source` as the object (collection, id) in one stream; resolves with its metadata. */
  async upload(collection: string, id: string, source: ObjectSource, options: UploadOptions = {}): Promise<ObjectInfo> {
    const header = uploadHeader(collection, id, options);
    const size = options.chunkBytes ?? DEFAULT_OBJECT_CHUNK_BYTES;
    async function* requests(): AsyncGenerator<MessageInitShape<typeof UploadRequestSchema>> {
      yield { kind: { case: 'header', value: header } };
      let sent = 0;
      for await (const data of chunksOf(source, size)) {
        yield { kind: { case: 'data', value: data } };
        sent += data.length;
        options.onProgress?.(sent);
      }
      yield { finishWrite: true };
    }
    try {
      const res = await this.rpc.upload(requests(), this.opts(options));
      return fromProtoObject(res.object);
    } catch (e) {
      throw toSmarterBaseError(e);
    }
  }

  /** Uploads the file at `path`, declaring its size (the server refuses another byte count). */
  async uploadFile(collection: string, id: string, path: string, options: UploadOptions = {}): Promise<ObjectInfo> {
    const { size } = await stat(path);
    const source = createReadStream(path, { highWaterMark: options.chunkBytes ?? DEFAULT_OBJECT_CHUNK_BYTES });
    try {
      return await this.upload(collection, id, source, { expectedSize: size, ...options });
    } finally {
      source.destroy();
    }
  }

  /**
   * Stores `source` (a file path, bytes, or `(offset) => AsyncIterable`) as the
   * object through a resumable upload that continues by itself after a dropped
   * connection, UNAVAILABLE or UPLOAD_BUSY (see object-upload.ts); resolves
   * with the metadata. options.onUploadId learns the id; options.uploadId
   * continues an upload started earlier. A path or bytes declare their size.
   */
  async uploadResumable(
    collection: string,
    id: string,
    source: ResumableSource,
    options: ResumableUploadOptions = {},
  ): Promise<ObjectInfo> {
    const o = { useWriteAt: this.unaryWrites, ...options };
    const up = new ResumableUpload(this.rpc, this.opts, this.retry, source, o);
    return up.run((size) => uploadHeader(collection, id, { expectedSize: size, ...options }));
  }

  /** Discards an unfinished resumable upload and its stored parts. */
  async abortUpload(uploadId: string, options?: CallOptions): Promise<void> {
    await this.call(() => this.rpc.abortUpload({ uploadId }, this.opts(options)));
  }

  /** A resumable upload's committed size, and the object once complete. */
  async uploadStatus(uploadId: string, options?: CallOptions): Promise<{ committedBytes: number; object?: ObjectInfo }> {
    return this.call(async () => {
      const res = await this.rpc.queryUploadStatus({ uploadId }, this.opts(options));
      return { committedBytes: Number(res.committedSize), object: res.complete ? fromProtoObject(res.object) : undefined };
    });
  }

  /**
   * Hands the object's bytes (or a range) to `sink` in order, resuming an
   * interrupted transfer from the bytes delivered; resolves with the metadata.
   * A whole-object download is checked against its SHA-256 (DATA_LOSS /
   * OBJECT_CORRUPT otherwise).
   */
  async download(
    collection: string,
    id: string,
    sink: (data: Uint8Array) => void | Promise<void>,
    options: DownloadOptions = {},
  ): Promise<ObjectInfo> {
    const offset = options.offset ?? 0;
    const length = options.length ?? 0;
    const hash = offset === 0 && length === 0 ? createHash('sha256') : undefined;
    let info: ObjectInfo | undefined;
    let received = 0;
    for (let attempt = 0; ; attempt++) {
      const req = {
        collection,
        id,
        offset: BigInt(offset + received),
        length: BigInt(length > 0 ? length - received : 0),
        ifMatch: info?.etag ?? options.ifMatch ?? '',
      };
      try {
        for await (const m of this.rpc.download(req, this.opts(options))) {
          if (info === undefined && m.object !== undefined) info = fromProtoObject(m.object);
          if (m.data.length === 0) continue;
          if (Number(m.offset) !== offset + received) throw new Error(`data at offset ${m.offset}, expected ${offset + received}`);
          await sink(m.data);
          hash?.update(m.data);
          received += m.data.length;
          options.onProgress?.(received);
        }
        break;
      } catch (e) {
        if (attempt >= (options.maxResumes ?? 5) || options.signal?.aborted || !isRetryableError(e)) throw toSmarterBaseError(e);
      }
    }
    if (info === undefined) throw new SmarterBaseError({ code: Code.Internal, message: 'the download sent no metadata' });
    if (hash !== undefined && info.sha256 !== '' && hash.digest('hex') !== info.sha256) {
      throw new SmarterBaseError({
        code: Code.DataLoss,
        reason: 'OBJECT_CORRUPT',
        message: `${collection}/${id}: the bytes received do not match the object's SHA-256`,
        metadata: { collection, id },
      });
    }
    return info;
  }

  /** Downloads the whole object into `path` via `path + '.part'`, renamed once complete and verified. */
  async downloadFile(collection: string, id: string, path: string, options: DownloadOptions = {}): Promise<ObjectInfo> {
    const part = `${path}.part`;
    const out = createWriteStream(part);
    try {
      const info = await this.download(
        collection,
        id,
        async (data) => {
          if (!out.write(data)) await once(out, 'drain');
        },
        options,
      );
      out.end();
      await once(out, 'finish');
      await rename(part, path);
      return info;
    } catch (e) {
      out.on('error', () => undefined); // writes still buffered fail as the stream is destroyed: the download's error is the one to report
      await new Promise<void>((resolve) => {
        out.once('close', () => resolve());
        out.destroy();
      });
      await rm(part, { force: true });
      throw e;
    }
  }

  /** Downloads the whole object into memory (for small objects). */
  async downloadBytes(collection: string, id: string, options: DownloadOptions = {}): Promise<{ info: ObjectInfo; data: Uint8Array }> {
    const parts: Uint8Array[] = [];
    const info = await this.download(collection, id, (d) => void parts.push(d), options);
    return { info, data: Buffer.concat(parts) };
  }

  /** An object's metadata (NOT_FOUND / OBJECT_NOT_FOUND when none). */
  async stat(collection: string, id: string, options?: CallOptions): Promise<ObjectInfo> {
    return this.call(async () => fromProtoObject((await this.rpc.statObject({ collection, id }, this.opts(options))).object));
  }

  /** Deletes an object (only version `etag` when given); false when none existed. */
  async delete(collection: string, id: string, options: CallOptions & { readonly etag?: string } = {}): Promise<boolean> {
    return this.call(async () => (await this.rpc.deleteObject({ collection, id, etag: options.etag ?? '' }, this.opts(options))).deleted);
  }

  /** One page of a collection's objects in id order. */
  async list(
    collection: string,
    options: CallOptions & { pageSize?: number; pageToken?: string; idPrefix?: string; keysOnly?: boolean } = {},
  ): Promise<ObjectPage> {
    const { pageSize = 0, pageToken = '', idPrefix = '', keysOnly = false } = options;
    return this.call(async () => {
      const res = await this.rpc.listObjects({ collection, pageSize, pageToken, idPrefix, keysOnly }, this.opts(options));
      return { objects: res.objects.map(fromProtoObject), nextPageToken: res.nextPageToken };
    });
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toSmarterBaseError(e);
    }
  }
}
