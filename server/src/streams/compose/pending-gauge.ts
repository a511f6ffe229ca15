/**
 * The pending-revisions gauge of a feed (observability/feed-metrics.ts):
 * metric callbacks are synchronous, and the Redis feed answers `pending`
 * after a round trip. So a read returns the counts as of the last refresh
 * and starts the next one when they are older than a second (one at a
 * time); the in-process feed answers at once and is always current.
 */
import type { Clock } from '../../common/clock.js';
import type { ChangeFeed, PendingRevision } from '../change-feed.js';
import type { FeedLog } from '../feed-hooks.js';

/** How old the counts may be before a read refreshes them, in ms. */
export const PENDING_GAUGE_REFRESH_MS = 1000;

/** Pending revisions per collection, refreshed on read. */
export class PendingGauge {
  private counts: ReadonlyMap<string, number> = new Map();
  private refreshedAt = -Infinity;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly feed: Pick<ChangeFeed, 'pending'>,
    private readonly clock: Clock,
    private readonly log?: FeedLog,
  ) {}

  /** The counts now (in-process feed) or as of the last refresh (Redis); starts a refresh when due. */
  read(): ReadonlyMap<string, number> {
    if (this.inFlight !== undefined || this.clock.now() - this.refreshedAt < PENDING_GAUGE_REFRESH_MS) return this.counts;
    const answer = this.feed.pending(Infinity);
    if (!(answer instanceof Promise)) return (this.counts = countOf(answer));
    this.refreshedAt = this.clock.now();
    this.inFlight = answer.then(
      (list) => {
        this.counts = countOf(list);
      },
      (err: unknown) => this.log?.warn({ err }, 'change feed: counting pending revisions failed'),
    );
    void this.inFlight.finally(() => (this.inFlight = undefined));
    return this.counts;
  }

  /** Waits for a refresh in progress (before the feed closes). */
  async settled(): Promise<void> {
    await this.inFlight;
  }
}

function countOf(list: readonly PendingRevision[]): ReadonlyMap<string, number> {
  const counts = new Map<string, number>();
  for (const p of list) counts.set(p.collection, (counts.get(p.collection) ?? 0) + 1);
  return counts;
}
