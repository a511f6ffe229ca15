/**
 * Batch calls: the item builders of batchWrite() / batchDelete() (put(),
 * del()), their result shapes, and the decoding of each item's
 * google.rpc.Status into the same SmarterBaseError the single call raises.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { checkDataKeys } from './data-check.js';
import { toSmarterBaseError, type SmarterBaseError } from './errors.js';
import { fromProtoDocument, type JsonObject, type StoredDocument } from './document.js';
import { toProtoExpiration, type Expiry, type ExpiryOption } from './expiry.js';
import type { Status } from './gen/google/rpc/status_pb.js';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type {
  BatchDeleteItem,
  BatchExistsResult,
  BatchWriteItemSchema,
  BatchWriteResult as ProtoBatchWriteResult,
} from './gen/smarterbase/v1/document_service_pb.js';

/** Options of a put item of batchWrite(). */
export interface BatchPutOptions extends ExpiryOption {
  /** Write only if no document has this id (DOCUMENT_ALREADY_EXISTS otherwise). Not with etag. */
  readonly createOnly?: boolean;
  /** Write only if the document's current etag is this one (ETAG_MISMATCH otherwise). */
  readonly etag?: string;
}

/** Options of a delete item of batchWrite() / batchDelete(). */
export interface BatchDeleteOptions {
  /** Delete only this version (ETAG_MISMATCH when stale, DOCUMENT_NOT_FOUND when gone). */
  readonly etag?: string;
}

/** A put item of batchWrite(); build it with put(). */
export interface BatchPutItem {
  /** Discriminates the item kind. */
  readonly kind: 'put';
  /** The document id. */
  readonly id: string;
  /** The complete new content. */
  readonly data: JsonObject;
  /** Create-only write. */
  readonly createOnly: boolean;
  /** Compare-and-swap etag, or "" for none. */
  readonly etag: string;
  /** When the written version expires; undefined: the collection's default. */
  readonly expiry: Expiry | undefined;
}

/** A delete item of batchWrite() / batchDelete(); build it with del(). */
export interface BatchDelItem {
  /** Discriminates the item kind. */
  readonly kind: 'delete';
  /** The document id. */
  readonly id: string;
  /** Delete only this version, or "" for any. */
  readonly etag: string;
}

/** One item of batchWrite(). */
export type BatchItem = BatchPutItem | BatchDelItem;

/**
 * Builds a put item of batchWrite(): upsert, or createOnly / compare-and-swap on etag.
 * Throws SmarterBaseError INVALID_ARGUMENT when data holds a key "__proto__" (see checkDataKeys).
 */
export function put(id: string, data: JsonObject, options?: BatchPutOptions): BatchPutItem {
  checkDataKeys(data);
  if (options?.createOnly && options.etag) throw new TypeError('put(): createOnly and etag are mutually exclusive');
  return { kind: 'put', id, data, createOnly: options?.createOnly ?? false, etag: options?.etag ?? '', expiry: options?.expiry };
}

/** Builds a delete item of batchWrite() / batchDelete() (named del because delete is reserved). */
export function del(id: string, options?: BatchDeleteOptions): BatchDelItem {
  return { kind: 'delete', id, etag: options?.etag ?? '' };
}

/** The outcome of one item of batchWrite() / batchDelete(), in request order. */
export interface BatchWriteResult<T extends JsonObject = JsonObject> {
  /** The item's document id. */
  readonly id: string;
  /** True when the item succeeded. */
  readonly ok: boolean;
  /** When the item failed: the error the single call would have raised (same code, reason, metadata). */
  readonly error: SmarterBaseError | undefined;
  /** For a successful put: the document as stored. */
  readonly document: StoredDocument<T> | undefined;
  /** For a successful delete: whether a document was deleted. */
  readonly deleted: boolean;
}

/** One answer of batchExists(), in request order. */
export interface BatchExistsItem {
  /** The id asked about. */
  readonly id: string;
  /** True when the document exists. */
  readonly exists: boolean;
  /** Its current etag when it exists, "" otherwise. */
  readonly etag: string;
}

/** Converts a builder item into the generated BatchWriteItem init shape. */
export function toProtoWriteItem(item: BatchItem): MessageInitShape<typeof BatchWriteItemSchema> {
  if (item.kind === 'put') {
    const { id, data, createOnly, etag } = item;
    return { operation: { case: 'put', value: { id, data, createOnly, etag, expiration: toProtoExpiration(item.expiry) } } };
  }
  return { operation: { case: 'delete', value: toProtoDeleteItem(item) } };
}

/** Converts a delete builder item into the generated BatchDeleteItem init shape. */
export function toProtoDeleteItem(item: BatchDelItem): Pick<BatchDeleteItem, 'id' | 'etag'> {
  if (item.kind !== 'delete') throw new TypeError(`batchDelete() takes del() items, got a ${String((item as BatchItem).kind)} item`);
  return { id: item.id, etag: item.etag };
}

/**
 * Decodes a per-item google.rpc.Status into the SmarterBaseError the single
 * call would raise (ErrorInfo, RetryInfo and BadRequest lifted the same
 * way); undefined for an OK (or absent) status.
 */
export function statusToError(status: Status | undefined): SmarterBaseError | undefined {
  if (!status || status.code === 0) return undefined; // 0 = OK
  const code = (status.code in Code ? status.code : Code.Unknown) as Code;
  const ce = new ConnectError(status.message, code);
  ce.details = status.details.map((any) => ({ type: any.typeUrl.slice(any.typeUrl.lastIndexOf('/') + 1), value: any.value }));
  return toSmarterBaseError(ce);
}

/** Converts one generated BatchWriteResult into a BatchWriteResult. */
export function fromProtoWriteResult<T extends JsonObject = JsonObject>(r: ProtoBatchWriteResult): BatchWriteResult<T> {
  const error = statusToError(r.status);
  return {
    id: r.id,
    ok: error === undefined,
    error,
    document: !error && r.document ? fromProtoDocument<T>(r.document) : undefined,
    deleted: !error && r.deleted,
  };
}

/** Converts one generated BatchExistsResult into a BatchExistsItem. */
export function fromProtoExistsResult(r: BatchExistsResult): BatchExistsItem {
  return { id: r.id, exists: r.exists, etag: r.etag };
}
