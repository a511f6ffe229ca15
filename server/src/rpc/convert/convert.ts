/**
 * Proto ⇄ model converters. protobuf-es already maps google.protobuf.Struct
 * fields to plain JSON objects (its JSON mapping of Struct), so data passes
 * through as a JsonObject; Timestamps become Dates and back.
 */
import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import type { ListedDocument, StoredDocument } from '../../model/document.js';
import { isJsonObject, type JsonObject } from '../../model/json.js';
import { invalid } from '../../errors/db-error.js';
import { DocumentSchema, type Document } from '../../gen/smarterbase/v1/document_pb.js';

/** A Date as a google.protobuf.Timestamp. */
export function toTimestamp(d: Date): Timestamp {
  return timestampFromDate(d);
}

/** A google.protobuf.Timestamp as a Date. */
export function fromTimestamp(t: Timestamp): Date {
  return timestampDate(t);
}

/** The proto Document of a stored document. */
export function toProtoDocument(doc: StoredDocument): Document {
  return create(DocumentSchema, {
    collection: doc.collection,
    id: doc.id,
    data: doc.data,
    etag: doc.etag,
    version: BigInt(doc.version),
    createTime: toTimestamp(doc.createTime),
    updateTime: toTimestamp(doc.updateTime),
    revision: BigInt(doc.revision),
    ...(doc.expireTime === undefined ? {} : { expireTime: toTimestamp(doc.expireTime) }),
  });
}

/** The proto Document of a listing entry: full, or only collection and id when keys-only. */
export function toProtoListed(doc: ListedDocument): Document {
  if ('etag' in doc) return toProtoDocument(doc);
  return create(DocumentSchema, { collection: doc.collection, id: doc.id });
}

/**
 * The data of a write request as a model JsonObject. A missing Struct is an
 * INVALID_ARGUMENT naming `field` (data is required on every write).
 */
export function requireData(data: unknown, field = 'data'): JsonObject {
  if (!isJsonObject(data)) throw invalid('INVALID_ARGUMENT', field, `${field} is required and must be a JSON object`);
  return data as JsonObject;
}
