/**
 * The writer side of logs (docs/adr/0013 §9–§10): per log, a queue of
 * validated append requests and one flush at a time. A flush takes what is
 * queued (up to the batch limits; no timer: the next batch accumulates while
 * one is written), takes the coordinator mutex `log:<name>` whose memo
 * `n:<next>` is the tail, drops requests whose id is already committed,
 * assigns the next sequences in queue order and PUTs the chunk create-only.
 *
 * Failure cases: a failed condition means an earlier holder's PUT whose
 * outcome it did not know landed: index that chunk, move past it, retry the
 * batch. Any other failure (the PUT's outcome unknown): release without a
 * memo and fail the batch with UNAVAILABLE; the next holder finds the tail in
 * storage — the chunks from the request index's mark on (every chunk below
 * it is known to be stored and indexed), or with a lost index the full
 * listing and a rebuild — so sequences stay dense and each key holds one batch.
 */
import type { Clock } from '../common/clock.js';
import type { Failpoints } from '../common/failpoints.js';
import type { Coordinator, MutexHandle } from '../coordination/coordinator.js';
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import type { ChunkCache } from './chunk-cache.js';
import { encodeChunk, type Chunk, type RidRecord } from './chunk-format.js';
import { indexChunksFrom, rebuildIndex, type IndexSyncDeps } from './log-index-sync.js';
import { chunkKey } from './log-name.js';
import type { LogNotifier } from './log-notifier.js';
import { findTail } from './log-tail.js';
import type { RequestIndex } from './request-index.js';

/** One validated append waiting for its batch. */
export interface PendingAppend {
  readonly lines: readonly string[];
  /** UTF-8 bytes of the lines. */
  readonly bytes: number;
  readonly requestId?: string;
  /** SHA-256 of the lines (with a request id). */
  readonly sha?: string;
}

/** Where an append's lines are. */
export interface AppendOutcome {
  readonly first: number;
  readonly last: number;
  readonly deduplicated: boolean;
}

/** What the flusher needs. */
export interface LogFlusherOptions {
  readonly store: BlobStore;
  readonly coordinator: Coordinator;
  readonly index: RequestIndex;
  readonly clock: Clock;
  readonly cache: ChunkCache;
  readonly notifier: LogNotifier;
  readonly failpoints?: Failpoints;
  /** Most lines per chunk. */
  readonly batchMaxLines: number;
  /** Most line bytes per chunk. */
  readonly batchMaxBytes: number;
  /** How long request ids are remembered, in ms. */
  readonly requestIdWindowMs: number;
  /** The writer mutex's lease and longest wait, in ms. */
  readonly mutexTtlMs?: number;
  /** Receives failures that do not fail an append (an index write after the chunk landed). */
  readonly onWarning?: (err: unknown, msg: string) => void;
  /** Told after each chunk landed (its log and line bytes): the compactor's trigger. */
  readonly onFlushed?: (log: string, bytes: number) => void;
}

interface Queued {
  readonly req: PendingAppend;
  readonly signal?: AbortSignal;
  resolve(outcome: AppendOutcome): void;
  reject(err: unknown): void;
}

type Answer = { readonly q: Queued } & ({ readonly outcome: AppendOutcome } | { readonly err: unknown });

/** The memo a holder leaves: the next sequence. */
function memoNext(memo: string | undefined): number | undefined {
  if (memo === undefined || !memo.startsWith('n:')) return undefined;
  const n = Number(memo.slice(2));
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

function unavailable(err: unknown): DbError {
  if (err instanceof DbError && err.kind !== 'internal' && err.kind !== 'invalid') return err;
  return new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'the append could not be confirmed: retry it with the same request_id', {
    cause: err,
  });
}

function reused(requestId: string): DbError {
  return new DbError('invalid', 'REQUEST_ID_REUSED', 'request_id was used by a recent append with other lines', {
    field: 'request_id',
    metadata: { field: 'request_id', requestId },
  });
}

/** Batches and writes the appends of every log this server serves. */
export class LogFlusher {
  private readonly queues = new Map<string, Queued[]>();
  private readonly closing = new AbortController();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly o: LogFlusherOptions) {}

  /** Queues an append of `log`; resolves with its sequences once its chunk landed (or was found). */
  append(log: string, req: PendingAppend, signal?: AbortSignal): Promise<AppendOutcome> {
    if (this.closing.signal.aborted) return Promise.reject(new DbError('unavailable', 'SHUTTING_DOWN', 'the server is shutting down'));
    return new Promise<AppendOutcome>((resolve, reject) => {
      let queue = this.queues.get(log);
      const start = queue === undefined;
      if (queue === undefined) this.queues.set(log, (queue = []));
      queue.push({ req, ...(signal === undefined ? {} : { signal }), resolve, reject });
      if (start) {
        const run = this.drain(log).finally(() => this.running.delete(run));
        this.running.add(run);
      }
    });
  }

  /** Waits for the batches in flight; later appends are refused. */
  async close(): Promise<void> {
    this.closing.abort(new DbError('unavailable', 'SHUTTING_DOWN', 'the server is shutting down'));
    await Promise.allSettled([...this.running]);
  }

  private async drain(log: string): Promise<void> {
    for (;;) {
      const queue = this.queues.get(log)!;
      const batch = this.take(queue);
      if (batch.length === 0) {
        if (queue.length === 0) {
          this.queues.delete(log);
          return;
        }
        continue;
      }
      const answers = await this.flush(log, batch);
      for (const a of answers) {
        if ('outcome' in a) a.q.resolve(a.outcome);
        else a.q.reject(a.err);
      }
    }
  }

  /** Takes the batch: queue order, within the limits (at least one request); drops requests whose caller left. */
  private take(queue: Queued[]): Queued[] {
    const batch: Queued[] = [];
    let lines = 0;
    let bytes = 0;
    while (queue.length > 0) {
      const q = queue[0]!;
      if (q.signal?.aborted) {
        queue.shift();
        q.reject(q.signal.reason);
        continue;
      }
      if (batch.length > 0 && (lines + q.req.lines.length > this.o.batchMaxLines || bytes + q.req.bytes > this.o.batchMaxBytes)) break;
      queue.shift();
      batch.push(q);
      lines += q.req.lines.length;
      bytes += q.req.bytes;
    }
    return batch;
  }

  private async flush(log: string, batch: readonly Queued[]): Promise<Answer[]> {
    const signal = this.closing.signal;
    let handle: MutexHandle;
    try {
      const ttlMs = this.o.mutexTtlMs ?? 30_000;
      handle = await this.o.coordinator.acquireMutex(`log:${log}`, { ttlMs, waitMs: ttlMs, signal });
    } catch (err) {
      return batch.map((q) => ({ q, err: unavailable(err) }));
    }
    let memo: string | undefined;
    const answers: Answer[] = [];
    try {
      memo = await this.write(log, batch, handle, answers, signal);
    } catch (err) {
      const answered = new Set(answers.map((a) => a.q));
      for (const q of batch) if (!answered.has(q)) answers.push({ q, err: unavailable(err) });
    } finally {
      await handle.release(memo === undefined ? undefined : { value: memo, ttlMs: this.o.requestIdWindowMs });
    }
    return answers;
  }

  /** Under the mutex: finds the tail, dedups, writes the chunk; returns the memo to leave (none when the index write failed). */
  private async write(
    log: string,
    batch: readonly Queued[],
    handle: MutexHandle,
    answers: Answer[],
    signal: AbortSignal,
  ): Promise<string | undefined> {
    const deps: IndexSyncDeps = {
      store: this.o.store,
      index: this.o.index,
      windowMs: this.o.requestIdWindowMs,
      now: () => this.o.clock.now(),
    };
    const ids = [...new Set(batch.flatMap((q) => (q.req.requestId === undefined ? [] : [q.req.requestId])))];
    let next = memoNext(handle.memo);
    const found = new Map<string, RidRecord>();
    // A memo is left only after the index was written (and lives beside it): without ids to look up, no Redis call.
    const lookup = next !== undefined && ids.length === 0 ? { indexedThrough: next, found } : await this.o.index.lookup(log, ids, signal);
    for (const [id, r] of lookup.found) found.set(id, r);
    const mark = lookup.indexedThrough;
    if (mark === undefined) {
      // A new or lost index: the tail from the full listing, the ids from the chunks within the window.
      const tail = await findTail(this.o.store, log, signal);
      const synced = await rebuildIndex(deps, log, tail.next, signal);
      for (const [id, r] of synced.rids) found.set(id, r);
      next = tail.next;
    } else if (next === undefined || mark < next) {
      // Everything below the mark is in storage and indexed: only the chunks from it on are read.
      const synced = await indexChunksFrom(deps, log, mark, signal);
      for (const [id, r] of synced.rids) found.set(id, r);
      next = Math.max(next ?? 1, synced.next);
    }
    for (;;) {
      const fresh: { q: Queued; first: number }[] = [];
      const rids = new Map<string, RidRecord>();
      const lines: string[] = [];
      const done: Answer[] = [];
      for (const q of batch) {
        const { requestId: id, sha } = q.req;
        const prior = id === undefined ? undefined : (rids.get(id) ?? found.get(id));
        if (prior !== undefined) {
          const same = prior.sha === sha && prior.count === q.req.lines.length;
          done.push(
            same
              ? { q, outcome: { first: prior.first, last: prior.first + prior.count - 1, deduplicated: true } }
              : { q, err: reused(id!) },
          );
          continue;
        }
        const first = next + lines.length;
        if (id !== undefined) rids.set(id, { first, count: q.req.lines.length, sha: sha! });
        fresh.push({ q, first });
        lines.push(...q.req.lines);
      }
      if (lines.length === 0) {
        answers.push(...done);
        return `n:${next}`;
      }
      const key = chunkKey(log, next);
      const chunk: Chunk = { log, first: next, timeMs: this.o.clock.now(), rids, lines };
      try {
        await this.o.store.put(key, encodeChunk(chunk), { ifNoneMatch: true }, signal);
      } catch (err) {
        if (!(err instanceof ConditionFailedError)) throw err;
        // An earlier holder's PUT of this key landed after all: index it (and any after it), retry past it.
        const synced = await indexChunksFrom(deps, log, next, signal);
        for (const [id, r] of synced.rids) found.set(id, r);
        next = synced.next;
        continue;
      }
      await this.o.failpoints?.reached('log.after-chunk-put');
      this.o.cache.put(key, chunk);
      const after = next + lines.length;
      let indexed = true;
      try {
        await this.o.index.record(log, rids, chunk.timeMs, after, signal);
      } catch (err) {
        // The chunk is durable; with no memo left, the next holder finds it from the index's mark and indexes it.
        indexed = false;
        this.o.onWarning?.(err, 'log request index write failed; the next writer re-reads the chunk');
      }
      answers.push(...done);
      for (const { q, first } of fresh) answers.push({ q, outcome: { first, last: first + q.req.lines.length - 1, deduplicated: false } });
      this.o.notifier.notify(log);
      this.o.onFlushed?.(
        log,
        batch.reduce((n, q) => n + q.req.bytes, 0),
      );
      return indexed ? `n:${after}` : undefined;
    }
  }
}
