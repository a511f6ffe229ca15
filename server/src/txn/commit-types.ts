/**
 * The transaction part's own types: what a Commit asks for and what it
 * returns. The RPC-facing DocumentApi (api/document-api.ts) has the same
 * shapes, so the engine hands its input and result through unchanged; the
 * part does not depend on that contract.
 */
import type { LockGuardInput } from '../api/lock-api.js';
import type { JsonObject } from '../model/json.js';

/** A condition on a document's state at commit time: it exists (or not), or has exactly this etag. */
export type WritePrecondition = { readonly exists: boolean } | { readonly etag: string };

/** One write of a transaction. */
export interface CommitWrite {
  readonly collection: string;
  readonly id: string;
  /** set: replace or create with `data`; delete; check: write nothing, only check the precondition. */
  readonly op: 'set' | 'delete' | 'check';
  /** The new content; required for set, absent otherwise. */
  readonly data?: JsonObject;
  readonly precondition?: WritePrecondition;
  /** set only: when the written version expires (resolved by the engine before the commit); absent: never. */
  readonly expireTime?: Date;
}

/** A Commit: up to 100 writes applied all-or-nothing (docs/transactions.md). */
export interface CommitRequest {
  readonly writes: readonly CommitWrite[];
  /** Makes retries idempotent for 10 minutes (the first committed outcome is returned). */
  readonly requestId?: string;
  /** Commit only while this lock guard's token is the lock's latest grant (LOCK_NOT_HELD otherwise). */
  readonly lockGuard?: LockGuardInput;
}

/** The state of one written document after the commit. */
export interface CommitWriteResult {
  readonly collection: string;
  readonly id: string;
  /** The etag after the commit; '' when the document does not exist then. */
  readonly etag: string;
  /** The version after the commit; 0 when the document does not exist then. */
  readonly version: number;
}

/** The outcome of a committed transaction. */
export interface CommitOutcome {
  /** One per write, in request order. */
  readonly results: readonly CommitWriteResult[];
  readonly transactionId: string;
  /** The commit point, by this server's clock. */
  readonly commitTime: Date;
}
