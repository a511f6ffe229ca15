/**
 * The drift monitor: every intervalMs, for each collection with indexes, a
 * drift sample (index-drift.ts) both ways; the last sample's counts are
 * exported (`smarterbase_index_drift{collection,kind}`), and when a sample
 * finds more faults than the repair threshold, exactly the documents it
 * found are repaired (`smarterbase_index_drift_repairs_total`). Each
 * collection's samples continue listing where the previous one stopped, so
 * successive runs of this server sweep a large collection (index-drift.ts).
 *
 * One run at a time across servers: a run takes the Coordinator lease
 * `\u0001index-drift` (user lock names cannot hold control characters) for
 * 0.9 × intervalMs, renews it while running, and does not release it at the end,
 * so the servers' timers together make about one run per interval. A
 * server that finds the lease held skips its turn.
 */
import type { Clock, RandomSource } from '../common/clock.js';
import type { Coordinator } from '../coordination/coordinator.js';
import type { CellCounter } from '../observability/cell-counter.js';
import type { BlobStore } from '../storage/blob-store.js';
import { repairFound, sampleDrift } from './index-drift.js';
import type { IndexStore } from './index-store.js';
import type { IndexLog } from './write-hooks.js';

/** The lease of a monitor run. */
export const DRIFT_LEASE = '\u0001index-drift';

/** Options of the DriftMonitor. */
export interface DriftMonitorOptions {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  /** The collections with index definitions (IndexAdmin.collectionsWithIndexes). */
  readonly collections: () => Iterable<string>;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Between runs, in ms. */
  readonly intervalMs: number;
  /** Documents (and entries) sampled per collection per run. */
  readonly sample: number;
  /** Faults (missing + stale) a sample must exceed to be repaired; 0 repairs any. */
  readonly repairThreshold: number;
  /** Where the run lease is taken; unset: every run goes ahead (one server). */
  readonly coordinator?: Coordinator;
  /** Documents repaired, by collection (`smarterbase.index.drift_repairs`). */
  readonly repairs?: Pick<CellCounter, 'cell'>;
  readonly log?: IndexLog;
  /** Called after each timer run with what it did (undefined: another server held the lease). */
  readonly onRun?: (runs: readonly DriftRun[] | undefined) => void;
}

/** The last sample's counts by collection (the drift gauge reads it). */
export interface DriftView {
  lastDrift(): ReadonlyMap<string, { readonly missing: number; readonly stale: number }>;
}

/** What one run did for one collection. */
export interface DriftRun {
  readonly collection: string;
  readonly missing: number;
  readonly stale: number;
  readonly repaired: number;
}

/** Samples and repairs index drift on a timer (see the file comment). */
export class DriftMonitor implements DriftView {
  private readonly last = new Map<string, { missing: number; stale: number }>();
  /** Where each collection's next sample continues listing (DriftSample.resumeAfter); absent: from the start. */
  private readonly resume = new Map<string, string>();
  private readonly controller = new AbortController();
  private loop?: Promise<void>;

  /** A monitor; start() begins its timer. */
  constructor(private readonly options: DriftMonitorOptions) {}

  /** The last sample's counts by collection. */
  lastDrift(): ReadonlyMap<string, { readonly missing: number; readonly stale: number }> {
    return this.last;
  }

  /** Runs every intervalMs until close(); failures are logged and retried next interval. */
  start(): void {
    if (this.loop !== undefined) return;
    const signal = this.controller.signal;
    this.loop = (async () => {
      while (!signal.aborted) {
        try {
          await this.options.clock.sleep(this.options.intervalMs, signal);
          const runs = await this.runOnce(); // not inside onRun?.(…): without onRun, its argument is never evaluated
          this.options.onRun?.(runs);
        } catch (err) {
          if (!signal.aborted) this.options.log?.warn({ err }, 'index drift run failed; retried next interval');
        }
      }
    })();
  }

  /** One run now (under the lease): undefined when another server holds it. */
  async runOnce(): Promise<DriftRun[] | undefined> {
    const { coordinator } = this.options;
    if (coordinator === undefined) return this.sampleAll();
    // Shorter than the interval, so the lease has expired when this server's next turn comes.
    const ttlMs = Math.max(1, Math.floor(this.options.intervalMs * 0.9));
    const signal = this.controller.signal;
    const attempt = await coordinator.tryAcquireLease(DRIFT_LEASE, ttlMs, 'index drift monitor', signal);
    if (!attempt.granted) return undefined;
    const leaseId = attempt.lease.leaseId;
    const timer = setInterval(
      () => void coordinator.renewLease(DRIFT_LEASE, leaseId, ttlMs, signal).catch(() => undefined),
      Math.max(1, Math.floor(ttlMs / 3)),
    );
    timer.unref();
    try {
      return await this.sampleAll();
    } finally {
      clearInterval(timer); // the lease is left to expire: the other servers skip the rest of this interval
    }
  }

  /** Stops the timer and waits for a running run. */
  async close(): Promise<void> {
    this.controller.abort();
    await this.loop;
  }

  private async sampleAll(): Promise<DriftRun[]> {
    const out: DriftRun[] = [];
    const signal = this.controller.signal;
    for (const collection of [...this.options.collections()]) {
      if (signal.aborted) break;
      const startAfter = this.resume.get(collection);
      const found = await sampleDrift({ ...this.options, collection, signal, ...(startAfter !== undefined ? { startAfter } : {}) });
      if (found.resumeAfter !== undefined) this.resume.set(collection, found.resumeAfter);
      else this.resume.delete(collection);
      this.last.set(collection, { missing: found.missing, stale: found.stale });
      let repaired = 0;
      if (found.missing + found.stale > this.options.repairThreshold) {
        repaired = await repairFound(found);
        this.options.repairs?.cell(collection, { collection }).add(repaired);
        this.options.log?.warn({ collection, missing: found.missing, stale: found.stale, repaired }, 'index drift found and repaired');
      }
      out.push({ collection, missing: found.missing, stale: found.stale, repaired });
    }
    return out;
  }
}
