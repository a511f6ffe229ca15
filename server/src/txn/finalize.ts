/**
 * Takes one document out of a transaction's staged state (docs/transactions.md):
 * forward writes what the transaction wrote, back restores the pre-image the
 * staged object kept. Every step is a conditional write on the staged etag,
 * so racing finalizers (the owner, a reader, a recovering server) finish the
 * document exactly once, and a document that no longer carries the
 * transaction's marker is never touched.
 */
import { throwIfAborted } from '../common/abort.js';
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import { decodeEnvelope, encodeEnvelope, withoutTxn, type Envelope } from '../format/envelope.js';
import type { IntentWrite } from './intent.js';
import { documentKey } from '../format/bucket-layout.js';

/** Which way to finish a document. */
export type Direction = 'forward' | 'back';

/** A staged document as its stager or a reader saw it. */
export interface StagedDoc {
  /** The staged object's etag. */
  readonly etag: string;
  /** The document before the transaction (its envelope without the marker); null when it did not exist. */
  readonly pre: Envelope | null;
}

/** What a marked object says about itself: its etag and the pre-image it keeps (null for a placeholder). */
export function stagedOf(etag: string, env: Envelope): StagedDoc {
  return { etag, pre: env.meta.absent === true ? null : { meta: withoutTxn(env.meta), data: env.data } };
}

/** The document after finalizing: its etag and envelope, or undefined when it does not exist. */
export type FinalState = { readonly etag: string; readonly envelope: Envelope } | undefined;

/** How many times a finalizer re-reads after losing a race before giving up. */
const MAX_ROUNDS = 8;

/**
 * Finishes `write` of transaction `txid` in direction `dir`. `staged` (from
 * the caller's own staging or read) saves the first read. Returns the
 * document's state afterwards (when another party finished it, the state it
 * left).
 */
export async function finalizeDoc(
  store: BlobStore,
  txid: string,
  write: IntentWrite,
  dir: Direction,
  staged: StagedDoc | undefined,
  signal?: AbortSignal,
): Promise<FinalState> {
  const key = documentKey(write.collection, write.id);
  let known = staged;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    throwIfAborted(signal);
    if (known === undefined) {
      const blob = await store.get(key, signal);
      if (blob === undefined) return undefined;
      const env = decodeEnvelope(blob.body, key);
      if (env.meta.txn !== txid) return env.meta.absent === true ? undefined : { etag: blob.etag, envelope: env };
      known = stagedOf(blob.etag, env);
    }
    const target = dir === 'forward' && write.op !== 'check' ? targetOf(write) : known.pre;
    try {
      if (target === null) {
        await store.delete(key, { ifMatch: known.etag }, signal);
        return undefined;
      }
      const { etag } = await store.put(key, encodeEnvelope(target), { ifMatch: known.etag }, signal);
      return { etag, envelope: target };
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
      known = undefined; // someone else finished it (or it moved on): look again
    }
  }
  throw new DbError('aborted', 'TRANSACTION_CONTENTION', `could not finish transaction ${txid} on ${key}`, {
    metadata: { collection: write.collection, id: write.id },
    retryDelayMs: 100,
  });
}

/** What a forward finish writes: the after-image of a set, nothing (null) for a delete. */
function targetOf(write: IntentWrite): Envelope | null {
  if (write.op === 'delete') return null;
  if (write.after === undefined) throw new Error(`set without after-image for ${write.collection}/${write.id}`);
  return write.after;
}
