/**
 * Document expiry in process (docs/streams.md, "Document expiry (TTL)"),
 * for in-process coordination (the embedded default): the ExpiryPort the
 * engine uses (default TTLs from the collections file, durable markers, the
 * schedule), and the purger and start-up rebuild around it. With Redis
 * coordination no LocalExpiry is made and expiring writes are refused.
 */
import type { BlobStore } from '../storage/blob-store.js';
import type { Clock } from '../common/clock.js';
import type { ExpiryPort } from '../api/expiry-port.js';
import { ExpirySchedule } from './expiry-schedule.js';
import { ExpiringMarkers } from './expiring-markers.js';
import { ExpiryPurger, type PurgeLog, type PurgeOne, type PurgeRound } from './expiry-purger.js';
import { rebuildSchedule, type RebuildResult } from './expiry-rebuild.js';

/** What LocalExpiry is built from. */
export interface LocalExpiryOptions {
  readonly store: BlobStore;
  readonly clock: Clock;
  /** SB_TTL_SWEEP_MS. */
  readonly sweepMs: number;
  /** Default TTLs in ms by collection (collections file `defaultTtl`). */
  readonly defaultTtlMs?: ReadonlyMap<string, number>;
  /** Purges and rebuild reads in flight at once. Default 32. */
  readonly concurrency?: number;
  readonly log?: PurgeLog;
}

/** The in-process expiry of one server (see the file comment). */
export class LocalExpiry implements ExpiryPort {
  /** The purge schedule. */
  readonly due = new ExpirySchedule();
  private readonly markers: ExpiringMarkers;
  private purger: ExpiryPurger | undefined;

  constructor(private readonly o: LocalExpiryOptions) {
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
  schedule(collection: string, id: string, expireTime: Date): void {
    this.due.add(collection, id, expireTime.getTime());
  }

  /** True when the collection is marked (it may hold expiring documents). */
  isExpiring(collection: string): boolean {
    return this.markers.isMarked(collection);
  }

  /** True when (collection, id) is scheduled at or before nowMs. */
  isDue(collection: string, id: string, nowMs: number): boolean {
    const at = this.due.get(collection, id);
    return at !== undefined && at <= nowMs;
  }

  /**
   * Loads the markers (before serving: counts of marked collections must
   * fetch), then rebuilds the schedule in the background and starts the
   * purger with `purge`. `onRebuilt` gets the rebuild's counts or error.
   */
  async start(purge: PurgeOne, onRebuilt?: (result: RebuildResult | Error) => void, signal?: AbortSignal): Promise<void> {
    const collections = await this.markers.load(signal);
    this.purger = new ExpiryPurger({
      schedule: this.due,
      purge,
      clock: this.o.clock,
      intervalMs: this.o.sweepMs,
      concurrency: this.o.concurrency ?? 32,
      ...(this.o.log === undefined ? {} : { log: this.o.log }),
    });
    this.purger.start();
    rebuildSchedule(this.o.store, collections, this.due, this.o.concurrency ?? 32, signal).then(
      (r) => onRebuilt?.(r),
      (e: unknown) => onRebuilt?.(e instanceof Error ? e : new Error(String(e))),
    );
  }

  /** One purge round now (tests); undefined before start. */
  sweep(): Promise<PurgeRound> | undefined {
    return this.purger?.sweep();
  }

  /** Stops the purger. */
  async close(): Promise<void> {
    await this.purger?.close();
  }
}
