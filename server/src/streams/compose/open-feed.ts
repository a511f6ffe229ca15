/**
 * Builds the change feed of a server around a ChangeFeed (docs/streams.md):
 * the write hooks that feed it around the index hooks, the watch API, the
 * sweeper and the gauges. openLocalFeed opens the in-process feed (journaled
 * in `dir` when given); the Redis feed comes from server-feed.ts. start()
 * resolves what a crash left when the feed is this process's alone (call it
 * after transaction recovery), then sweeps periodically. With a keyring
 * (encryption at rest) the feed is wrapped in SealingFeed, so what it stores
 * holds no document data in clear.
 */
import type { Clock } from '../../common/clock.js';
import type { Failpoints } from '../../common/failpoints.js';
import type { WriteHooks } from '../../api/write-hooks.js';
import type { StreamApi } from '../../api/stream-api.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { ChangeFeed } from '../change-feed.js';
import { FeedWriteHooks, type FeedLog } from '../feed-hooks.js';
import { FeedSweeper, type FeedSweepResult } from '../feed-sweeper.js';
import { FeedWatch } from '../feed-watch.js';
import type { SnapshotSource } from '../feed-snapshot.js';
import { LocalFeed } from '../local/local-feed.js';
import { SealingFeed } from '../sealing-feed.js';
import type { KeyringRef } from '../../storage/crypto/keyring.js';
import { storedReader, type FinishTransaction } from '../stored-events.js';
import { PendingGauge } from './pending-gauge.js';

/** What openFeed needs besides the feed itself. */
export interface FeedSetup {
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
  /** The engine's reads, for initial snapshots (late-bound like finishTransaction: the engine is built after the feed). */
  readonly snapshots?: SnapshotSource;
  /** With encryption at rest: the feed seals the document bodies it stores (SealingFeed); absent, they are stored in clear. */
  readonly keyring?: KeyringRef;
}

/** What openLocalFeed needs. */
export interface LocalFeedSetup extends FeedSetup {
  /** The journal's directory; undefined: in memory only. */
  readonly dir?: string;
  readonly retainCount: number;
  readonly retainMs: number;
}

/** How the feed is shared, which decides what start() may resolve. */
export interface FeedSharing {
  /**
   * True when no other process writes through this feed (the in-process
   * feed): every pending revision at start-up was left by a crash, so start()
   * resolves them all (`sweep(0)`). False with Redis: other servers' writes
   * are in flight, so only revisions older than the threshold are swept.
   */
  readonly sweepAllAtStart: boolean;
}

/** The feed of one server. */
export interface OpenedFeed {
  /** The engine's write hooks (feed around index). */
  readonly hooks: WriteHooks;
  /** StreamService's engine; close() ends every watch (shutdown). */
  readonly streams: StreamApi & { close(): void };
  /** Resolves what a crash left (in-process feed only), then starts the periodic sweep. */
  start(): Promise<FeedSweepResult>;
  /** Stops the sweep and closes the feed. */
  close(): Promise<void>;
  /** Watches served now (a gauge). */
  watchers(): number;
  /** Pending revisions per collection (a gauge; with Redis, as of the last refresh, at most a second old). */
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
  return openFeed(feed, s, { sweepAllAtStart: true });
}

/** The hooks, watch API, sweeper and gauges of a server around `stored` (sealed with s.keyring; closed with itself). */
export function openFeed(stored: ChangeFeed, s: FeedSetup, sharing: FeedSharing): OpenedFeed {
  const feed = s.keyring === undefined ? stored : new SealingFeed(stored, s.keyring);
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
  const streams = new FeedWatch({
    feed,
    clock: s.clock,
    maxWatchers: s.maxWatchers,
    ...(s.snapshots === undefined ? {} : { snapshots: s.snapshots }),
  });
  const pending = new PendingGauge(feed, s.clock, s.log);
  return {
    hooks,
    streams,
    async start() {
      if (!sharing.sweepAllAtStart) {
        sweeper.start();
        return { events: 0, holes: 0, waiting: 0 };
      }
      const left = await sweeper.sweep(0);
      if (left.events + left.holes + left.waiting > 0) s.log.info({ ...left }, 'change feed: revisions left by the last run resolved');
      sweeper.start();
      return left;
    },
    async close() {
      await sweeper.close();
      await pending.settled();
      await feed.close();
    },
    watchers: () => streams.watchers,
    pendingByCollection: () => pending.read(),
  };
}
