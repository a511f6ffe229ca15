/**
 * ObjectService messages ⇄ the object API's types (api/object-api.ts):
 * int64 fields become numbers (refused above 2^53), Timestamps Dates, the
 * shared Precondition the API's ObjectPrecondition.
 */
import { create } from '@bufbuild/protobuf';
import { invalid } from '../../../errors/db-error.js';
import type { Precondition } from '../../../gen/smarterbase/v1/document_service_pb.js';
import { ObjectMetadataSchema, type ObjectMetadata, type UploadHeader } from '../../../gen/smarterbase/v1/object_pb.js';
import type { UploadRequest, WriteAtRequest, WriteUploadRequest } from '../../../gen/smarterbase/v1/object_service_pb.js';
import type { ListedObject, ObjectPrecondition, UploadHeaderInput, UploadMessage, UploadWriteMessage } from '../../../api/object-api.js';
import { toTimestamp } from '../../convert/convert.js';

/** An int64 field as a number; INVALID_ARGUMENT when negative or beyond 2^53. */
export function int64Field(v: bigint, field: string): number {
  if (v < 0n || v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid('INVALID_ARGUMENT', field, `${field} must be between 0 and 2^53`);
  return Number(v);
}

function toPrecondition(p: Precondition | undefined): ObjectPrecondition | undefined {
  if (p === undefined) return undefined;
  const c = p.condition;
  if (c.case === 'exists') return { exists: c.value };
  if (c.case === 'etag') return { etag: c.value };
  throw invalid('INVALID_ARGUMENT', 'header.precondition', 'a precondition needs exists or etag');
}

/** An UploadHeader (Upload's first message, StartUpload's header) as the API's. */
export function uploadHeaderOf(h: UploadHeader): UploadHeaderInput {
  const precondition = toPrecondition(h.precondition);
  return {
    collection: h.collection,
    id: h.id,
    ...(precondition === undefined ? {} : { precondition }),
    contentType: h.contentType,
    metadata: h.metadata,
    expectedSize: int64Field(h.expectedSize, 'header.expected_size'),
    expectedSha256: h.expectedSha256,
  };
}

/** One Upload message as the API's. */
export function uploadMessageOf(req: UploadRequest): UploadMessage {
  const k = req.kind;
  if (k.case === 'header') return { header: uploadHeaderOf(k.value), finishWrite: req.finishWrite };
  if (k.case === 'data') return { data: k.value, finishWrite: req.finishWrite };
  return { finishWrite: req.finishWrite };
}

/** A WriteUpload message or a WriteAt request as the API's write message. */
export function writeMessageOf(req: WriteUploadRequest | WriteAtRequest): UploadWriteMessage {
  return {
    uploadId: req.uploadId,
    writeOffset: int64Field(req.writeOffset, 'write_offset'),
    ...(req.data.byteLength === 0 ? {} : { data: req.data }),
    finishWrite: req.finishWrite,
  };
}

/** The proto ObjectMetadata of a listed (or full) object. */
export function toProtoObject(o: ListedObject): ObjectMetadata {
  if (!('etag' in o)) return create(ObjectMetadataSchema, { collection: o.collection, id: o.id });
  return create(ObjectMetadataSchema, {
    collection: o.collection,
    id: o.id,
    etag: o.etag,
    version: BigInt(o.version),
    sizeBytes: BigInt(o.sizeBytes),
    sha256: o.sha256,
    contentType: o.contentType,
    metadata: { ...o.metadata },
    createTime: toTimestamp(o.createTime),
    updateTime: toTimestamp(o.updateTime),
  });
}
