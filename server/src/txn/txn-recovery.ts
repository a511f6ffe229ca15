/**
 * Recovery of transactions (docs/transactions.md): what a reader, a writer
 * or a sweeping server does when it meets a document marked by a transaction
 * (or an intent record) that its owner may not finish. A 'pending' intent
 * past its expiry is aborted (a conditional flip, so the owner's own commit
 * flip and the abort cannot both win) and rolled back; a 'committed' intent
 * is rolled forward; a marker whose intent is gone is an orphan of an
 * aborted transaction and is rolled back.
 */
import { backoffDelay } from '../common/backoff.js';
import { Failpoints } from '../common/failpoints.js';
import { systemClock, systemRandom, type Clock, type RandomSource } from '../common/clock.js';
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import type { CommitOutcome, CommitWriteResult } from './commit-types.js';
import type { Envelope } from '../format/envelope.js';
import type { CommittedWrite, WriteHooks } from '../api/write-hooks.js';
import type { StoredDocument } from '../model/document.js';
import { finalizeDoc, type FinalState, type StagedDoc } from './finalize.js';
import type { Intent, IntentStore, IntentWrite, StoredIntent } from './intent.js';
import type { RequestRecords } from './request-records.js';

/** The little of a logger recovery needs (a pino Logger fits). */
export interface RecoveryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** Options of TxnRecovery. */
export interface TxnRecoveryOptions {
  readonly store: BlobStore;
  readonly intents: IntentStore;
  readonly requests: RequestRecords;
  readonly hooks?: WriteHooks;
  /** How long a writer waits for a live transaction holding its document, in ms. Default 2000. */
  readonly writerWaitMs?: number;
  /** Intent expiry and the writer's waits. Default systemClock. */
  readonly clock?: Clock;
  /** The jitter of the writer's waits. Default systemRandom. */
  readonly random?: RandomSource;
  /** The engine's failpoints (txn.mid-apply, txn.after-apply, txn.after-index). Default: none armed. */
  readonly failpoints?: Failpoints;
  readonly log?: RecoveryLog;
}

/** What a reader should return for a marked document: a state, or 'reread' (it was just finished). */
export type ReadView = FinalState | 'reread';

/** Outcome of recover(). */
export type RecoverOutcome = 'committed' | 'aborted' | 'live' | 'gone';

/** Resolves documents and intents left by transactions. */
export class TxnRecovery {
  private readonly writerWaitMs: number;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly failpoints: Failpoints;

  constructor(private readonly o: TxnRecoveryOptions) {
    this.writerWaitMs = o.writerWaitMs ?? 2000;
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? systemRandom;
    this.failpoints = o.failpoints ?? new Failpoints();
  }

  /**
   * For a reader that found `staged` (a document of `write`'s key marked by
   * `txid`): the document's committed state. A live pending transaction
   * shows the pre-image (with its original etag); a live committed one is
   * finished for this document first; anything else is recovered fully and
   * the caller re-reads.
   */
  async viewForRead(txid: string, key: { collection: string; id: string }, staged: StagedDoc, signal?: AbortSignal): Promise<ReadView> {
    return (await this.resolve(txid, key, staged, signal)).view;
  }

  /**
   * For a writer that found a document marked by `txid`: returns once the
   * writer may re-read and try again. Waits (up to writerWaitMs) while the
   * transaction is live and pending; then DbError aborted TRANSACTION_CONTENTION.
   */
  async settleForWrite(txid: string, key: { collection: string; id: string }, staged: StagedDoc, signal?: AbortSignal): Promise<void> {
    const giveUpAt = this.clock.now() + this.writerWaitMs;
    for (let attempt = 0; ; attempt++) {
      if (!(await this.resolve(txid, key, staged, signal)).pending) return;
      if (this.clock.now() >= giveUpAt) {
        throw new DbError('aborted', 'TRANSACTION_CONTENTION', `document ${key.collection}/${key.id} is held by transaction ${txid}`, {
          metadata: { collection: key.collection, id: key.id },
          retryDelayMs: 100,
        });
      }
      await this.clock.sleep(backoffDelay(attempt, { baseMs: 5, maxMs: 100, random: () => this.random.random() }), signal);
    }
  }

  /**
   * What the intent of `txid` says of a document it marked: still pending
   * and live (the view is the pre-image), or finished for this document
   * (committed and live: finished forward here; anything else: recovered
   * fully, view 'reread').
   */
  private async resolve(
    txid: string,
    key: { collection: string; id: string },
    staged: StagedDoc,
    signal?: AbortSignal,
  ): Promise<{ readonly pending: boolean; readonly view: ReadView }> {
    const si = await this.o.intents.read(txid, signal);
    const write = si?.intent.writes.find((w) => w.collection === key.collection && w.id === key.id);
    if (si === undefined || write === undefined) {
      await this.finishOrphan(txid, key, staged, signal);
      return { pending: false, view: 'reread' };
    }
    const live = this.clock.now() < si.intent.expireTime.getTime();
    if (si.intent.state === 'pending' && live) {
      const view = staged.pre === null || write.beforeEtag === null ? undefined : { etag: write.beforeEtag, envelope: staged.pre };
      return { pending: true, view };
    }
    if (si.intent.state === 'committed' && live) {
      return { pending: false, view: await finalizeDoc(this.o.store, txid, write, 'forward', staged, signal) };
    }
    await this.recover(txid, signal);
    return { pending: false, view: 'reread' };
  }

  /**
   * Brings transaction `txid` to an end if nobody else may: a pending intent
   * past its expiry is aborted then rolled back, an aborted one rolled back,
   * a committed one rolled forward (documents, indexes, request record);
   * then the intent is deleted. 'live': pending and not expired (untouched).
   */
  async recover(txid: string, signal?: AbortSignal): Promise<RecoverOutcome> {
    for (;;) {
      const si = await this.o.intents.read(txid, signal);
      if (si === undefined) return 'gone';
      const { intent } = si;
      if (intent.state === 'pending') {
        if (this.clock.now() < intent.expireTime.getTime()) return 'live';
        try {
          await this.o.intents.transition(si, 'aborted', signal);
          this.o.log?.warn({ txid }, 'aborted an abandoned transaction');
        } catch (e) {
          if (!(e instanceof ConditionFailedError)) throw e;
        }
        continue; // re-read: aborted by us, or committed by its owner just in time
      }
      if (intent.state === 'aborted') {
        await this.rollBack(si, undefined, signal);
        return 'aborted';
      }
      await this.rollForward(si, undefined, signal);
      return 'committed';
    }
  }

  /**
   * Rolls back every document of an aborted (or never committed) intent,
   * then deletes the intent. `staged`: what the owner staged, by write index.
   */
  async rollBack(si: StoredIntent, staged: ReadonlyMap<number, StagedDoc> | undefined, signal?: AbortSignal): Promise<void> {
    const { intent } = si;
    await Promise.all(intent.writes.map((w, i) => finalizeDoc(this.o.store, intent.txid, w, 'back', staged?.get(i), signal)));
    await this.o.intents.remove(intent.txid, signal);
  }

  /**
   * Rolls every document of a committed intent forward, re-applies its index
   * changes (ignored when already applied or superseded: they carry the
   * write's seq), completes the request record, and deletes the intent.
   * Returns the commit's result as these documents now stand.
   */
  async rollForward(si: StoredIntent, staged: ReadonlyMap<number, StagedDoc> | undefined, signal?: AbortSignal): Promise<CommitOutcome> {
    const result = await this.applyCommitted(si, staged, signal);
    await this.cleanUp(si.intent, result, signal);
    return result;
  }

  /**
   * The part of rollForward a Commit's answer needs: every document of the
   * committed intent finished forward and its index changes applied.
   * Returns the commit's result as these documents now stand; the intent and
   * the request record are left for cleanUp (docs/adr/0011).
   */
  async applyCommitted(si: StoredIntent, staged: ReadonlyMap<number, StagedDoc> | undefined, signal?: AbortSignal): Promise<CommitOutcome> {
    const { intent } = si;
    const states = await Promise.all(
      intent.writes.map(async (w, i) => {
        const state = await finalizeDoc(this.o.store, intent.txid, w, 'forward', staged?.get(i), signal);
        if (i === 0) this.failpoints.hit('txn.mid-apply');
        return state;
      }),
    );
    this.failpoints.hit('txn.after-apply');
    await this.reindex(intent, states);
    this.failpoints.hit('txn.after-index');
    return {
      results: intent.writes.map((w, i) => resultOf(w, states[i])),
      transactionId: intent.txid,
      commitTime: intent.createTime,
    };
  }

  /**
   * What is left of a committed transaction once applyCommitted returned:
   * records `result` in its request record (before the intent goes, so a
   * retry always finds either the result or the committed intent), then
   * deletes the intent.
   */
  async cleanUp(intent: Intent, result: CommitOutcome, signal?: AbortSignal): Promise<void> {
    if (intent.requestKey !== undefined) await this.o.requests.complete(intent.requestKey, intent.txid, result, signal);
    await this.o.intents.remove(intent.txid, signal);
  }

  /** Recovers every intent that is not live (start-up and periodic sweep); counts the outcomes. */
  async sweep(signal?: AbortSignal): Promise<Record<RecoverOutcome, number>> {
    const counts: Record<RecoverOutcome, number> = { committed: 0, aborted: 0, live: 0, gone: 0 };
    for (const txid of await this.o.intents.list(signal)) {
      try {
        counts[await this.recover(txid, signal)]++;
      } catch (err) {
        this.o.log?.warn({ err, txid }, 'transaction recovery failed; it is retried on the next sweep or read');
      }
    }
    await this.o.requests.sweep(signal);
    return counts;
  }

  /** A marker whose intent is gone (or does not name the document): its transaction never committed. */
  private async finishOrphan(
    txid: string,
    key: { collection: string; id: string },
    staged: StagedDoc,
    signal?: AbortSignal,
  ): Promise<void> {
    const write: IntentWrite = { collection: key.collection, id: key.id, op: 'check', beforeEtag: null };
    await finalizeDoc(this.o.store, txid, write, 'back', staged, signal);
  }

  /** The index changes of the written documents, one atomic step per collection. */
  private async reindex(intent: Intent, states: readonly FinalState[]): Promise<void> {
    if (this.o.hooks === undefined) return;
    const changes = intent.writes.flatMap((w, i): CommittedWrite[] => {
      if (w.seq === undefined || w.op === 'check') return [];
      const state = states[i];
      const document = w.op === 'set' && state !== undefined ? storedDocument(w, state) : undefined;
      return [
        {
          collection: w.collection,
          id: w.id,
          data: w.op === 'set' ? w.after!.data : null,
          seq: w.seq,
          txid: intent.txid,
          commitTime: intent.createTime,
          ...(w.prevSeq === undefined ? {} : { prevSeq: w.prevSeq }),
          ...(document === undefined ? {} : { document }),
        },
      ];
    });
    if (changes.length > 0) await this.o.hooks.applyCommitted(changes);
  }
}

/** The document a set left, as the hooks receive it. */
function storedDocument(w: IntentWrite, state: NonNullable<FinalState>): StoredDocument {
  const { meta, data } = state.envelope;
  return {
    collection: w.collection,
    id: w.id,
    data,
    etag: state.etag,
    version: meta.version,
    createTime: meta.createTime,
    updateTime: meta.updateTime,
    revision: meta.seq ?? 0,
    ...(meta.expireTime === undefined ? {} : { expireTime: meta.expireTime }),
  };
}

/** The result entry of one write from its final state. */
export function resultOf(w: IntentWrite, state: FinalState): CommitWriteResult {
  return state === undefined
    ? { collection: w.collection, id: w.id, etag: '', version: 0 }
    : { collection: w.collection, id: w.id, etag: state.etag, version: versionOf(state.envelope) };
}

function versionOf(env: Envelope): number {
  return env.meta.version;
}
