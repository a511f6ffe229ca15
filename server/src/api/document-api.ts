import type { DbError } from '../errors/db-error.js';
import type { StoredDocument, ListedDocument } from '../model/document.js';
import type { JsonObject } from '../model/json.js';
import type { ExpirationInput } from '../model/expiration.js';
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
  /** When the written version expires; absent: the collection's default TTL, or never. */
  readonly expiration?: ExpirationInput;
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
  /** When the written version expires; absent: the collection's default TTL, or never. */
  readonly expiration?: ExpirationInput;
}

/** Create: a new document; the id is assigned (UUIDv7) when absent or empty. */
export interface CreateInput {
  readonly collection: string;
  readonly id?: string;
  readonly data: JsonObject;
  /** When the written version expires; absent: the collection's default TTL, or never. */
  readonly expiration?: ExpirationInput;
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

/** What a Delete did. */
export interface DeleteResult {
  /** True when a document was deleted. */
  readonly deleted: boolean;
  /** The delete's collection revision (its change in the feed), so a client can watch from its own write; 0 when nothing was deleted or no revision was taken. */
  readonly revision: number;
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

/** One item of batchWrite. */
export type BatchWriteOp =
  /** A put: upsert, create-only, or compare-and-swap on `etag` (not with createOnly). */
  | {
      readonly kind: 'put';
      readonly id: string;
      readonly data: JsonObject;
      readonly createOnly?: boolean;
      readonly etag?: string;
      readonly expiration?: ExpirationInput;
    }
  /** A delete, optionally only of the version with `etag`. */
  | { readonly kind: 'delete'; readonly id: string; readonly etag?: string };

/** The outcome of one batch item: an error, or the stored document (put) / whether it deleted (delete). */
export interface BatchWriteOutcome {
  readonly id: string;
  /** Set when the item failed, exactly as the single call would have failed. */
  readonly error?: DbError;
  readonly document?: StoredDocument;
  readonly deleted?: boolean;
}

/** One answer of batchExists. */
export interface BatchExistsItem {
  readonly id: string;
  readonly exists: boolean;
  readonly etag?: string;
}

/** A condition on a document's state at commit time. */
export type TxnPrecondition =
  /** true: the document must exist; false: it must not. */
  | { readonly exists: boolean }
  /** The document must exist with exactly this etag. */
  | { readonly etag: string };

/** One write of a transaction (Commit). */
export interface TxnWrite {
  readonly collection: string;
  readonly id: string;
  /** set: replace or create with `data`; delete; check: write nothing, only check the precondition. */
  readonly op: 'set' | 'delete' | 'check';
  /** The new content; required for set, absent otherwise. */
  readonly data?: JsonObject;
  readonly precondition?: TxnPrecondition;
  /** set only: when the written version expires; absent: the collection's default TTL, or never. */
  readonly expiration?: ExpirationInput;
}

/** Commit: up to 100 writes applied all-or-nothing (docs/transactions.md). */
export interface CommitInput {
  readonly writes: readonly TxnWrite[];
  /** Makes retries idempotent for 10 minutes (the first committed outcome is returned). */
  readonly requestId?: string;
  /** Commit only while this lock guard's token is the lock's latest grant (LOCK_NOT_HELD otherwise). */
  readonly lockGuard?: LockGuardInput;
}

/** The state of one written document after the commit. */
export interface TxnWriteResult {
  readonly collection: string;
  readonly id: string;
  /** The etag after the commit; '' when the document does not exist then. */
  readonly etag: string;
  /** The version after the commit; 0 when the document does not exist then. */
  readonly version: number;
}

/** The outcome of a committed transaction. */
export interface CommitResult {
  /** One per write, in request order. */
  readonly results: readonly TxnWriteResult[];
  readonly transactionId: string;
  /** The commit point, by this server's clock. */
  readonly commitTime: Date;
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
  /** Delete, with the revision of the delete (DeleteResponse.revision). */
  deleteWithRevision(ctx: CallContext, input: DeleteInput): Promise<DeleteResult>;
  /** Whether it exists, and its etag when it does. */
  exists(ctx: CallContext, collection: string, id: string): Promise<{ exists: boolean; etag?: string }>;
  list(ctx: CallContext, input: ListInput): Promise<ListResult>;
  /**
   * Up to maxBatchWriteItems puts/deletes of one collection, NOT atomic, run
   * with bounded concurrency; one outcome per item in request order. Whole-
   * request problems (bad collection, too many items, duplicate ids) throw.
   */
  batchWrite(ctx: CallContext, collection: string, ops: readonly BatchWriteOp[]): Promise<BatchWriteOutcome[]>;
  /** Existence (and etag) of up to maxBatchItems ids, in request order. */
  batchExists(ctx: CallContext, collection: string, ids: readonly string[]): Promise<BatchExistsItem[]>;
  /** Up to maxBatchWriteItems deletes, NOT atomic; one outcome per item in request order. */
  batchDelete(
    ctx: CallContext,
    collection: string,
    items: readonly { readonly id: string; readonly etag?: string }[],
  ): Promise<BatchWriteOutcome[]>;
  /**
   * Applies the writes atomically: every reader sees all or none. Throws
   * DbError aborted PRECONDITION_FAILED (with preconditionViolations) when a
   * precondition fails, aborted TRANSACTION_CONTENTION on contention, invalid
   * errors for malformed input. Nothing is written when it throws before the
   * commit point.
   */
  commit(ctx: CallContext, input: CommitInput): Promise<CommitResult>;
}
