/**
 * DocumentService.Commit (docs/transactions.md): up to 100 writes applied
 * all-or-nothing over a BlobStore that is atomic per object only.
 *
 *   1. take the documents' transaction mutexes in key order (no deadlock);
 *   2. read every document (settling other transactions met on the way) and
 *      check every precondition; prepare the index writes;
 *   3. write the intent record (pending), then stage every document: its
 *      pre-image plus a marker naming the intent, a conditional write on the
 *      etag read in 2 (a placeholder for an absent document);
 *   4. check the lock guard; flip the intent to committed — THE commit point;
 *   5. roll forward: write every document's final state, apply the index
 *      changes — and answer; the request record's completion and the intent's
 *      deletion run after the answer, on the cleanup queue (cleanup-queue.ts,
 *      docs/adr/0011).
 *
 * A crash before 4 leaves a pending intent that expires and is rolled back;
 * after 4, a committed intent that any reader, writer or sweep rolls forward.
 */
import { v7 as uuidv7 } from 'uuid';
import { backoffDelay } from '../common/backoff.js';
import { Failpoints } from '../common/failpoints.js';
import { systemClock, systemRandom, type Clock, type RandomSource } from '../common/clock.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import type { CallContext } from '../api/call-context.js';
import { encodeEnvelope, newWriteId, withoutTxn, type Envelope } from '../format/envelope.js';
import type { PreparedWrite, WriteHooks } from '../api/write-hooks.js';
import type { CommitOutcome, CommitRequest, CommitWrite } from './commit-types.js';
import type { TxnWriter, WriteReader } from './txn-ports.js';
import type { StagedDoc } from './finalize.js';
import { type IntentStore, type StoredIntent } from './intent.js';
import { fingerprintOf, validateCommit } from './commit-input.js';
import { intentWrite, liveAt, preconditionViolations, type Current } from './commit-plan.js';
import { requestHash, type RequestRecords } from './request-records.js';
import type { TxnRecovery } from './txn-recovery.js';
import { commitSingle } from './single-write.js';
import { CommitOutcomeUnknown, flipToCommitted, unknownOutcomeError } from './commit-point.js';
import { CleanupQueue } from './cleanup-queue.js';
import { TxnMutexes, contention } from './txn-mutexes.js';
import { priorOutcome } from './prior-outcome.js';

/** What CommitRunner needs. */
export interface CommitRunnerOptions {
  readonly store: BlobStore;
  /** Reads each document as its writer must: another transaction on it settled first. */
  readonly reader: WriteReader;
  readonly coordinator: Coordinator;
  readonly intents: IntentStore;
  readonly requests: RequestRecords;
  readonly recovery: TxnRecovery;
  readonly hooks?: WriteHooks;
  /**
   * The single-document write path: checks lock guards, encodes final
   * documents (refusing one over the size limit), forgets the remembered
   * version of every key a transaction touches, and runs a Commit of one
   * write without a request_id as a plain conditional write (single-write.ts).
   */
  readonly writer: TxnWriter;
  /** false: every Commit takes the full protocol, even one write without a request_id. Default true. */
  readonly singleWrites?: boolean;
  /** A transaction's time limit, in ms: mutex lease and intent expiry. Default 30 000. */
  readonly timeoutMs?: number;
  /** How long to wait for a document another transaction holds, in ms. Default 5 000. */
  readonly lockWaitMs?: number;
  /** How many times a commit is retried after losing a race before TRANSACTION_CONTENTION. Default 5. */
  readonly maxAttempts?: number;
  /** Write times, intent expiry and retry waits. Default systemClock. */
  readonly clock?: Clock;
  /** The jitter of retry waits. Default systemRandom. */
  readonly random?: RandomSource;
  /** The engine's failpoints (txn.after-lock … txn.after-response). Default: none armed. */
  readonly failpoints?: Failpoints;
  /** Where the cleanup after the answer runs (intent delete, request record). Default: a queue of its own, default bound. */
  readonly cleanups?: CleanupQueue;
}

/** Lost a race while staging: the attempt was undone and may be retried. */
class StagingConflict extends Error {}

/** Runs Commit requests. */
export class CommitRunner {
  private readonly timeoutMs: number;
  private readonly lockWaitMs: number;
  private readonly maxAttempts: number;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly failpoints: Failpoints;
  private readonly cleanups: CleanupQueue;
  private readonly mutexes: TxnMutexes;

  constructor(private readonly o: CommitRunnerOptions) {
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.lockWaitMs = o.lockWaitMs ?? 5_000;
    this.maxAttempts = o.maxAttempts ?? 5;
    this.clock = o.clock ?? systemClock;
    this.random = o.random ?? systemRandom;
    this.failpoints = o.failpoints ?? new Failpoints();
    this.cleanups = o.cleanups ?? new CleanupQueue();
    this.mutexes = new TxnMutexes(o.coordinator, this.timeoutMs, this.lockWaitMs);
  }

  /** Validates and runs one Commit (see DocumentApi.commit). */
  async commit(ctx: CallContext, input: CommitRequest): Promise<CommitOutcome> {
    const keys = validateCommit(input);
    if (input.requestId === undefined || input.requestId === '') {
      // One document is atomic by itself: no intent, one conditional write (single-write.ts).
      if (input.writes.length === 1 && this.o.singleWrites !== false) {
        return commitSingle(this.o.writer, () => this.clock.date(), ctx, input.writes[0]!, input.lockGuard);
      }
      return this.withRetries(ctx, input, keys, undefined);
    }
    const hash = requestHash(input.requestId);
    const handle = await this.mutexes.lockRequest(hash, ctx.signal);
    try {
      const fingerprint = fingerprintOf(input.writes);
      // Looked up while the documents are locked and read (one round trip fewer); attempt() waits for it.
      const prior = priorOutcome(this.o.requests, this.o.recovery, { hash, fingerprint, requestId: input.requestId }, ctx.signal);
      prior.catch(() => undefined); // handled where awaited; never an unhandled rejection when the attempt fails first
      return await this.withRetries(ctx, input, keys, { key: this.o.requests.keyFor(hash), fingerprint, prior });
    } finally {
      await handle.release();
    }
  }

  private async withRetries(ctx: CallContext, input: CommitRequest, keys: string[], req: Req | undefined): Promise<CommitOutcome> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(ctx, input, keys, req);
      } catch (e) {
        if (!(e instanceof StagingConflict)) throw e;
        if (attempt + 1 >= this.maxAttempts) throw contention('documents kept changing while the transaction was prepared');
        await this.clock.sleep(backoffDelay(attempt, { baseMs: 10, maxMs: 200, random: () => this.random.random() }), ctx.signal);
      }
    }
  }

  private async attempt(ctx: CallContext, input: CommitRequest, keys: string[], req: Req | undefined): Promise<CommitOutcome> {
    const { signal } = ctx;
    const handles = await this.mutexes.lockAll([...new Set(keys)].sort(), signal).catch(async (e: unknown) => {
      const prior = await req?.prior;
      if (prior !== undefined) return prior; // a retry of a committed request answers even while its documents are held
      throw e;
    });
    if (!Array.isArray(handles)) return handles;
    try {
      this.failpoints.hit('txn.after-lock');
      const reads = Promise.all(input.writes.map((w) => this.o.reader.readForWrite(w.collection, w.id, signal)));
      const [prior, read] = await Promise.allSettled([req?.prior, reads]);
      if (prior.status === 'rejected') throw prior.reason;
      if (prior.value !== undefined) return prior.value; // an earlier attempt committed: its answer, not this state's
      if (read.status === 'rejected') throw read.reason;
      const current = read.value;
      const nowMs = this.clock.now();
      const violations = preconditionViolations(
        input.writes,
        current.map((c) => liveAt(c, nowMs)),
      );
      if (violations.length > 0) {
        throw new DbError('aborted', 'PRECONDITION_FAILED', `${violations.length} precondition(s) of the transaction failed`, {
          preconditionViolations: violations,
          metadata: { failed: String(violations.length) },
        });
      }
      const txid = uuidv7(); // known before the hooks prepare: the feed keeps it with each revision
      const prepared = await this.prepareIndexes(input.writes, current, signal, txid);
      return await this.stageAndCommit(ctx, input, keys, current, prepared, req, txid);
    } finally {
      await Promise.all(handles.map((h) => h.release()));
    }
  }

  private async stageAndCommit(
    ctx: CallContext,
    input: CommitRequest,
    keys: string[],
    current: Current[],
    prepared: (PreparedWrite | undefined)[],
    req: Req | undefined,
    txid: string,
  ): Promise<CommitOutcome> {
    const { signal } = ctx;
    const now = this.clock.date();
    const writes = input.writes.map((w, i) => intentWrite(w, current[i], prepared[i]?.seq, now));
    for (const w of writes) if (w.after !== undefined) this.o.writer.encode(w.after); // size check before anything is written
    let si: StoredIntent | undefined;
    const staged = new Map<number, StagedDoc>();
    let recordWritten = false;
    try {
      si = await this.o.intents.create(
        {
          txid,
          state: 'pending',
          createTime: now,
          expireTime: new Date(now.getTime() + this.timeoutMs),
          writes,
          ...(req ? { requestKey: req.key } : {}),
        },
        signal,
      );
      this.failpoints.hit('txn.after-intent');
      // The request record only has to exist before the commit point (a record whose txid never
      // committed is removed by the next retry), so it is written beside the staging writes.
      const record =
        req &&
        this.o.requests.write(req.key, { fingerprint: req.fingerprint, txid, createTime: now }, signal).then(() => {
          recordWritten = true;
        });
      // Every write settles before a failure is thrown: a record write landing after a retry's would point at this attempt.
      await allSettledOrThrow([...writes.map((w, i) => this.stage(txid, keys[i]!, current[i], staged, i, signal)), record]);
      this.failpoints.hit('txn.after-stage');
      if (input.lockGuard !== undefined) await this.o.writer.checkFence(input.lockGuard, signal);
      try {
        si = await flipToCommitted(this.o.intents, si, signal);
      } catch (e) {
        if (e instanceof ConditionFailedError) throw contention('another server aborted this transaction as abandoned');
        throw e;
      }
    } catch (e) {
      // The flip may have landed: undoing could roll back a committed transaction. Recovery finishes it.
      if (e instanceof CommitOutcomeUnknown) throw unknownOutcomeError(e);
      await this.undo(si, staged, prepared, recordWritten ? req?.key : undefined);
      if (e instanceof ConditionFailedError) throw new StagingConflict();
      throw e;
    }
    this.failpoints.hit('txn.after-commit-point');
    // Committed: finish even if the caller goes away now (no signal), so the response is the truth.
    const result = await this.o.recovery.applyCommitted(si, staged);
    // The answer needs no more: the request record and the intent are finished after it (ADR 0011).
    const intent = si.intent;
    await this.cleanups.run(
      async (stop) => {
        await this.failpoints.reached('txn.after-response');
        await this.o.recovery.cleanUp(intent, result, stop);
      },
      { txid },
    );
    return result;
  }

  /** Stages document i: its pre-image (or a placeholder) with the marker, only over the version read. */
  private async stage(
    txid: string,
    key: string,
    cur: Current,
    staged: Map<number, StagedDoc>,
    i: number,
    signal: AbortSignal,
  ): Promise<void> {
    const pre = cur === undefined ? null : { meta: withoutTxn(cur.env.meta), data: cur.env.data };
    const now = this.clock.date();
    const marked: Envelope =
      pre === null
        ? { meta: { version: 1, createTime: now, updateTime: now, writeId: newWriteId(), txn: txid, absent: true }, data: {} }
        : { meta: { ...pre.meta, txn: txid }, data: pre.data };
    this.o.writer.forget(key);
    const { etag } = await this.o.store.put(
      key,
      encodeEnvelope(marked),
      cur === undefined ? { ifNoneMatch: true } : { ifMatch: cur.etag },
      signal,
    );
    staged.set(i, { etag, pre });
    if (i === 0) this.failpoints.hit('txn.mid-stage');
  }

  /**
   * Undoes an attempt that did not reach the commit point; failures are left
   * to recovery (the intent expires). `record`: this attempt's request record
   * key when it was written (removed too: the request_id's mutex is held).
   */
  private async undo(
    si: StoredIntent | undefined,
    staged: Map<number, StagedDoc>,
    prepared: (PreparedWrite | undefined)[],
    record: string | undefined,
  ): Promise<void> {
    await Promise.all(prepared.map((p) => (p === undefined ? undefined : this.o.hooks!.abort(p))));
    if (si === undefined) return;
    try {
      const aborted = await this.o.intents.transition(si, 'aborted').catch((e: unknown) => {
        if (e instanceof ConditionFailedError) return si!; // already aborted by a recovering server
        throw e;
      });
      await this.o.recovery.rollBack(aborted, staged);
      if (record !== undefined) await this.o.requests.remove(record);
    } catch {
      // Unreachable backend: the pending intent expires and recovery rolls it back; a record left names
      // a transaction that never committed, which the next retry of the request_id removes.
    }
  }

  /** Index preparation (unique reservations, seqs) for every write that changes a document. */
  private async prepareIndexes(
    writes: readonly CommitWrite[],
    current: Current[],
    signal: AbortSignal,
    txid: string,
  ): Promise<(PreparedWrite | undefined)[]> {
    const hooks = this.o.hooks;
    if (hooks === undefined) return writes.map(() => undefined);
    const settled = await Promise.allSettled(
      writes.map((w, i) => {
        if (w.op === 'check' || (w.op === 'delete' && current[i] === undefined)) return Promise.resolve(undefined);
        return hooks.prepare(w.collection, w.id, w.op === 'set' ? w.data! : null, signal, { prevSeq: current[i]?.env.meta.seq ?? 0, txid });
      }),
    );
    const failed = settled.find((s) => s.status === 'rejected');
    const prepared = settled.map((s) => (s.status === 'fulfilled' ? s.value : undefined));
    if (failed === undefined) return prepared;
    await Promise.all(prepared.map((p) => (p === undefined ? undefined : hooks.abort(p))));
    throw failed.reason;
  }
}

/** A request_id being run: its record key, fingerprint, and what was found of an earlier attempt. */
interface Req {
  readonly key: string;
  readonly fingerprint: string;
  readonly prior: Promise<CommitOutcome | undefined>;
}

/** Waits for every promise to settle, then throws the first rejection (if any). */
async function allSettledOrThrow(promises: readonly (Promise<unknown> | undefined)[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}
