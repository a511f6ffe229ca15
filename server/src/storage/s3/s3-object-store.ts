/**
 * An ObjectStore over an S3 bucket: PutObject for small bodies, multipart
 * uploads (CreateMultipartUpload, UploadPart, ListParts,
 * CompleteMultipartUpload with If-None-Match / If-Match, AbortMultipartUpload,
 * ListMultipartUploads) for the rest, ranged GetObject streamed to the caller.
 *
 * It shares the S3BlobStore's client (pass `blobStore.client`: its HTTP handler
 * carries the scoped aborts, s3/scoped-abort.ts) and its error mapping
 * (s3/s3-errors.ts); NoSuchUpload becomes 'not_found'. Conditions are sent to
 * S3, so they are only as atomic as the endpoint makes them:
 * probeConditionalCompletion tells whether it enforces them on completions
 * (AWS and versitygw do; gofakes3 v1.2.0 ignores them). Where it does not,
 * the caller must serialise completions of a key under a coordination lock
 * (docs/storage-adapters.md, "Large objects").
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DbError } from '../../errors/db-error.js';
import { ConditionFailedError, type ListOptions } from '../blob-store.js';
import { validateListLimit } from '../list-limit.js';
import { quoteEtag, unquoteEtag } from './etag.js';
import { abortWith, installAbortSignals } from './scoped-abort.js';
import { sseParams, type SseOptions } from './sse.js';
import { errorCodeOf, isNotFound, type S3Op } from './s3-errors.js';
import { openRangeHeader, resolveRange } from '../objects/byte-range.js';
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
} from '../objects/object-store.js';
import { sha256Hex } from '../objects/sha256-stream.js';
import { streamedPut } from '../objects/streamed-put.js';
import { checkPartNumber, checksumMismatch, namedParts, uploadNotFound } from '../objects/upload-errors.js';
import { objectInfo, writeMetadata } from './s3-object-info.js';
import {
  IF_MATCH,
  NO_CONDITION,
  conditionFlags,
  conditionHeaders,
  emptyBody,
  isRangeNotSatisfiable,
  readerOf,
  s3Call,
  type ConditionFlags,
} from './s3-request.js';

/** Options of S3ObjectStore. */
export interface S3ObjectStoreOptions {
  /** The SDK client: an S3BlobStore's `client` (its handler carries the scoped aborts). */
  readonly client: S3Client;
  /** The bucket. */
  readonly bucket: string;
  /** Prepended to every key, stripped from listed keys (default ''). */
  readonly prefix?: string;
  /** Limit of one metadata call (head, list, start, complete, abort), in ms (default 10 000). */
  readonly timeoutMs?: number;
  /** Limit of one body transfer (PutObject, UploadPart; a GET until its headers), in ms (default 120 000). */
  readonly transferTimeoutMs?: number;
  /**
   * Where a completion's etag comes from: 'response' (default; AWS and versitygw answer the
   * object's ETag) or 'head' (a HeadObject after it: gofakes3 v1.2.0 answers an MD5-of-parts
   * ETag but serves the object under the MD5 of its body).
   */
  readonly completionEtag?: 'response' | 'head';
  /** Server-side encryption asked on every PutObject and CreateMultipartUpload (SB_S3_SSE); unset = none. */
  readonly sse?: SseOptions;
}

/** See the file comment. */
export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly transferTimeoutMs: number;

  constructor(private readonly options: S3ObjectStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.transferTimeoutMs = options.transferTimeoutMs ?? 120_000;
    installAbortSignals(this.client);
  }

  /** Streams the body in through putSmall or a multipart upload. */
  put(key: string, body: AsyncIterable<Uint8Array>, options?: PutObjectOptions): Promise<PutObjectResult> {
    return streamedPut(this, key, body, options);
  }

  /** One PutObject, with the body's SHA-256 in x-amz-meta-sb-sha256. */
  async putSmall(key: string, body: Uint8Array, options: Omit<PutObjectOptions, 'partSize'> = {}): Promise<PutObjectResult> {
    const sha256 = sha256Hex(body);
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256)
      throw checksumMismatch(key, options.expectedSha256, sha256);
    const res = await this.call('put', key, options.signal, this.transferTimeoutMs, conditionFlags(options.condition), (s) =>
      this.client.send(
        new PutObjectCommand(
          abortWith(s, {
            Bucket: this.bucket,
            Key: this.prefix + key,
            Body: body,
            ContentLength: body.byteLength,
            ContentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
            Metadata: writeMetadata(options.metadata, sha256),
            ...conditionHeaders(options.condition),
            ...sseParams(this.options.sse),
          }),
        ),
      ),
    );
    const etag = res.ETag !== undefined && res.ETag !== '' ? unquoteEtag(res.ETag) : ((await this.head(key, options.signal))?.etag ?? '');
    return { etag, size: body.byteLength, sha256 };
  }

  /** CreateMultipartUpload, with the expected SHA-256 (when given) in the object's metadata. */
  async startUpload(key: string, options: StartUploadOptions = {}): Promise<string> {
    const res = await this.call('startUpload', key, options.signal, this.timeoutMs, NO_CONDITION, (s) =>
      this.client.send(
        new CreateMultipartUploadCommand(
          abortWith(s, {
            Bucket: this.bucket,
            Key: this.prefix + key,
            ContentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
            Metadata: writeMetadata(options.metadata, options.sha256),
            ...sseParams(this.options.sse),
          }),
        ),
      ),
    );
    if (res.UploadId === undefined) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'storage answered no upload id');
    return res.UploadId;
  }

  /** UploadPart. */
  async putPart(key: string, uploadId: string, partNumber: number, body: Uint8Array, signal?: AbortSignal): Promise<UploadedPart> {
    checkPartNumber(partNumber);
    const res = await this.uploadCall('putPart', key, uploadId, signal, this.transferTimeoutMs, (s) =>
      this.client.send(
        new UploadPartCommand(
          abortWith(s, {
            Bucket: this.bucket,
            Key: this.prefix + key,
            UploadId: uploadId,
            PartNumber: partNumber,
            Body: body,
            ContentLength: body.byteLength,
          }),
        ),
      ),
    );
    return { partNumber, size: body.byteLength, etag: unquoteEtag(res.ETag) };
  }

  /** ListParts, every page. */
  async listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<UploadedPart[]> {
    const parts: UploadedPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const res = await this.uploadCall('listParts', key, uploadId, signal, this.timeoutMs, (s) =>
        this.client.send(
          new ListPartsCommand(
            abortWith(s, {
              Bucket: this.bucket,
              Key: this.prefix + key,
              UploadId: uploadId,
              ...(marker !== undefined ? { PartNumberMarker: marker } : {}),
            }),
          ),
        ),
      );
      for (const p of res.Parts ?? []) parts.push({ partNumber: p.PartNumber ?? 0, size: p.Size ?? 0, etag: unquoteEtag(p.ETag) });
      if (res.IsTruncated !== true || res.NextPartNumberMarker === undefined) break;
      marker = res.NextPartNumberMarker;
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }

  /**
   * Checks the named parts against ListParts (so every adapter refuses the same bad
   * completions, whatever the endpoint checks), then CompleteMultipartUpload with the condition.
   */
  async completeUpload(
    key: string,
    uploadId: string,
    parts: readonly Pick<UploadedPart, 'partNumber' | 'etag'>[],
    options: { readonly condition?: ObjectCondition; readonly signal?: AbortSignal } = {},
  ): Promise<PutObjectResult> {
    const stored = new Map((await this.listParts(key, uploadId, options.signal)).map((p) => [p.partNumber, p]));
    const chosen = namedParts(stored, parts, unquoteEtag);
    const res = await this.uploadCall(
      'completeUpload',
      key,
      uploadId,
      options.signal,
      this.transferTimeoutMs,
      (s) =>
        this.client.send(
          new CompleteMultipartUploadCommand(
            abortWith(s, {
              Bucket: this.bucket,
              Key: this.prefix + key,
              UploadId: uploadId,
              MultipartUpload: { Parts: chosen.map((p) => ({ PartNumber: p.partNumber, ETag: quoteEtag(p.etag) })) },
              ...conditionHeaders(options.condition),
            }),
          ),
        ),
      conditionFlags(options.condition),
    );
    const size = chosen.reduce((n, p) => n + p.size, 0);
    if (this.options.completionEtag === 'head' || res.ETag === undefined || res.ETag === '') {
      const info = await this.head(key, options.signal);
      return { etag: info?.etag ?? '', size, ...(info?.sha256 !== undefined ? { sha256: info.sha256 } : {}) };
    }
    return { etag: unquoteEtag(res.ETag), size };
  }

  /** AbortMultipartUpload. */
  async abortUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    await this.uploadCall('abortUpload', key, uploadId, signal, this.timeoutMs, (s) =>
      this.client.send(new AbortMultipartUploadCommand(abortWith(s, { Bucket: this.bucket, Key: this.prefix + key, UploadId: uploadId }))),
    );
  }

  /** ListMultipartUploads under the prefix (one page of at most `limit`). */
  async listUploads(options: { readonly prefix: string; readonly limit: number; readonly signal?: AbortSignal }): Promise<OpenUpload[]> {
    validateListLimit(options.limit);
    const res = await this.call('listUploads', options.prefix, options.signal, this.timeoutMs, NO_CONDITION, async (s) => {
      try {
        return await this.client.send(
          new ListMultipartUploadsCommand(
            abortWith(s, { Bucket: this.bucket, Prefix: this.prefix + options.prefix, MaxUploads: options.limit }),
          ),
        );
      } catch (e) {
        // gofakes3 answers NoSuchUpload for a bucket where no upload was ever started.
        if (errorCodeOf(e) === 'NoSuchUpload' && !s.aborted) return { Uploads: [] };
        throw e;
      }
    });
    return (res.Uploads ?? [])
      .filter((u) => u.Key !== undefined && u.Key.startsWith(this.prefix) && u.UploadId !== undefined)
      .map((u) => ({
        key: (u.Key as string).slice(this.prefix.length),
        uploadId: u.UploadId as string,
        startedAt: u.Initiated ?? new Date(0),
      }));
  }

  /**
   * GetObject with Range and If-Match; the answer's ETag is checked too (gofakes3 ignores
   * If-Match on GET). The time limit covers the answer's headers; the body then streams at the
   * consumer's pace and stops when the caller's signal aborts.
   */
  async get(key: string, options: GetObjectOptions = {}): Promise<ObjectReader | undefined> {
    const { range, ifMatch, signal } = options;
    if (range?.length === 0) return this.emptyRead(key, options);
    let res;
    try {
      res = await this.call('get', key, signal, this.transferTimeoutMs, ifMatch !== undefined ? IF_MATCH : NO_CONDITION, async (s) => {
        try {
          return await this.client.send(
            new GetObjectCommand(
              abortWith(s, {
                Bucket: this.bucket,
                Key: this.prefix + key,
                ...(range !== undefined ? { Range: openRangeHeader(range) } : {}),
                ...(ifMatch !== undefined ? { IfMatch: quoteEtag(ifMatch) } : {}),
              }),
            ),
          );
        } catch (e) {
          if (isNotFound(e) && !s.aborted) return undefined;
          throw e;
        }
      });
    } catch (e) {
      if (range !== undefined && isRangeNotSatisfiable(e)) return this.emptyRead(key, options);
      throw e;
    }
    return res === undefined ? undefined : readerOf(key, res, options);
  }

  /** HeadObject. */
  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    const res = await this.call('head', key, signal, this.timeoutMs, NO_CONDITION, async (s) => {
      try {
        return await this.client.send(new HeadObjectCommand(abortWith(s, { Bucket: this.bucket, Key: this.prefix + key })));
      } catch (e) {
        if (isNotFound(e) && !s.aborted) return undefined;
        throw e;
      }
    });
    return res === undefined ? undefined : objectInfo(key, res.ContentLength ?? 0, res);
  }

  /** DeleteObject with If-Match; an unconditional delete asks HeadObject first (S3 answers 204 either way). */
  async delete(key: string, condition?: Pick<ObjectCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    const ifMatch = condition?.ifMatch;
    if (ifMatch === undefined && (await this.head(key, signal)) === undefined) return false;
    await this.call('delete', key, signal, this.timeoutMs, ifMatch !== undefined ? IF_MATCH : NO_CONDITION, (s) =>
      this.client.send(
        new DeleteObjectCommand(
          abortWith(s, { Bucket: this.bucket, Key: this.prefix + key, ...(ifMatch !== undefined ? { IfMatch: quoteEtag(ifMatch) } : {}) }),
        ),
      ),
    );
    return true;
  }

  /** ListObjectsV2 with sizes and ETags. */
  async list(options: ListOptions, signal?: AbortSignal): Promise<ObjectPage> {
    validateListLimit(options.limit);
    const res = await this.call('list', options.prefix, signal, this.timeoutMs, NO_CONDITION, (s) =>
      this.client.send(
        new ListObjectsV2Command(
          abortWith(s, {
            Bucket: this.bucket,
            Prefix: this.prefix + options.prefix,
            MaxKeys: options.limit,
            ...(options.startAfter !== undefined ? { StartAfter: this.prefix + options.startAfter } : {}),
          }),
        ),
      ),
    );
    const objects = (res.Contents ?? [])
      .filter((o) => o.Key !== undefined && o.Key.startsWith(this.prefix))
      .map((o) => ({ key: (o.Key as string).slice(this.prefix.length), size: o.Size ?? 0, etag: unquoteEtag(o.ETag) }));
    return { objects, isTruncated: res.IsTruncated === true };
  }

  /** Nothing: the client belongs to the S3BlobStore that made it. */
  async close(): Promise<void> {}

  /**
   * A read S3 cannot answer with a body (a zero-length range; an offset at or past the end, or any
   * range of an empty object, which S3 answers 416): HEAD for the metadata, then the range check.
   */
  private async emptyRead(key: string, options: GetObjectOptions): Promise<ObjectReader | undefined> {
    const info = await this.head(key, options.signal);
    if (info === undefined) return undefined;
    if (options.ifMatch !== undefined && info.etag !== options.ifMatch) throw new ConditionFailedError(key, info.etag);
    const { start } = resolveRange(options.range, info.size);
    return { info, start, length: 0, body: emptyBody() };
  }

  /** A call naming an upload: NoSuchUpload becomes 'not_found'. */
  private async uploadCall<T>(
    op: S3Op,
    key: string,
    uploadId: string,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    fn: (s: AbortSignal) => Promise<T>,
    flags: ConditionFlags = NO_CONDITION,
  ): Promise<T> {
    try {
      return await this.call(op, key, signal, timeoutMs, flags, fn);
    } catch (e) {
      if (e instanceof DbError && errorCodeOf(e.cause) === 'NoSuchUpload') throw uploadNotFound(key, uploadId, e.cause);
      throw e;
    }
  }

  /** One SDK call under a time limit, its error mapped (s3-request.ts). */
  private call<T>(
    op: S3Op,
    key: string,
    signal: AbortSignal | undefined,
    timeoutMs: number,
    flags: ConditionFlags,
    fn: (s: AbortSignal) => Promise<T>,
  ): Promise<T> {
    return s3Call(op, key, signal, timeoutMs, flags, fn);
  }
}
