/**
 * Watch over a ChangeFeed (docs/streams.md): each watcher pulls released
 * events from the feed's retained history at the pace its client reads
 * (the RPC layer's stream pump gives the backpressure), so a slow watcher
 * costs no buffer: it only falls behind, and past retention it gets
 * REVISION_COMPACTED. Watchers of one collection share one feed
 * subscription that wakes them when something is released.
 */
import type { Clock } from '../common/clock.js';
import { DbError } from '../errors/db-error.js';
import type { CallContext } from '../api/call-context.js';
import type { StreamApi, WatchInput, WatchItem } from '../api/stream-api.js';
import { validateWatchInput } from './watch-input.js';
import { RevisionOutOfRange, type ChangeFeed, type FeedPage } from './change-feed.js';
import { PreviousDocuments } from './feed-previous.js';
import { SnapshotFilter, snapshotPages, type SnapshotSource } from './feed-snapshot.js';
import { changeFilter, itemOf, itemWithPrevious, type ChangeFilter } from './watch-items.js';

/** Options of FeedWatch. */
export interface FeedWatchOptions {
  readonly feed: ChangeFeed;
  readonly clock: Clock;
  /** Watches this server serves at once; more → RESOURCE_EXHAUSTED SERVER_OVERLOADED. */
  readonly maxWatchers: number;
  /** Events read from the feed per step. Default 256. */
  readonly pageSize?: number;
  /** The engine's reads, for initial snapshots (none: initial_snapshot is refused). */
  readonly snapshots?: SnapshotSource;
  /** Bound of a snapshot page's data, bytes. Default SNAPSHOT_PAGE_BYTES. */
  readonly snapshotPageBytes?: number;
}

/** A snapshot whose end has not been sent: the revision S to reach, and what the listing already showed. */
interface OpenSnapshot {
  readonly until: number;
  readonly filter: SnapshotFilter;
}

/** The wake-up of one collection's watchers. */
interface Hub {
  watchers: number;
  next: Promise<void>;
  wake: () => void;
  unsubscribe: () => void;
}

/** StreamApi over a ChangeFeed. */
export class FeedWatch implements StreamApi {
  private readonly hubs = new Map<string, Hub>();
  private active = 0;
  private closing = false;
  private readonly snapshots: SnapshotSource | undefined;
  private readonly previous: PreviousDocuments;

  constructor(private readonly o: FeedWatchOptions) {
    this.snapshots = o.snapshots;
    this.previous = new PreviousDocuments(o.feed);
  }

  /** Watches being served now. */
  get watchers(): number {
    return this.active;
  }

  /** Ends every watch with UNAVAILABLE SHUTTING_DOWN (their clients resume on another server), and refuses new ones. */
  close(): void {
    this.closing = true;
    for (const hub of this.hubs.values()) hub.wake();
  }

  /** The collection's watermark: every change up to it is stored and released; 0 (unknown) while its feed settles. */
  readRevision(collection: string): number {
    if ((this.o.feed.settlingMs?.(collection) ?? 0) > 0) return 0;
    return this.o.feed.watermarkHint(collection);
  }

  /** See StreamApi.watch. */
  async *watch(ctx: CallContext, input: WatchInput): AsyncGenerator<WatchItem, void, undefined> {
    validateWatchInput(input);
    if (this.closing) throw shuttingDown();
    if (this.active >= this.o.maxWatchers) {
      throw new DbError('resource_exhausted', 'SERVER_OVERLOADED', `this server already serves ${this.o.maxWatchers} watches`, {
        metadata: { limit: String(this.o.maxWatchers) },
        retryDelayMs: 1000,
      });
    }
    const { collection } = input;
    const feed = this.o.feed;
    const now = await feed.bounds(collection); // also tells the feed the collection's generation
    const settling = feed.settlingMs?.(collection) ?? 0;
    if (settling > 0) throw feedRecovering(collection, settling);
    const snapshots = this.snapshots;
    if (input.initialSnapshot === true && snapshots === undefined) {
      throw new DbError('failed_precondition', 'INVALID_ARGUMENT', 'this server cannot serve initial snapshots', {
        field: 'initial_snapshot',
      });
    }
    const matches = changeFilter(input);
    const pageSize = this.o.pageSize ?? 256;
    this.active++;
    const hub = this.join(collection);
    const aborted = abortPromise(ctx.signal);
    try {
      let last = input.afterRevision === 0 ? now.watermark : input.afterRevision;
      let open: OpenSnapshot | undefined;
      if (input.initialSnapshot === true) {
        // w is `last`: every change up to it is stored, so the listing below reflects it (docs/adr/0012 §7).
        const filter = new SnapshotFilter(last);
        for await (const documents of snapshotPages(snapshots!, ctx, input, this.o.snapshotPageBytes)) {
          if (this.closing) throw shuttingDown();
          for (const d of documents) filter.add(d);
          yield { kind: 'snapshot', revision: last, documents };
        }
        open = { until: (await feed.bounds(collection)).current, filter };
      }
      let caughtUp = false;
      let lastSentAt = this.o.clock.now();
      for (;;) {
        if (ctx.signal.aborted) return;
        if (this.closing) throw shuttingDown();
        const released = hub.next; // taken before reading, so a release during the read is not missed
        const page = await readPage(feed, collection, last, pageSize);
        for (const event of page.events) {
          last = event.revision;
          const filter = open?.filter;
          const keep: ChangeFilter = filter === undefined ? matches : (c) => matches(c) && !filter.shows(c);
          const item =
            input.includePrevious === true
              ? await itemWithPrevious(collection, event, keep, this.previous)
              : itemOf(collection, event, keep);
          if (item === undefined) continue;
          yield item;
          lastSentAt = this.o.clock.now();
        }
        if (page.events.length < pageSize) last = Math.max(last, page.watermark); // every change up to the watermark has been sent
        if (open !== undefined) {
          // Progress waits for the snapshot's end: before it, no revision is a resume point.
          if (last < open.until) {
            if (page.events.length < pageSize) await this.idle(released, aborted.promise, input.progressIntervalMs);
            continue;
          }
          open = undefined;
          caughtUp = page.events.length < pageSize;
          yield { kind: 'snapshot-complete', revision: last };
          lastSentAt = this.o.clock.now();
        }
        if (page.events.length >= pageSize) continue;
        const idleMs = this.o.clock.now() - lastSentAt;
        if (!caughtUp || idleMs >= input.progressIntervalMs) {
          caughtUp = true;
          yield { kind: 'progress', revision: last };
          lastSentAt = this.o.clock.now();
        }
        await this.idle(released, aborted.promise, Math.max(1, input.progressIntervalMs - (this.o.clock.now() - lastSentAt)));
      }
    } finally {
      aborted.dispose();
      this.leave(collection, hub);
      this.active--;
    }
  }

  /** Waits for a release, the caller's abort, or `ms`. */
  private async idle(released: Promise<void>, aborted: Promise<void>, ms: number): Promise<void> {
    const timer = new AbortController();
    await Promise.race([released, aborted, this.o.clock.sleep(ms, timer.signal).catch(() => undefined)]);
    timer.abort(); // no timer outlives the wait
  }

  private join(collection: string): Hub {
    let hub = this.hubs.get(collection);
    if (hub === undefined) {
      const h: Hub = { watchers: 0, next: Promise.resolve(), wake: () => undefined, unsubscribe: () => undefined };
      const arm = (): void => {
        h.next = new Promise<void>((resolve) => {
          h.wake = () => {
            arm();
            resolve();
          };
        });
      };
      arm();
      h.unsubscribe = this.o.feed.subscribe(collection, () => h.wake());
      this.hubs.set(collection, h);
      hub = h;
    }
    hub.watchers++;
    return hub;
  }

  private leave(collection: string, hub: Hub): void {
    if (--hub.watchers > 0) return;
    hub.unsubscribe();
    this.hubs.delete(collection);
  }
}

function shuttingDown(): DbError {
  return new DbError(
    'unavailable',
    'SHUTTING_DOWN',
    'the server is shutting down; watch again (on another server) from the last revision received',
    {
      retryDelayMs: 100,
    },
  );
}

/** UNAVAILABLE FEED_RECOVERING: the collection's feed replaced a lost one and settles for `ms` more. */
export function feedRecovering(collection: string, ms: number): DbError {
  return new DbError(
    'unavailable',
    'FEED_RECOVERING',
    `the change feed of collection ${collection} restarted after Redis lost its data and settles for ${Math.ceil(ms / 1000)} s more; watch again then`,
    { metadata: { collection }, retryDelayMs: Math.min(ms, 5000) },
  );
}

/** A feed page, with RevisionOutOfRange turned into the API's error. */
async function readPage(feed: ChangeFeed, collection: string, after: number, limit: number): Promise<FeedPage> {
  try {
    return await feed.read(collection, after, limit);
  } catch (e) {
    if (!(e instanceof RevisionOutOfRange)) throw e;
    throw revisionCompacted(e);
  }
}

/** OUT_OF_RANGE REVISION_COMPACTED of a refused start (or a watcher overtaken by retention). */
export function revisionCompacted(e: RevisionOutOfRange): DbError {
  const { bounds } = e;
  const why = e.requested > bounds.current ? 'is newer than its current revision' : 'is older than its retained history';
  return new DbError(
    'out_of_range',
    'REVISION_COMPACTED',
    `revision ${e.requested} of collection ${e.collection} ${why}; re-read and watch from the read's read_revision`,
    {
      field: 'after_revision',
      metadata: {
        collection: e.collection,
        requestedRevision: String(e.requested),
        oldestRevision: String(bounds.oldest),
        currentRevision: String(bounds.current),
      },
      cause: e,
    },
  );
}

function abortPromise(signal: AbortSignal): { promise: Promise<void>; dispose: () => void } {
  let onAbort: () => void = () => undefined;
  const promise = new Promise<void>((resolve) => {
    onAbort = () => resolve();
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) };
}
