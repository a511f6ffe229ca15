/**
 * The coordination mutexes of transactions (docs/transactions.md): one per
 * written document (`txn:<key>`, taken in key order so that transactions
 * never deadlock) and one per request_id (`txnreq:<hash>`). Correctness does
 * not rest on them (ADR 0006): they keep transactions from thrashing.
 */
import type { Coordinator, MutexHandle } from '../coordination/coordinator.js';
import { DbError, isDbError } from '../errors/db-error.js';

/** The mutexes of one CommitRunner. */
export class TxnMutexes {
  constructor(
    private readonly coordinator: Coordinator,
    /** The lease of every mutex, in ms (the transaction's time limit). */
    private readonly ttlMs: number,
    /** How long to wait for a document mutex another transaction holds, in ms. */
    private readonly lockWaitMs: number,
  ) {}

  /**
   * The transaction mutexes of `sorted` keys: first all at once without
   * waiting (one round trip when uncontended); when any is busy, those taken
   * are released and the keys are taken one by one in order, waiting (no
   * deadlock: every transaction waits only in key order).
   */
  async lockAll(sorted: readonly string[], signal: AbortSignal): Promise<MutexHandle[]> {
    const tries = await Promise.allSettled(sorted.map((key) => this.mutex(`txn:${key}`, 0, signal)));
    const taken = tries.flatMap((t) => (t.status === 'fulfilled' ? [t.value] : []));
    if (taken.length === sorted.length) return taken;
    await Promise.all(taken.map((h) => h.release()));
    const failed = tries.find((t): t is PromiseRejectedResult => t.status === 'rejected');
    if (failed !== undefined && !isDbError(failed.reason, 'TRANSACTION_CONTENTION')) throw failed.reason;
    const handles: MutexHandle[] = [];
    try {
      for (const key of sorted) handles.push(await this.mutex(`txn:${key}`, this.lockWaitMs, signal));
      return handles;
    } catch (e) {
      await Promise.all(handles.map((h) => h.release()));
      throw e;
    }
  }

  /** The mutex of a request_id's hash, waiting up to the lease. */
  lockRequest(hash: string, signal: AbortSignal): Promise<MutexHandle> {
    return this.mutex(`txnreq:${hash}`, this.ttlMs, signal);
  }

  private async mutex(name: string, waitMs: number, signal: AbortSignal): Promise<MutexHandle> {
    try {
      return await this.coordinator.acquireMutex(name, { ttlMs: this.ttlMs, waitMs, signal });
    } catch (e) {
      if (isDbError(e, 'CONCURRENT_MODIFICATION')) throw contention('the documents are held by other transactions');
      throw e;
    }
  }
}

/** ABORTED / TRANSACTION_CONTENTION with a short retry delay: the caller should retry the whole transaction. */
export function contention(message: string): DbError {
  return new DbError('aborted', 'TRANSACTION_CONTENTION', message, { retryDelayMs: 50 });
}
