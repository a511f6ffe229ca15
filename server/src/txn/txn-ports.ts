/**
 * What the transaction part needs from the single-document side, declared
 * here so that txn/ depends on no engine code: the engine passes its
 * DocumentReader and DocumentWriter, which implement these.
 */
import type { CallContext } from '../api/call-context.js';
import type { LockGuardInput } from '../api/lock-api.js';
import type { DocState, Envelope } from '../format/envelope.js';
import type { JsonObject } from '../model/json.js';

/** Reads a document as its writer must: a transaction met on it is settled first. */
export interface WriteReader {
  /** The document's state with no transaction on it; undefined when absent. */
  readForWrite(collection: string, id: string, signal?: AbortSignal): Promise<DocState | undefined>;
}

/** What checkedWrite does to the document it read. */
export type CheckedOp =
  { readonly kind: 'set'; readonly data: JsonObject; readonly expireTime?: Date } | { readonly kind: 'delete' | 'check' };

/** The single-document write path, as a transaction uses it. */
export interface TxnWriter {
  /** Resolves when the guard's token is the lock's latest grant; throws LOCK_NOT_HELD (or INVALID_ARGUMENT when guards are not checked). */
  checkFence(guard: LockGuardInput, signal: AbortSignal): Promise<void>;
  /** Encodes an envelope, refusing one over the size limit (DOCUMENT_TOO_LARGE). */
  encode(envelope: Envelope): Uint8Array;
  /** Forgets what is remembered of `key`'s version (a transaction is about to change it). */
  forget(key: string): void;
  /**
   * Reads the document (settling a transaction on it), lets `check` refuse
   * it, then sets, deletes or only checks exactly that version; the state
   * after, or undefined when the document does not exist then.
   */
  writeChecked(
    ctx: CallContext,
    collection: string,
    id: string,
    op: CheckedOp,
    check: (current: { etag: string } | undefined) => void,
    guard?: LockGuardInput,
  ): Promise<{ etag: string; version: number } | undefined>;
}
