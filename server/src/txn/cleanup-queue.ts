/**
 * The cleanup a committed transaction leaves after its answer
 * (docs/adr/0011-commit-cleanup-after-response.md): completing its request
 * record and deleting its intent. Neither is needed for the answer — the
 * documents are final and indexed by then — and neither is needed for
 * correctness: a committed intent that nobody deletes is rolled forward by
 * any reader, writer, request_id retry or recovery sweep (txn-recovery.ts).
 * So the Commit answers first and this per-process queue runs the cleanup
 * afterwards.
 *
 * Bounded: at most `maxQueued` cleanups are pending at once; beyond that (and
 * once draining) a cleanup runs inline, in its caller — never dropped. Every
 * queued cleanup starts at once (the bound, not a worker count, is the
 * limit). A failing cleanup is logged and left to recovery. `drain` is for
 * graceful shutdown: it waits for the pending cleanups up to a time limit,
 * then aborts the rest (their intents stay committed; recovery finishes them).
 */

/** One cleanup: it should stop its storage calls when `signal` aborts (the drain's time limit passed). */
export type CleanupTask = (signal: AbortSignal) => Promise<void>;

/** The little of a logger the queue needs (a pino Logger fits). */
export interface CleanupLog {
  warn(obj: object, msg: string): void;
}

/** Options of CleanupQueue. */
export interface CleanupQueueOptions {
  /** The most cleanups pending at once; 0 runs every cleanup inline (before the answer). Default DEFAULT_CLEANUP_MAX_QUEUED. */
  readonly maxQueued?: number;
  /** Where failed cleanups are logged. Default: nowhere. */
  readonly log?: CleanupLog;
}

/** The default bound of pending cleanups per process (each holds one intent's writes in memory until done). */
export const DEFAULT_CLEANUP_MAX_QUEUED = 1000;

/** How `run` took a cleanup. */
export type CleanupMode = 'queued' | 'inline';

/** What `drain` left: how many cleanups finished while it waited, and how many it aborted at its time limit. */
export interface DrainOutcome {
  readonly finished: number;
  readonly abandoned: number;
}

/** A bounded set of cleanups running after their callers answered. */
export class CleanupQueue {
  private readonly maxQueued: number;
  private readonly pending = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private draining = false;

  constructor(private readonly o: CleanupQueueOptions = {}) {
    this.maxQueued = o.maxQueued ?? DEFAULT_CLEANUP_MAX_QUEUED;
    if (!Number.isInteger(this.maxQueued) || this.maxQueued < 0)
      throw new Error(`maxQueued must be a non-negative integer, got ${this.maxQueued}`);
  }

  /** How many cleanups are queued or running now. */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Takes `task`: queued (it runs in the background; resolves at once), or,
   * when the queue is full or draining, run inline (resolves when it is
   * done). Never rejects: a failed cleanup is logged and left to recovery.
   */
  async run(task: CleanupTask, what: object = {}): Promise<CleanupMode> {
    if (this.draining || this.pending.size >= this.maxQueued) {
      await this.guarded(task, what);
      return 'inline';
    }
    const running: Promise<void> = this.guarded(task, what).finally(() => this.pending.delete(running));
    this.pending.add(running);
    return 'queued';
  }

  /**
   * Graceful shutdown: from now on cleanups run inline; waits for the pending
   * ones up to `timeoutMs`, then aborts those left (their storage calls fail
   * and recovery finishes their transactions later).
   */
  async drain(timeoutMs: number): Promise<DrainOutcome> {
    this.draining = true;
    const before = this.pending.size;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all([...this.pending]), limit]);
    clearTimeout(timer);
    const abandoned = this.pending.size;
    // Not awaited: a task that ignores its signal (or is held at a failpoint) must not hold shutdown.
    if (abandoned > 0) this.stopping.abort();
    return { finished: before - abandoned, abandoned };
  }

  private async guarded(task: CleanupTask, what: object): Promise<void> {
    try {
      await task(this.stopping.signal);
    } catch (err) {
      this.o.log?.warn({ ...what, err }, 'transaction cleanup failed; recovery finishes it');
    }
  }
}
