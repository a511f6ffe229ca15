/**
 * Resolves revisions whose writer never did (it died between its storage
 * write and its resolve, or resolving failed): every pending revision
 * allocated more than `pendingAfterMs` ago is resolved from what storage
 * shows (stored-events.ts). The threshold exceeds the longest write, so what
 * storage shows is final for it (docs/adr/0012 §3). At start-up, after
 * transaction recovery, `sweep(0)` resolves everything a crash left: no
 * write of this process is in flight yet.
 */
import type { Clock } from '../common/clock.js';
import type { ChangeFeed } from './change-feed.js';
import { resolutionOf, type FinishTransaction, type ReadStored } from './stored-events.js';
import type { FeedLog } from './feed-hooks.js';
import { Periodic } from '../common/periodic.js';

/** What the sweeper is built from. */
export interface FeedSweeperOptions {
  readonly feed: ChangeFeed;
  readonly readStored: ReadStored;
  readonly clock: Clock;
  /** Age of a pending revision before the sweeper resolves it, in ms. */
  readonly pendingAfterMs: number;
  /** How often to sweep, in ms. */
  readonly intervalMs: number;
  readonly log?: FeedLog;
  /** Finishes the transaction of a pending revision first (see stored-events.ts). */
  readonly finishTransaction?: FinishTransaction;
}

/** Counts of one sweep. */
export interface FeedSweepResult {
  readonly events: number;
  readonly holes: number;
  /** Left pending: a transaction holds the document, or reading it failed. */
  readonly waiting: number;
}

/** The periodic resolver of abandoned revisions. */
export class FeedSweeper {
  private readonly loop: Periodic;

  constructor(private readonly o: FeedSweeperOptions) {
    this.loop = new Periodic(() => this.sweep(), o.intervalMs);
  }

  /** Resolves every pending revision at least `olderThanMs` old (default: the threshold). */
  async sweep(olderThanMs = this.o.pendingAfterMs): Promise<FeedSweepResult> {
    const counts = { events: 0, holes: 0, waiting: 0 };
    for (const p of await this.o.feed.pending(this.o.clock.now() - olderThanMs)) {
      if (this.loop.signal.aborted) break;
      if (!(await this.o.feed.isPending(p.collection, p.revision))) continue; // settled meanwhile (e.g. with its transaction)
      try {
        const resolution = await resolutionOf(this.o.feed, this.o.readStored, p, this.o.finishTransaction, this.loop.signal);
        if (resolution === 'done') continue;
        if (resolution === 'wait') {
          counts.waiting++;
          continue;
        }
        await this.o.feed.resolve(p.collection, [p.revision], resolution);
        if (resolution === null) counts.holes++;
        else counts.events++;
      } catch (err) {
        counts.waiting++;
        if (!this.loop.signal.aborted)
          this.o.log?.warn({ err, collection: p.collection, revision: p.revision }, 'feed sweep could not resolve a revision');
      }
    }
    return counts;
  }

  /** Sweeps every intervalMs until close(). */
  start(): void {
    this.loop.start();
  }

  /** Stops and waits for a round in progress. */
  async close(): Promise<void> {
    await this.loop.close();
  }
}
