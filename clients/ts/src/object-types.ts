/**
 * The shapes shared by the object calls (objects.ts) and resumable uploads
 * (object-upload.ts): ObjectInfo and its conversion, the upload options and
 * the UploadHeader they make.
 */
import { Code } from '@connectrpc/connect';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { SmarterBaseError } from './errors.js';
import type { ObjectMetadata } from './gen/smarterbase/v1/object_pb.js';
import type { PreconditionSchema } from './gen/smarterbase/v1/document_service_pb.js';
import type { CallOptions } from './options.js';

/** One stored object's metadata. */
export interface ObjectInfo {
  readonly collection: string;
  readonly id: string;
  /** Changes on every write; pass it to ifMatch or deleteObject. */
  readonly etag: string;
  /** 1 when created, +1 on every later write. */
  readonly version: bigint;
  /** Its length in bytes. */
  readonly sizeBytes: bigint;
  /** Lowercase hex SHA-256 of the whole object. */
  readonly sha256: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly createTime?: Date;
  readonly updateTime?: Date;
}

/** Converts the wire ObjectMetadata. */
export function fromProtoObject(m: ObjectMetadata | undefined): ObjectInfo {
  if (m === undefined) throw new SmarterBaseError({ code: Code.Internal, message: 'the server sent no object metadata' });
  return {
    collection: m.collection,
    id: m.id,
    etag: m.etag,
    version: m.version,
    sizeBytes: m.sizeBytes,
    sha256: m.sha256,
    contentType: m.contentType,
    metadata: { ...m.metadata },
    createTime: m.createTime ? timestampDate(m.createTime) : undefined,
    updateTime: m.updateTime ? timestampDate(m.updateTime) : undefined,
  };
}

/** Options of upload(); at most one of createOnly, ifMatch and mustExist. */
export interface UploadOptions extends CallOptions {
  readonly contentType?: string;
  /** User metadata: at most 64 entries, 2 KiB in all. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Fail with OBJECT_ALREADY_EXISTS when the object exists. */
  readonly createOnly?: boolean;
  /** Replace only that version (ETAG_MISMATCH otherwise). */
  readonly ifMatch?: string;
  /** Replace only an existing object (OBJECT_NOT_FOUND otherwise). */
  readonly mustExist?: boolean;
  /** Verified by the server before anything is visible. */
  readonly expectedSize?: number;
  /** Lowercase hex; verified by the server before anything is visible. */
  readonly expectedSha256?: string;
  /** Bytes per message (default DEFAULT_OBJECT_CHUNK_BYTES). */
  readonly chunkBytes?: number;
  /** Called with the bytes handed to the stream so far. */
  readonly onProgress?: (sentBytes: number) => void;
}

function precondition(o: Omit<UploadOptions, 'onProgress'>): MessageInitShape<typeof PreconditionSchema> | undefined {
  const set = [o.createOnly === true, o.ifMatch !== undefined && o.ifMatch !== '', o.mustExist === true].filter(Boolean).length;
  if (set > 1) throw new TypeError('upload: set at most one of createOnly, ifMatch and mustExist');
  if (o.createOnly) return { condition: { case: 'exists', value: false } };
  if (o.ifMatch) return { condition: { case: 'etag', value: o.ifMatch } };
  if (o.mustExist) return { condition: { case: 'exists', value: true } };
  return undefined;
}

/** The UploadHeader of upload() and uploadResumable(). */
export function uploadHeader(collection: string, id: string, options: Omit<UploadOptions, 'onProgress'>) {
  return {
    collection,
    id,
    precondition: precondition(options),
    contentType: options.contentType ?? '',
    metadata: { ...(options.metadata ?? {}) },
    expectedSize: BigInt(options.expectedSize ?? 0),
    expectedSha256: options.expectedSha256 ?? '',
  };
}
