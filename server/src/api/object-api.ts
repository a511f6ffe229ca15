/**
 * The object API (ObjectService, docs/streams.md "Objects"): what the RPC
 * layer hands the object engine and gets back, free of protobuf and
 * transport types. Errors are DbErrors.
 */
import type { CallContext } from './call-context.js';

/** One stored object's metadata (its pointer, docs/adr/0013 §2). */
export interface ObjectMeta {
  readonly collection: string;
  readonly id: string;
  /** The pointer's store etag: changes on every write. */
  readonly etag: string;
  /** 1 when created, +1 on every later write. */
  readonly version: number;
  /** The object's size in bytes. */
  readonly sizeBytes: number;
  /** Lowercase hex SHA-256 of the whole object. */
  readonly sha256: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly createTime: Date;
  readonly updateTime: Date;
}

/** The condition of an upload's commit: create only, replace only, or replace only this version. */
export type ObjectPrecondition = { readonly exists: boolean } | { readonly etag: string };

/** The first message of an upload: what to write. */
export interface UploadHeaderInput {
  readonly collection: string;
  readonly id: string;
  readonly precondition?: ObjectPrecondition;
  /** Empty or absent: application/octet-stream. */
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** 0 or absent: unknown. */
  readonly expectedSize?: number;
  /** Lowercase hex; empty or absent: not checked. */
  readonly expectedSha256?: string;
}

/** One message of an upload stream: a header (first only) or data, and whether it ends the upload. */
export interface UploadMessage {
  readonly header?: UploadHeaderInput;
  readonly data?: Uint8Array;
  readonly finishWrite: boolean;
}

/** What a download reads. */
export interface DownloadInput {
  readonly collection: string;
  readonly id: string;
  /** First byte (default 0). */
  readonly offset?: number;
  /** Most bytes; 0 or absent: to the end. */
  readonly length?: number;
  /** Only this version (ETAG_MISMATCH otherwise). */
  readonly ifMatch?: string;
}

/** One item of a download: first the metadata and the range start, then the bytes in order. */
export type DownloadItem =
  | { readonly kind: 'start'; readonly object: ObjectMeta; readonly offset: number }
  | { readonly kind: 'data'; readonly offset: number; readonly data: Uint8Array };

/** What ListObjects lists (page rules as DocumentService.List). */
export interface ListObjectsInput {
  readonly collection: string;
  /** 0 or absent: 100; at most 1000. */
  readonly pageSize?: number;
  readonly pageToken?: string;
  readonly idPrefix?: string;
  /** Only collection and id (no pointer reads). */
  readonly keysOnly?: boolean;
}

/** A listed object: full metadata, or only its name with keysOnly. */
export type ListedObject = ObjectMeta | Pick<ObjectMeta, 'collection' | 'id'>;

/** One page of ListObjects. */
export interface ListObjectsResult {
  readonly objects: readonly ListedObject[];
  /** Empty at the end of the listing. */
  readonly nextPageToken: string;
}

/** A resumable upload as StartUpload opened it. */
export interface StartedObjectUpload {
  /** The id any server accepts for the upload's later calls. */
  readonly uploadId: string;
  /** Bytes per stored part: writes ending on a multiple of it store no tail. */
  readonly partSizeBytes: number;
  /** When the upload is discarded unless completed. */
  readonly expireTime: Date;
}

/** One message of WriteUpload, or WriteAt's one chunk. */
export interface UploadWriteMessage {
  /** The upload (required on the first message of a stream). */
  readonly uploadId: string;
  /** Object offset of data[0] (the first message's is the write's start). */
  readonly writeOffset: number;
  readonly data?: Uint8Array;
  /** This message ends the object: complete the upload after it. */
  readonly finishWrite: boolean;
}

/** Where a resumable upload stands after a write or a status query. */
export interface UploadProgress {
  /** Bytes durably stored: the next write starts at or below it. */
  readonly committedSize: number;
  /** True once the object is committed. */
  readonly complete: boolean;
  /** When complete: the committed object. */
  readonly object?: ObjectMeta;
}

/** QueryUploadStatus's answer. */
export interface UploadStatusInfo extends UploadProgress {
  readonly expireTime: Date;
  readonly partSizeBytes: number;
}

/** CompleteUpload's overrides of the header's expectations (absent: the header's). */
export interface UploadExpectations {
  readonly expectedSize?: number;
  readonly expectedSha256?: string;
}

/** The object engine as the RPC layer sees it. */
export interface ObjectApi {
  /** Writes one object from one stream (header, data, finishWrite); nothing is visible unless it resolves. */
  upload(ctx: CallContext, messages: AsyncIterable<UploadMessage>): Promise<ObjectMeta>;
  /** Streams an object's metadata, then its bytes (or a range), never reading ahead of the consumer. */
  download(ctx: CallContext, input: DownloadInput): AsyncGenerator<DownloadItem, void, undefined>;
  /** The object's metadata (NOT_FOUND / OBJECT_NOT_FOUND when none). */
  stat(ctx: CallContext, collection: string, id: string): Promise<ObjectMeta>;
  /** Deletes an object (only version `etag` when given); false when none existed and no etag was given. */
  delete(ctx: CallContext, collection: string, id: string, etag?: string): Promise<boolean>;
  /** One page of a collection's objects in id order. */
  list(ctx: CallContext, input: ListObjectsInput): Promise<ListObjectsResult>;
  /** Opens a resumable upload (docs/streams.md, "Resumable uploads"); nothing is visible until it completes. */
  startUpload(ctx: CallContext, header: UploadHeaderInput): Promise<StartedObjectUpload>;
  /** Writes a stream of contiguous chunks into an upload; finishWrite on the last message completes it. */
  writeUpload(ctx: CallContext, messages: AsyncIterable<UploadWriteMessage>): Promise<UploadProgress>;
  /** Writes one chunk into an upload (WriteAt). */
  writeAt(ctx: CallContext, message: UploadWriteMessage): Promise<UploadProgress>;
  /** The committed size of an upload, from storage (any server answers the same). */
  uploadStatus(ctx: CallContext, uploadId: string): Promise<UploadStatusInfo>;
  /** Commits an upload whose bytes are all written; a retry returns the same object. */
  completeUpload(ctx: CallContext, uploadId: string, expected: UploadExpectations): Promise<ObjectMeta>;
  /** Discards an upload and everything it stored. */
  abortUpload(ctx: CallContext, uploadId: string): Promise<void>;
}
