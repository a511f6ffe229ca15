/**
 * Reads documents as committed (docs/transactions.md): a stored object that
 * carries a transaction's marker is resolved through the transaction's
 * intent before it is returned, so no reader ever sees half of a
 * transaction and no writer ever writes over a staged document.
 */
import { DbError } from '../errors/db-error.js';
import type { BlobStore } from '../storage/blob-store.js';
import { decodeEnvelope, type DocState } from '../format/envelope.js';
import { stagedOf } from '../txn/finalize.js';
import type { TxnRecovery } from '../txn/txn-recovery.js';
import type { WriteReader } from '../txn/txn-ports.js';
import type { VersionCache } from './version-cache.js';
import type { ExpiryPolicy } from './expiry-policy.js';
import { documentKey } from '../format/bucket-layout.js';

/** How many times a read re-reads after a transaction was finished under it. */
const MAX_ROUNDS = 8;

/** Transaction-aware reads over a BlobStore. */
export class DocumentReader implements WriteReader {
  constructor(
    private readonly store: BlobStore,
    private readonly recovery: TxnRecovery,
    private readonly known?: VersionCache,
    private readonly expiry?: ExpiryPolicy,
  ) {}

  /**
   * The document as every reader must see it; undefined when it does not
   * exist. A document staged by a live pending transaction reads as before
   * the transaction (with its etag from before); one of a committed
   * transaction as after it.
   */
  async read(collection: string, id: string, signal?: AbortSignal): Promise<DocState | undefined> {
    const key = documentKey(collection, id);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const blob = await this.store.get(key, signal);
      if (blob === undefined) return undefined;
      const env = decodeEnvelope(blob.body, key);
      const txid = env.meta.txn;
      if (txid === undefined) {
        if (this.live(collection, id, { etag: blob.etag, env }) === undefined) return undefined;
        this.known?.remember(key, blob.etag, env.meta);
        return { etag: blob.etag, env };
      }
      const view = await this.recovery.viewForRead(txid, { collection, id }, stagedOf(blob.etag, env), signal);
      if (view === undefined) return undefined;
      if (view !== 'reread') return this.live(collection, id, { etag: view.etag, env: view.envelope });
    }
    throw held(collection, id);
  }

  /** `state` unless it expired (without an expiry policy, every version is live). */
  private live(collection: string, id: string, state: DocState): DocState | undefined {
    return this.expiry === undefined ? state : this.expiry.live(collection, id, state);
  }

  /**
   * The document's stored state with no transaction on it, for a writer
   * about to write over it: a marked document's transaction is finished
   * first (or waited for, up to the recovery's writer wait). An expired
   * version is returned as stored: the writer treats it as absent but
   * writes over its etag, so a concurrent purge loses.
   */
  async readForWrite(collection: string, id: string, signal?: AbortSignal): Promise<DocState | undefined> {
    const key = documentKey(collection, id);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const blob = await this.store.get(key, signal);
      if (blob === undefined) return undefined;
      const env = decodeEnvelope(blob.body, key);
      if (env.meta.txn === undefined) return { etag: blob.etag, env };
      await this.recovery.settleForWrite(env.meta.txn, { collection, id }, stagedOf(blob.etag, env), signal);
    }
    throw held(collection, id);
  }
}

function held(collection: string, id: string): DbError {
  return new DbError('aborted', 'TRANSACTION_CONTENTION', `document ${collection}/${id} keeps changing under transactions`, {
    metadata: { collection, id },
    retryDelayMs: 100,
  });
}
