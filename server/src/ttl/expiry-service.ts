/**
 * The ExpiryPort over a purge schedule (docs/streams.md, "Document expiry
 * (TTL)"), shared by both kinds of schedule: default TTLs from the
 * collections file, the durable markers of expiring collections, the
 * schedule (purge-schedule.ts), and the purger and rebuild around them.
 * LocalExpiry (in process) and RedisExpiry (shared through Redis) differ
 * only in their schedule and in when they rebuild it.
 */
import type { BlobStore } from '../storage/blob-store.js';
import type { Clock } from '../common/clock.js';
import type { ExpiryPort } from '../api/expiry-port.js';
import { ExpiringMarkers } from './expiring-markers.js';
import { ExpiryPurger, type PurgeLog, type PurgeOne, type PurgeRound } from './expiry-purger.js';
import { rebuildSchedule, type RebuildResult } from './expiry-rebuild.js';
import type { PurgeSchedule, ScheduledExpiry } from './purge-schedule.js';

/** What an expiry service is built from. */
export interface ExpiryServiceOptions {
  readonly store: BlobStore;
  readonly clock: Clock;
  /** SB_TTL_SWEEP_MS. */
  readonly sweepMs: number;
  /** Default TTLs in ms by collection (collections file `defaultTtl`). */
  readonly defaultTtlMs?: ReadonlyMap<string, number>;
  /** Purges and rebuild reads in flight at once. Default 32. */
  readonly concurrency?: number;
  readonly log?: PurgeLog;
  /** Told each purge's outcome (metrics). */
  readonly onOutcome?: (outcome: 'purged' | 'dropped' | 'failed', e: ScheduledExpiry) => void;
}

/** Reports a rebuild's counts or error. */
export type OnRebuilt = (result: RebuildResult | Error, collections: readonly string[]) => void;

/** The ExpiryPort over a schedule (see the file comment). */
export class ExpiryService implements ExpiryPort {
  protected readonly markers: ExpiringMarkers;
  private purger: ExpiryPurger | undefined;
  /** Restores sent since restoredSince (ms): not sent again before the next sweep interval. */
  private readonly restored = new Set<string>();
  private restoredSince = 0;
  /** Rebuilds report here (set by start). */
  protected onRebuilt: OnRebuilt | undefined;

  constructor(
    protected readonly o: ExpiryServiceOptions,
    /** The purge schedule. */
    readonly due: PurgeSchedule,
  ) {
    this.markers = new ExpiringMarkers(o.store);
  }

  /** The collection's default TTL in ms, if the collections file gives one. */
  defaultTtlMs(collection: string): number | undefined {
    return this.o.defaultTtlMs?.get(collection);
  }

  /** Marks the collection durably before its first expiring write (once per process). */
  markExpiring(collection: string, signal?: AbortSignal): Promise<void> {
    return this.markers.mark(collection, signal);
  }

  /** Puts (collection, id) on the schedule at `expireTime`. */
  schedule(collection: string, id: string, expireTime: Date, signal?: AbortSignal): void | Promise<void> {
    return this.due.add(collection, id, expireTime.getTime(), signal);
  }

  /**
   * Schedules (collection, id) unless it is claimed or scheduled no later; a
   * failure is left to the next read or rebuild. The same restore is sent at
   * most once per sweep interval (many reads meet an expired document before
   * its purge).
   */
  restore(collection: string, id: string, expireTime: Date): void {
    const now = this.o.clock.now();
    if (now - this.restoredSince >= this.o.sweepMs || this.restored.size >= 10_000) {
      this.restored.clear();
      this.restoredSince = now;
    }
    const key = `${collection}\u0000${id}\u0000${expireTime.getTime()}`;
    if (this.restored.has(key)) return;
    this.restored.add(key);
    try {
      void Promise.resolve(this.due.restore(collection, id, expireTime.getTime())).catch(() => undefined);
    } catch {
      // a hint only
    }
  }

  /** True when the collection is marked (it may hold expiring documents). */
  isExpiring(collection: string): boolean {
    return this.markers.isMarked(collection);
  }

  /** The ids among `ids` due (or maybe due) at nowMs. */
  dueAmong(
    collection: string,
    ids: readonly string[],
    nowMs: number,
    signal?: AbortSignal,
  ): ReadonlySet<string> | Promise<ReadonlySet<string>> {
    return this.due.dueAmong(collection, ids, nowMs, signal);
  }

  /**
   * Loads the markers (before serving: counts of marked collections must
   * fetch), lets the kind of schedule prepare (`loaded`), then starts the
   * purger with `purge`. `onRebuilt` gets each rebuild's counts or error.
   */
  async start(purge: PurgeOne, onRebuilt?: OnRebuilt, signal?: AbortSignal): Promise<void> {
    this.onRebuilt = onRebuilt;
    const collections = await this.markers.load(signal);
    await this.loaded(collections, signal);
    this.purger = new ExpiryPurger({
      schedule: this.due,
      purge,
      clock: this.o.clock,
      intervalMs: this.o.sweepMs,
      concurrency: this.o.concurrency ?? 32,
      ...(this.o.log === undefined ? {} : { log: this.o.log }),
      ...(this.o.onOutcome === undefined ? {} : { onOutcome: this.o.onOutcome }),
    });
    this.purger.start();
  }

  /** One purge round now (tests); undefined before start. */
  sweep(): Promise<PurgeRound> | undefined {
    return this.purger?.sweep();
  }

  /** Stops the purger. */
  async close(): Promise<void> {
    await this.purger?.close();
  }

  /** Called by start with the marked collections, before the purger starts. The in-process schedule rebuilds them all. */
  protected loaded(collections: readonly string[], signal?: AbortSignal): Promise<void> {
    void this.rebuild(collections, signal);
    return Promise.resolve();
  }

  /** Lists `collections` and schedules their expiring documents (unless scheduled); reports to onRebuilt. */
  protected async rebuild(collections: readonly string[], signal?: AbortSignal): Promise<RebuildResult | Error> {
    let result: RebuildResult | Error;
    try {
      result = await rebuildSchedule(this.o.store, collections, this.due, this.o.concurrency ?? 32, signal);
    } catch (e) {
      result = e instanceof Error ? e : new Error(String(e));
    }
    this.onRebuilt?.(result, collections);
    return result;
  }
}
