/**
 * The reference ObjectStore: objects and open uploads in Maps, in this process
 * only. Every condition is checked and applied with no await in between (one
 * JS thread), so completions are atomic. It necessarily holds whole objects in
 * memory; bodies are copied in and out.
 */
import { randomBytes } from 'node:crypto';
import { throwIfAborted } from '../../../common/abort.js';
import { DbError } from '../../../errors/db-error.js';
import { ConditionFailedError, type ListOptions } from '../../blob-store.js';
import { validateListLimit } from '../../list-limit.js';
import { compareUtf8 } from '../../../common/utf8-order.js';
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
import { sha256Hex } from '../sha256-stream.js';
import { streamedPut } from '../streamed-put.js';
import { checkCompletedParts, checkPartNumber, checksumMismatch, unknownPart, uploadNotFound } from '../upload-errors.js';

/** Bytes per chunk a read yields. */
const READ_CHUNK = 64 * 1024;

interface StoredObject {
  readonly body: Buffer;
  readonly info: ObjectInfo;
}

interface Upload {
  readonly key: string;
  readonly startedAt: Date;
  readonly options: StartUploadOptions;
  readonly parts: Map<number, { readonly body: Buffer; readonly etag: string }>;
}

/** The etag of a body: the first 32 hex digits of its SHA-256 (as the memory BlobStore's). */
function etagOf(sha256: string): string {
  return sha256.slice(0, 32);
}

/** An ObjectStore in memory (tests, the embedded default without a data directory). */
export class MemoryObjectStore implements ObjectStore {
  private readonly objects = new Map<string, StoredObject>();
  private readonly uploads = new Map<string, Upload>();
  private closed = false;

  /** `now` stamps upload start times (default the system clock). */
  constructor(private readonly options: { readonly now?: () => Date } = {}) {}

  /** Streams the body in through putSmall or a multipart upload. */
  put(key: string, body: AsyncIterable<Uint8Array>, options?: PutObjectOptions): Promise<PutObjectResult> {
    return streamedPut(this, key, body, options);
  }

  /** Stores `body` at once if the condition holds. */
  async putSmall(key: string, body: Uint8Array, options: Omit<PutObjectOptions, 'partSize'> = {}): Promise<PutObjectResult> {
    this.check(options.signal);
    const sha256 = sha256Hex(body);
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256)
      throw checksumMismatch(key, options.expectedSha256, sha256);
    this.checkCondition(key, options.condition);
    return this.publish(key, Buffer.from(body), sha256, options.contentType, options.metadata);
  }

  /** A new upload id for `key`. */
  async startUpload(key: string, options: StartUploadOptions = {}): Promise<string> {
    this.check(options.signal);
    const uploadId = randomBytes(12).toString('hex');
    this.uploads.set(uploadId, { key, startedAt: this.options.now?.() ?? new Date(), options, parts: new Map() });
    return uploadId;
  }

  /** Stores a copy of the part. */
  async putPart(key: string, uploadId: string, partNumber: number, body: Uint8Array, signal?: AbortSignal): Promise<UploadedPart> {
    this.check(signal);
    checkPartNumber(partNumber);
    const upload = this.upload(key, uploadId);
    const etag = sha256Hex(body).slice(0, 32);
    upload.parts.set(partNumber, { body: Buffer.from(body), etag });
    return { partNumber, size: body.byteLength, etag };
  }

  /** The parts stored so far, by number. */
  async listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<UploadedPart[]> {
    this.check(signal);
    const upload = this.upload(key, uploadId);
    return [...upload.parts.entries()]
      .sort(([a], [b]) => a - b)
      .map(([partNumber, p]) => ({ partNumber, size: p.body.byteLength, etag: p.etag }));
  }

  /** Concatenates the named parts and publishes them if the condition (and the recorded SHA-256) holds. */
  async completeUpload(
    key: string,
    uploadId: string,
    parts: readonly Pick<UploadedPart, 'partNumber' | 'etag'>[],
    options: { readonly condition?: ObjectCondition; readonly signal?: AbortSignal } = {},
  ): Promise<PutObjectResult> {
    this.check(options.signal);
    const upload = this.upload(key, uploadId);
    const bodies = parts.map((p) => {
      const stored = upload.parts.get(p.partNumber);
      if (stored === undefined || stored.etag !== p.etag) throw unknownPart(p.partNumber);
      return stored.body;
    });
    checkCompletedParts(
      parts.map((p) => p.partNumber),
      bodies.map((b) => b.byteLength),
    );
    const body = Buffer.concat(bodies);
    const sha256 = sha256Hex(body);
    const expected = upload.options.sha256;
    if (expected !== undefined && expected !== sha256) throw checksumMismatch(key, expected, sha256);
    this.checkCondition(key, options.condition);
    this.uploads.delete(uploadId);
    return this.publish(key, body, sha256, upload.options.contentType, upload.options.metadata);
  }

  /** Forgets the upload and its parts. */
  async abortUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    this.check(signal);
    this.upload(key, uploadId);
    this.uploads.delete(uploadId);
  }

  /** Open uploads under the prefix, by key then start time. */
  async listUploads(options: { readonly prefix: string; readonly limit: number; readonly signal?: AbortSignal }): Promise<OpenUpload[]> {
    this.check(options.signal);
    validateListLimit(options.limit);
    return [...this.uploads.entries()]
      .filter(([, u]) => u.key.startsWith(options.prefix))
      .map(([uploadId, u]) => ({ key: u.key, uploadId, startedAt: u.startedAt }))
      .sort((a, b) => compareUtf8(a.key, b.key) || a.startedAt.getTime() - b.startedAt.getTime())
      .slice(0, options.limit);
  }

  /** A reader over a snapshot of the object (a later put does not change what it yields). */
  async get(key: string, options: GetObjectOptions = {}): Promise<ObjectReader | undefined> {
    this.check(options.signal);
    const stored = this.objects.get(key);
    if (stored === undefined) return undefined;
    if (options.ifMatch !== undefined && options.ifMatch !== stored.info.etag) throw new ConditionFailedError(key, stored.info.etag);
    const { start, length } = resolveRange(options.range, stored.body.byteLength);
    const signal = options.signal;
    const bytes = stored.body;
    async function* chunks(): AsyncGenerator<Uint8Array> {
      for (let at = start; at < start + length; at += READ_CHUNK) {
        throwIfAborted(signal);
        yield Uint8Array.prototype.slice.call(bytes, at, Math.min(at + READ_CHUNK, start + length));
      }
    }
    return { info: stored.info, start, length, body: chunks() };
  }

  /** The object's metadata. */
  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    this.check(signal);
    return this.objects.get(key)?.info;
  }

  /** Deletes the object if the condition holds. */
  async delete(key: string, condition?: Pick<ObjectCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    this.check(signal);
    if (condition?.ifMatch !== undefined) this.checkCondition(key, condition);
    return this.objects.delete(key);
  }

  /** One page of objects in UTF-8 key order. */
  async list(options: ListOptions, signal?: AbortSignal): Promise<ObjectPage> {
    this.check(signal);
    validateListLimit(options.limit);
    const keys = [...this.objects.keys()]
      .filter((k) => k.startsWith(options.prefix) && (options.startAfter === undefined || compareUtf8(k, options.startAfter) > 0))
      .sort(compareUtf8);
    const page = keys.slice(0, options.limit).map((k) => {
      const { size, etag } = (this.objects.get(k) as StoredObject).info;
      return { key: k, size, etag };
    });
    return { objects: page, isTruncated: keys.length > options.limit };
  }

  /** Marks the store closed; later calls throw 'unavailable'. */
  async close(): Promise<void> {
    this.closed = true;
  }

  private publish(
    key: string,
    body: Buffer,
    sha256: string,
    contentType?: string,
    metadata?: Readonly<Record<string, string>>,
  ): PutObjectResult {
    const info: ObjectInfo = {
      key,
      size: body.byteLength,
      etag: etagOf(sha256),
      sha256,
      contentType: contentType ?? DEFAULT_CONTENT_TYPE,
      metadata: { ...metadata },
    };
    this.objects.set(key, { body, info });
    return { etag: info.etag, size: info.size, sha256 };
  }

  private checkCondition(key: string, condition: ObjectCondition | undefined): void {
    const current = this.objects.get(key)?.info.etag;
    if (condition?.ifNoneMatch === true && current !== undefined) throw new ConditionFailedError(key, current);
    if (condition?.ifMatch !== undefined && current !== condition.ifMatch) throw new ConditionFailedError(key, current);
  }

  private upload(key: string, uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (upload === undefined || upload.key !== key) throw uploadNotFound(key, uploadId);
    return upload;
  }

  private check(signal: AbortSignal | undefined): void {
    throwIfAborted(signal);
    if (this.closed) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'memory object store is closed');
  }
}
