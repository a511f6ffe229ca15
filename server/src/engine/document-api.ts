import type { StoredDocument, ListedDocument } from '../model/document.js';
import type { JsonObject } from '../model/json.js';
import type { CallContext } from './call-context.js';
import type { LockGuardInput } from './lock-api.js';

/** Put: upsert, or create-only. */
export interface PutInput {
  readonly collection: string;
  readonly id: string;
  readonly data: JsonObject;
  /** When true, fail with DOCUMENT_ALREADY_EXISTS if the id is taken. */
  readonly createOnly?: boolean;
  /** Write only while this lock guard's token is the lock's latest grant (LOCK_NOT_HELD otherwise). */
  readonly lockGuard?: LockGuardInput;
}

/** PutIfMatch: compare-and-swap on the etag. */
export interface PutIfMatchInput {
  readonly collection: string;
  readonly id: string;
  readonly data: JsonObject;
  /** Required: the etag the document must still have. */
  readonly etag: string;
  /** Write only while this lock guard's token is the lock's latest grant (LOCK_NOT_HELD otherwise). */
  readonly lockGuard?: LockGuardInput;
}

/** Create: a new document; the id is assigned (UUIDv7) when absent or empty. */
export interface CreateInput {
  readonly collection: string;
  readonly id?: string;
  readonly data: JsonObject;
}

/** Delete, optionally conditional on the etag. */
export interface DeleteInput {
  readonly collection: string;
  readonly id: string;
  readonly etag?: string;
  /** Write only while this lock guard's token is the lock's latest grant (LOCK_NOT_HELD otherwise). */
  readonly lockGuard?: LockGuardInput;
}

/** List: one page of a collection in id order. */
export interface ListInput {
  readonly collection: string;
  /** 0 = default (100); at most 1000. */
  readonly pageSize?: number;
  readonly pageToken?: string;
  readonly idPrefix?: string;
  readonly keysOnly?: boolean;
}

/** One page of List. */
export interface ListResult {
  readonly documents: ListedDocument[];
  /** Empty when this is the last page. */
  readonly nextPageToken: string;
}

/** One answer of BatchGet. */
export interface BatchGetItem {
  readonly id: string;
  /** Undefined when the document does not exist. */
  readonly document?: StoredDocument;
}

/** The document operations the RPC layer calls. Errors are DbErrors. */
export interface DocumentApi {
  get(ctx: CallContext, collection: string, id: string): Promise<StoredDocument>;
  /** One item per id, in request order, fetched with bounded concurrency. */
  batchGet(ctx: CallContext, collection: string, ids: readonly string[]): AsyncIterable<BatchGetItem>;
  put(ctx: CallContext, input: PutInput): Promise<StoredDocument>;
  putIfMatch(ctx: CallContext, input: PutIfMatchInput): Promise<StoredDocument>;
  create(ctx: CallContext, input: CreateInput): Promise<StoredDocument>;
  /** True when a document was deleted. */
  delete(ctx: CallContext, input: DeleteInput): Promise<boolean>;
  /** Whether it exists, and its etag when it does. */
  exists(ctx: CallContext, collection: string, id: string): Promise<{ exists: boolean; etag?: string }>;
  list(ctx: CallContext, input: ListInput): Promise<ListResult>;
}
