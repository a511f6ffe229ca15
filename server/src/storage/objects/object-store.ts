/**
 * The large-object port (issue 13): objects of any size, streamed in and out
 * with bounded memory, beside the document BlobStore. Adapters: memory/ (the
 * reference), filesystem/, s3/. The engine sees only this file's types; the S3
 * SDK stays in s3/.
 *
 * Keys are '/'-separated strings built by the caller; etags are opaque strings
 * without quotes. Errors are the BlobStore's: a failed condition throws
 * ConditionFailedError; backend failures DbError 'unavailable' /
 * 'resource_exhausted'; an aborted signal 'cancelled' / 'deadline_exceeded';
 * bad input (a part too small, a SHA-256 mismatch, a range past the end)
 * 'invalid' / 'out_of_range'; an unknown upload id 'not_found'
 * (upload-errors.ts).
 */
import type { ListOptions } from '../blob-store.js';

/** S3's smallest part (5 MiB), except the last part of an upload; every adapter enforces it. */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** S3's largest part number (parts are numbered 1..10,000). */
export const MAX_PART_NUMBER = 10_000;

/** The default part size of a streamed put (8 MiB); also its single-PUT threshold. */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

/** A condition on the write that makes an object visible (a put, or an upload's completion); at most one is set. */
export interface ObjectCondition {
  /** Publish only if the object exists with exactly this etag. */
  readonly ifMatch?: string;
  /** Publish only if no object exists under the key (create-only). */
  readonly ifNoneMatch?: true;
}

/** What a stored object is, as head() and list() report it. */
export interface ObjectInfo {
  /** The object's key. */
  readonly key: string;
  /** Body length in bytes. */
  readonly size: number;
  /** Opaque version token, no quotes; changes when the body changes. */
  readonly etag: string;
  /**
   * Lowercase hex SHA-256 of the whole body, when the store recorded it: always on
   * memory and filesystem; on S3 for single PUTs and for multipart uploads whose
   * SHA-256 was given at start (StartUploadOptions.sha256, PutObjectOptions.expectedSha256).
   */
  readonly sha256?: string;
  /** The content type given at write time (default 'application/octet-stream'). */
  readonly contentType: string;
  /** User metadata given at write time (lowercase keys). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** Options of a streamed put. */
export interface PutObjectOptions {
  /** MIME type stored with the object (default 'application/octet-stream'). */
  readonly contentType?: string;
  /** User metadata stored with the object (keys lowercase ASCII; S3 caps all metadata at 2 KB). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Create-only or if-match on the publishing write. */
  readonly condition?: ObjectCondition;
  /** Lowercase hex SHA-256 the body must have; a mismatch is refused before anything is visible. */
  readonly expectedSha256?: string;
  /** Part size in bytes (default DEFAULT_PART_SIZE, at least MIN_PART_SIZE); a body no larger is one PUT. */
  readonly partSize?: number;
  /** Parts of a multipart put sent at once (default streamed-put.ts DEFAULT_PARTS_IN_FLIGHT, 2); memory is (partsInFlight + 1) × partSize. */
  readonly partsInFlight?: number;
  /** Aborts the transfer (an open multipart upload is aborted too). */
  readonly signal?: AbortSignal;
}

/** What a put (or a completion) published. */
export interface PutObjectResult {
  /** The new object's etag. */
  readonly etag: string;
  /** Its size in bytes. */
  readonly size: number;
  /** Lowercase hex SHA-256 of the body (a put always knows it; a completion when the store computed or recorded it). */
  readonly sha256?: string;
}

/** Options of startUpload. */
export interface StartUploadOptions {
  /** MIME type stored with the object (default 'application/octet-stream'). */
  readonly contentType?: string;
  /** User metadata stored with the object. */
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * The SHA-256 the whole body will have (lowercase hex). Recorded with the object;
   * memory and filesystem verify it at completion (a mismatch is refused), S3 cannot
   * (the streamed put verifies it on the way).
   */
  readonly sha256?: string;
  /** Aborts the call. */
  readonly signal?: AbortSignal;
}

/**
 * Where a part's bytes lie in the object being uploaded. Plain adapters ignore
 * it; a store that transforms data by position (the encrypting decorator,
 * storage/crypto/encrypting-object-store.ts) needs it, because part numbers of
 * resumable uploads come in reserved blocks and do not give the offset.
 */
export interface PartPlacement {
  /** The part's first byte within the object (every part but the last is the same size, so a multiple of it). */
  readonly offset: number;
  /** True for the last part of the object (sent by whoever completes the upload); may then be empty. */
  readonly final: boolean;
}

/** An upload id as a decorator may extend it: `<the store's id>~<decoration>`; listUploads reports the store's id. */
export const UPLOAD_ID_DECORATION = '~';

/** The store's own part of an upload id (what listUploads reports), without a decorator's extension. */
export function baseUploadId(uploadId: string): string {
  const at = uploadId.indexOf(UPLOAD_ID_DECORATION);
  return at < 0 ? uploadId : uploadId.slice(0, at);
}

/** One part committed to an open upload. */
export interface UploadedPart {
  /** 1..MAX_PART_NUMBER. */
  readonly partNumber: number;
  /** Bytes in the part. */
  readonly size: number;
  /** The part's etag, needed to complete the upload. */
  readonly etag: string;
}

/** An upload started and neither completed nor aborted (for resumes and the abandoned-upload sweeper). */
export interface OpenUpload {
  /** The key it will publish. */
  readonly key: string;
  /** The store's id of the upload. */
  readonly uploadId: string;
  /** When it started (the sweeper aborts uploads older than its limit). */
  readonly startedAt: Date;
}

/** A byte range of a read: `length` bytes from `offset` (to the end when length is unset). */
export interface ByteRange {
  /** First byte, 0-based. */
  readonly offset: number;
  /** How many bytes; unset means to the end. 0 reads nothing. */
  readonly length?: number;
}

/** Options of get. */
export interface GetObjectOptions {
  /** Only this range of the body (default the whole body); an offset past the end is 'out_of_range'. */
  readonly range?: ByteRange;
  /** Read only if the object's etag is this one (ConditionFailedError otherwise): a resumed read never mixes versions. */
  readonly ifMatch?: string;
  /** Aborts the read, the body stream included. */
  readonly signal?: AbortSignal;
}

/** An object being read: what it is, which bytes follow, and the bytes. */
export interface ObjectReader {
  /** The object's metadata (of the version being read). */
  readonly info: ObjectInfo;
  /** The first byte of `body` within the object. */
  readonly start: number;
  /** The number of bytes `body` yields. */
  readonly length: number;
  /** The bytes, pulled chunk by chunk (backpressure: nothing is read ahead of the consumer beyond a socket/file buffer). */
  readonly body: AsyncIterable<Uint8Array>;
}

/** One page of objects, ascending in UTF-8 byte order of keys. */
export interface ObjectPage {
  /** The objects (sha256, contentType and metadata may be absent-defaulted on S3, whose listing lacks them). */
  readonly objects: readonly Pick<ObjectInfo, 'key' | 'size' | 'etag'>[];
  /** True when more objects may follow the last one. */
  readonly isTruncated: boolean;
}

/** How a store enforces the condition of a completion (see probe-conditional-completion.ts). */
export type CompletionConditions = 'native' | 'unverified';

/** The large-object port. Every method honours its signal. */
export interface ObjectStore {
  /** Streams `body` into the object: one PUT when it fits one part, else a multipart upload (aborted on any failure). */
  put(key: string, body: AsyncIterable<Uint8Array>, options?: PutObjectOptions): Promise<PutObjectResult>;
  /** Writes a body already in memory with one request (≤ the part size; used by put for small objects). */
  putSmall(key: string, body: Uint8Array, options?: Omit<PutObjectOptions, 'partSize'>): Promise<PutObjectResult>;
  /** Starts a multipart upload of `key`; returns its id. */
  startUpload(key: string, options?: StartUploadOptions): Promise<string>;
  /**
   * Stores part `partNumber` (replacing an earlier one of that number). The store keeps no reference to `body` after it resolves.
   * `placement` says where the bytes lie in the object (required by stores with needsFinalPart; others ignore it).
   */
  putPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
    signal?: AbortSignal,
    placement?: PartPlacement,
  ): Promise<UploadedPart>;
  /**
   * True when this upload must end with a part sent with placement.final, even an empty one (an
   * encrypting store seals a final chunk there); absent or false: a last part is sent only when it has bytes.
   */
  needsFinalPart?(uploadId: string): boolean;
  /** The parts committed so far, ascending by number (how a client resumes). */
  listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<UploadedPart[]>;
  /**
   * Publishes the parts, in order, as the object if `condition` holds (ConditionFailedError otherwise,
   * and the upload stays open). Every part but the last must be at least MIN_PART_SIZE.
   */
  completeUpload(
    key: string,
    uploadId: string,
    parts: readonly Pick<UploadedPart, 'partNumber' | 'etag'>[],
    options?: { readonly condition?: ObjectCondition; readonly signal?: AbortSignal },
  ): Promise<PutObjectResult>;
  /** Discards an open upload and its parts; an unknown id is 'not_found'. */
  abortUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void>;
  /** Open uploads whose key starts with `prefix`, oldest first within a key, at most `limit` (1..1000). */
  listUploads(options: { readonly prefix: string; readonly limit: number; readonly signal?: AbortSignal }): Promise<OpenUpload[]>;
  /** Streams the object (or a range of it), or undefined when it does not exist. */
  get(key: string, options?: GetObjectOptions): Promise<ObjectReader | undefined>;
  /** The object's metadata, or undefined when it does not exist. */
  head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined>;
  /** Deletes the object; false when it did not exist (and no condition was given). */
  delete(key: string, condition?: Pick<ObjectCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean>;
  /** One page of objects under `prefix`, after `startAfter`. */
  list(options: ListOptions, signal?: AbortSignal): Promise<ObjectPage>;
  /** Releases handles (the S3 adapter's client belongs to its owner). */
  close(): Promise<void>;
}

/** The content type of an object written without one. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
