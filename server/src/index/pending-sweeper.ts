/**
 * The repair of pending index work (docs/adr/0008). Every write to a
 * collection with indexes is recorded as pending when it takes its seq
 * (IndexStore.nextSeq with its id); its apply clears the record. A record
 * older than the threshold belongs to a writer that died between its storage
 * write and its apply, an apply that failed, or a write that failed: any
 * server's sweeper re-reads the document from storage, applies the index
 * entries of the state it finds (with the seq stored in it, so a late apply
 * never undoes a newer one, docs/adr/0005), and clears the record if it
 * still holds the same seq. A missing entry thus lives at most threshold +
 * interval + one sweep.
 */
import { throwIfAborted } from '../common/abort.js';
import { systemClock, type Clock } from '../common/clock.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { CellCounter } from '../observability/cell-counter.js';
import { indexValues } from './extract-values.js';
import type { IndexStore, PendingWrite } from './index-store.js';
import { readStoredDoc } from './read-stored-doc.js';
import type { IndexLog } from './write-hooks.js';

/** What the sweeper needs. */
export interface PendingSweeperOptions {
  readonly indexes: IndexStore;
  readonly store: BlobStore;
  /** The collections to sweep (those with index definitions). */
  readonly collections: () => Iterable<string>;
  /** Age from which a record is repaired, in ms: longer than any write can take (SB_INDEX_PENDING_AFTER_MS). */
  readonly thresholdMs: number;
  /** Pause between sweeps, in ms (SB_INDEX_PENDING_SWEEP_MS). */
  readonly intervalMs: number;
  /** Records repaired per collection and sweep. Default 500. */
  readonly batch?: number;
  /** Where repairs are counted by collection (metrics `smarterbase.index.repairs`). */
  readonly repairs?: CellCounter;
  readonly log?: IndexLog;
  /** The clock of the pauses. Default systemClock. */
  readonly clock?: Clock;
}

/** What one sweep did. */
export interface SweepResult {
  /** Records older than the threshold that were handled (and cleared). */
  readonly checked: number;
  /** Of those, the ones whose apply changed the index (the entries were missing or stale). */
  readonly repaired: number;
}

/** Sweeps pending index records every intervalMs (start) or on demand (sweep). */
export class PendingSweeper {
  private readonly stopping = new AbortController();
  private loop?: Promise<void>;
  private running?: Promise<SweepResult>;

  /** A sweeper over the given ports. */
  constructor(private readonly o: PendingSweeperOptions) {}

  /** One sweep of every collection (a call during a sweep joins it). Failures of a collection are logged and left for the next sweep. */
  sweep(signal?: AbortSignal): Promise<SweepResult> {
    this.running ??= this.sweepOnce(signal).finally(() => (this.running = undefined));
    return this.running;
  }

  /** Sweeps every intervalMs until close(). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops the loop and waits for a sweep in progress. */
  async close(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.running?.catch(() => undefined);
  }

  private async run(): Promise<void> {
    const clock = this.o.clock ?? systemClock;
    while (!this.stopping.signal.aborted) {
      try {
        await clock.sleep(this.o.intervalMs, this.stopping.signal);
        await this.sweep(this.stopping.signal);
      } catch (err) {
        if (this.stopping.signal.aborted) return;
        this.o.log?.warn({ err }, 'pending index sweep failed; retried next interval');
      }
    }
  }

  private async sweepOnce(signal?: AbortSignal): Promise<SweepResult> {
    let checked = 0;
    let repaired = 0;
    for (const collection of [...this.o.collections()]) {
      throwIfAborted(signal);
      try {
        const due = await this.o.indexes.pendingWrites(collection, this.o.thresholdMs, this.o.batch ?? 500);
        for (const p of due) {
          throwIfAborted(signal);
          const changed = await this.repair(collection, p, signal);
          checked++;
          if (changed) {
            repaired++;
            this.o.repairs?.cell(collection, { collection }).add();
          }
        }
      } catch (err) {
        if (signal?.aborted) throw err;
        this.o.log?.warn({ err, collection }, 'pending index repair failed; retried next sweep');
      }
    }
    if (repaired > 0) this.o.log?.info({ checked, repaired }, 'pending index work repaired');
    return { checked, repaired };
  }

  /** Applies the stored state of p.id and clears p; true when the apply changed the index. */
  private async repair(collection: string, p: PendingWrite, signal?: AbortSignal): Promise<boolean> {
    const doc = await readStoredDoc(this.o.store, collection, p.id, signal);
    for (let attempt = 0; attempt < 10; attempt++) {
      const catalog = await this.o.indexes.catalog(collection, signal);
      // Gone: the pending write was a delete that landed (or a create that did not): no entries, at its seq.
      const seq = doc === undefined ? p.seq : doc.seq;
      const values = doc === undefined ? null : indexValues(catalog, doc.data);
      const outcome = await this.o.indexes.apply(collection, p.id, seq, values, catalog.version);
      if (outcome === 'catalog_changed') continue;
      await this.o.indexes.clearPending(collection, p.id, p.seq);
      return outcome === 'applied';
    }
    throw new Error(`the catalog of ${collection} kept changing`);
  }
}
