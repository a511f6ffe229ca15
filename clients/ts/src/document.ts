/**
 * The plain-object shapes the client returns, and their conversion from the
 * generated protobuf messages.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import type { Document } from './gen/smarterbase/v1/document_pb.js';

export type { JsonObject, JsonValue } from '@bufbuild/protobuf';

/** One stored document as plain JavaScript values. */
export interface StoredDocument<T extends JsonObject = JsonObject> {
  /** The collection of the document. */
  readonly collection: string;
  /** The id of the document. */
  readonly id: string;
  /** The JSON object stored; {} on keys-only listings. */
  readonly data: T;
  /** Opaque token that changes on every write; pass it to putIfMatch / delete. "" on keys-only listings. */
  readonly etag: string;
  /** 1 at creation, +1 per later write; 0 on keys-only listings. */
  readonly version: number;
  /** When the document was first created (since its last delete); undefined on keys-only listings. */
  readonly createTime: Date | undefined;
  /** When the document was last written; undefined on keys-only listings. */
  readonly updateTime: Date | undefined;
  /** The collection revision of the write that made this version (docs/streams.md); 0n when stored without one. */
  readonly revision: bigint;
  /** When this version expires (docs/streams.md, "Document expiry (TTL)"); undefined when it does not. */
  readonly expireTime: Date | undefined;
}

/** One answer of batchGet, in request order. */
export interface BatchGetItem<T extends JsonObject = JsonObject> {
  /** The requested id. */
  readonly id: string;
  /** True when the document exists. */
  readonly found: boolean;
  /** The document when found, undefined when missing. */
  readonly document: StoredDocument<T> | undefined;
  /** Every change of the collection up to this revision was stored before the read began (0n: unknown); watch from it. */
  readonly readRevision: bigint;
}

/** One page of list(). */
export interface ListPage<T extends JsonObject = JsonObject> {
  /** The documents of this page, in ascending id order. */
  readonly documents: StoredDocument<T>[];
  /** Pass to list({ pageToken }) for the next page; "" on the last page. */
  readonly nextPageToken: string;
  /** Every change of the collection up to this revision was stored before this page was read (0n: unknown); watch from it. */
  readonly readRevision: bigint;
}

/** A document with the read's revision: what getWithReadRevision() returns. */
export interface ReadDocument<T extends JsonObject = JsonObject> {
  /** The document. */
  readonly document: StoredDocument<T>;
  /** Every change of the collection up to this revision was stored before the read began (0n: unknown); watch from it. */
  readonly readRevision: bigint;
}

/** What deleteWithRevision() returns. */
export interface DeleteResult {
  /** True when this call deleted the document. */
  readonly deleted: boolean;
  /** The delete's collection revision (its change in a watch); 0n when nothing was deleted. */
  readonly revision: bigint;
}

/** Converts a generated Document message into a StoredDocument. */
export function fromProtoDocument<T extends JsonObject = JsonObject>(doc: Document | undefined): StoredDocument<T> {
  if (!doc) throw new TypeError('the server answered without a document');
  return {
    collection: doc.collection,
    id: doc.id,
    data: (doc.data ?? {}) as T,
    etag: doc.etag,
    version: Number(doc.version),
    createTime: doc.createTime ? timestampDate(doc.createTime) : undefined,
    updateTime: doc.updateTime ? timestampDate(doc.updateTime) : undefined,
    revision: doc.revision,
    expireTime: doc.expireTime ? timestampDate(doc.expireTime) : undefined,
  };
}
