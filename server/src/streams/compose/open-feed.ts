/**
 * Builds the change feed of a server with in-process coordination
 * (docs/streams.md): the local feed (journaled in `dir` when given), the
 * write hooks that feed it around the index hooks, the watch API, and the
 * sweeper. start() resolves what a crash left (call it after transaction
 * recovery), then sweeps periodically.
 */
import type { Clock } from '../../common/clock.js';
import type { Failpoints } from '../../common/failpoints.js';
import type { WriteHooks } from '../../api/write-hooks.js';
import type { StreamApi } from '../../api/stream-api.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { FeedWriteHooks, type FeedLog } from '../feed-hooks.js';
import { FeedSweeper, type FeedSweepResult } from '../feed-sweeper.js';
import { FeedWatch } from '../feed-watch.js';
import { LocalFeed } from '../local/local-feed.js';
import { storedReader, type FinishTransaction } from '../stored-events.js';

/** What openLocalFeed needs. */
export interface LocalFeedSetup {
  /** The journal's directory; undefined: in memory only. */
  readonly dir?: string;
  readonly retainCount: number;
  readonly retainMs: number;
  readonly pendingAfterMs: number;
  readonly sweepMs: number;
  readonly maxWatchers: number;
  readonly store: BlobStore;
  /** The index hooks the feed's hooks wrap. */
  readonly inner?: WriteHooks;
  readonly clock: Clock;
  readonly log: FeedLog & { info(obj: object, msg: string): void };
  readonly failpoints?: Failpoints;
  /** Finishes a transaction that is not live (the engine's recovery), so its changes are published together. */
  readonly finishTransaction: FinishTransaction;
}

/** The feed of one server. */
export interface OpenedFeed {
  /** The engine's write hooks (feed around index). */
  readonly hooks: WriteHooks;
  /** StreamService's engine; close() ends every watch (shutdown). */
  readonly streams: StreamApi & { close(): void };
  /** Resolves what a crash left, then starts the periodic sweep. */
  start(): Promise<FeedSweepResult>;
  /** Stops the sweep and closes the journal. */
  close(): Promise<void>;
  /** Watches served now (a gauge). */
  watchers(): number;
  /** Pending revisions per collection (a gauge). */
  pendingByCollection(): ReadonlyMap<string, number>;
}

/** Opens the local change feed (replaying its journal). */
export async function openLocalFeed(s: LocalFeedSetup): Promise<OpenedFeed> {
  const feed = await LocalFeed.open({
    ...(s.dir === undefined ? {} : { dir: s.dir }),
    retainCount: s.retainCount,
    retainMs: s.retainMs,
    clock: s.clock,
    log: s.log,
  });
  const readStored = storedReader(s.store);
  const hooks = new FeedWriteHooks({
    feed,
    readStored,
    clock: s.clock,
    log: s.log,
    finishTransaction: s.finishTransaction,
    ...(s.inner === undefined ? {} : { inner: s.inner }),
    ...(s.failpoints === undefined ? {} : { failpoints: s.failpoints }),
  });
  const sweeper = new FeedSweeper({
    feed,
    readStored,
    clock: s.clock,
    pendingAfterMs: s.pendingAfterMs,
    intervalMs: s.sweepMs,
    log: s.log,
    finishTransaction: s.finishTransaction,
  });
  const streams = new FeedWatch({ feed, clock: s.clock, maxWatchers: s.maxWatchers });
  return {
    hooks,
    streams,
    async start() {
      const left = await sweeper.sweep(0);
      if (left.events + left.holes + left.waiting > 0) s.log.info({ ...left }, 'change feed: revisions left by the last run resolved');
      sweeper.start();
      return left;
    },
    async close() {
      await sweeper.close();
      await feed.close();
    },
    watchers: () => streams.watchers,
    pendingByCollection() {
      const counts = new Map<string, number>();
      for (const p of feed.pending(Infinity)) counts.set(p.collection, (counts.get(p.collection) ?? 0) + 1);
      return counts;
    },
  };
}
