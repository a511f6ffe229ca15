/**
 * The in-process change feed (docs/adr/0012 §5, embedded default): the
 * ChangeFeed port over per-collection in-memory state (collection-state.ts),
 * persisted, when given a directory, in a journal (feed-journal.ts) that
 * `open` replays.
 *
 * Durability order: an allocation is pending in memory at once (so
 * concurrent allocations never release out of order) and returned once its
 * record is fsynced; a resolution changes memory only once its record is
 * fsynced, so nothing is released that a crash could take back. Until then
 * its revisions stay pending (holding later events back) but claimed, so a
 * concurrent resolve of them returns false.
 */
import {
  type ChangeFeed,
  type FeedBounds,
  type FeedEvent,
  type FeedListener,
  type FeedPage,
  type PendingRef,
  type PendingRevision,
} from '../change-feed.js';
import { CollectionState, narrowEvent, type Released } from './collection-state.js';
import { FeedJournal } from './feed-journal.js';
import { replayRecords } from './feed-replay.js';

/** Options of LocalFeed.open. */
export interface LocalFeedOptions {
  /** The journal directory; absent: in memory only (a restart is a new generation). */
  readonly dir?: string;
  /** Released events kept per collection (default 100 000). */
  readonly retainCount?: number;
  /** Age, by commit time, beyond which released events are dropped (default 24 h). */
  readonly retainMs?: number;
  /** ms since the epoch (default Date.now). */
  readonly clock?: { now(): number };
  /** Size past which a collection's journal rolls to a new segment (default 8 MiB). */
  readonly segmentBytes?: number;
  readonly log?: { warn(obj: object, msg: string): void };
}

/** The change feed of every collection, in process. */
export class LocalFeed implements ChangeFeed {
  private readonly states = new Map<string, CollectionState>();
  private readonly listeners = new Map<string, Set<FeedListener>>();
  private closed = false;
  /** Resolutions being written down, by collection and revision. */
  private readonly inflight = new Map<string, Promise<void>>();

  private constructor(
    /** The feed generation, µs. */
    readonly born: number,
    private readonly journal: FeedJournal | null,
    private readonly clock: { now(): number },
    private readonly retention: { retainCount: number; retainMs: number },
    private readonly log: { warn(obj: object, msg: string): void },
  ) {}

  /** Opens the feed: replays the journal under `dir` (or creates it: a new generation), or starts in memory. */
  static async open(options: LocalFeedOptions = {}): Promise<LocalFeed> {
    const clock = options.clock ?? { now: () => Date.now() };
    const log = options.log ?? { warn: () => undefined };
    const retention = { retainCount: options.retainCount ?? 100_000, retainMs: options.retainMs ?? 86_400_000 };
    const bornNow = (): number => Math.floor(clock.now() * 1000);
    if (options.dir === undefined) return new LocalFeed(bornNow(), null, clock, retention, log);
    const { journal, replay } = await FeedJournal.open({
      dir: options.dir,
      segmentBytes: options.segmentBytes ?? 8 * 1024 * 1024,
      bornNow,
      log,
    });
    const feed = new LocalFeed(replay.born, journal, clock, retention, log);
    for (const [name, records] of replay.collections) {
      const state = feed.stateOf(name);
      state.restore(replayRecords(records));
      feed.compact(state);
    }
    return feed;
  }

  /** See ChangeFeed.allocate: pending at once, returned once durable. */
  async allocate(collection: string, ref: PendingRef): Promise<number> {
    this.assertOpen();
    const state = this.stateOf(collection);
    const nowMs = this.clock.now();
    const revision = state.allocate(ref, nowMs);
    if (this.journal) {
      try {
        await this.journal.append(collection, {
          a: revision,
          id: ref.id,
          op: ref.op,
          p: ref.prevRevision,
          t: nowMs,
          ...(ref.txid === undefined ? {} : { x: ref.txid }),
        });
      } catch (e) {
        // Never returned, so never written with: a hole, unless a resolution of it is already under way.
        if (state.claim([revision]).length > 0) this.publish(state, state.settle([revision], null));
        throw e;
      }
    }
    return revision;
  }

  /** The exact watermark (ChangeFeed.watermarkHint). */
  watermarkHint(collection: string): number {
    return this.bounds(collection).watermark;
  }

  /** See ChangeFeed.isPending. */
  isPending(collection: string, revision: number): boolean {
    this.assertOpen();
    return this.states.get(collection)?.isPending(revision) ?? false;
  }

  /**
   * See ChangeFeed.resolve. When only some `revisions` are still pending,
   * the event loses the changes of the others and takes the smallest revision
   * it still settles (collection-state.ts, narrowEvent).
   */
  async resolve(collection: string, revisions: readonly number[], event: FeedEvent | null): Promise<boolean> {
    this.assertOpen();
    if (event && revisions.length > 0 && event.revision !== Math.min(...revisions))
      throw new Error(`the event's revision ${event.revision} is not the smallest of its revisions`);
    const state = this.states.get(collection);
    if (!state) return false;
    const taken = state.claim(revisions);
    // Revisions another resolve is writing down: wait for it, so that when this returns they are settled
    // (a writer helping a pending revision along must not overwrite it before its event is durable).
    const busy = revisions.filter((r) => !taken.includes(r)).flatMap((r) => this.inflight.get(inflightKey(collection, r)) ?? []);
    if (taken.length === 0) {
      await Promise.allSettled(busy);
      return false;
    }
    const settled = narrowEvent(event, revisions, taken);
    const done = (async () => {
      if (this.journal) {
        try {
          await this.journal.append(collection, { r: taken, e: settled });
        } catch (e) {
          state.unclaim(taken);
          throw e;
        }
      }
      this.publish(state, state.settle(taken, settled));
    })();
    for (const r of taken) this.inflight.set(inflightKey(collection, r), done);
    try {
      await done;
    } finally {
      for (const r of taken) this.inflight.delete(inflightKey(collection, r));
    }
    await Promise.allSettled(busy);
    return true;
  }

  /** See ChangeFeed.bounds; a collection never written: all at `born`. */
  bounds(collection: string): FeedBounds {
    this.assertOpen();
    return this.states.get(collection)?.bounds() ?? { oldest: this.born, watermark: this.born, current: this.born };
  }

  /** See ChangeFeed.read. */
  read(collection: string, after: number, limit: number): FeedPage {
    this.assertOpen();
    return (this.states.get(collection) ?? new CollectionState(collection, this.born, this.retention, () => this.clock.now())).read(
      after,
      limit,
    );
  }

  /**
   * See ChangeFeed.subscribe. Listeners are called synchronously, in
   * revision order, whenever a resolution moves the watermark: with the
   * events it released (possibly none, when only holes were settled).
   */
  subscribe(collection: string, listener: FeedListener): () => void {
    this.assertOpen();
    let set = this.listeners.get(collection);
    if (!set) this.listeners.set(collection, (set = new Set()));
    const mine = set;
    const entry: FeedListener = (events, watermark) => listener(events, watermark);
    mine.add(entry);
    return () => {
      mine.delete(entry);
      if (mine.size === 0 && this.listeners.get(collection) === mine) this.listeners.delete(collection);
    };
  }

  /** See ChangeFeed.pending: oldest allocation first. */
  pending(allocatedBeforeMs: number): readonly PendingRevision[] {
    this.assertOpen();
    const all = [...this.states.values()].flatMap((s) => s.pending(allocatedBeforeMs));
    return all.sort((a, b) => a.allocatedAtMs - b.allocatedAtMs || a.revision - b.revision || (a.collection < b.collection ? -1 : 1));
  }

  /** See ChangeFeed.replaced. */
  replaced(collection: string, id: string, prevRevision: number, _near?: number): boolean {
    this.assertOpen();
    return this.states.get(collection)?.replaced(id, prevRevision) ?? false;
  }

  /** The journal's segment names of `collection`, oldest first (tests, diagnostics); [] in memory. */
  segmentNames(collection: string): number[] {
    return this.journal?.segmentNames(collection) ?? [];
  }

  /** Resolves once the journal's background segment deletions have finished (tests, shutdown). */
  async idle(): Promise<void> {
    await this.journal?.idle();
  }

  /** See ChangeFeed.close: waits for the journal's pending appends, then closes it. */
  async close(): Promise<void> {
    this.assertOpen();
    this.closed = true;
    await this.journal?.close();
  }

  private stateOf(collection: string): CollectionState {
    let state = this.states.get(collection);
    if (!state) {
      state = new CollectionState(collection, this.born, this.retention, () => this.clock.now());
      this.states.set(collection, state);
    }
    return state;
  }

  /** Tells the listeners, then lets the journal delete the segments the settlement made obsolete. */
  private publish(state: CollectionState, released: Released): void {
    if (released.advanced || released.events.length > 0) {
      for (const listener of [...(this.listeners.get(state.name) ?? [])]) {
        try {
          listener(released.events, released.watermark);
        } catch (e) {
          this.log.warn({ err: e, collection: state.name }, 'change feed: a listener threw');
        }
      }
    }
    this.compact(state);
  }

  private compact(state: CollectionState): void {
    void this.journal?.compact(state.name, state.oldestRevision(), () => state.currentRevision());
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the change feed is closed');
  }
}

function inflightKey(collection: string, revision: number): string {
  return `${collection}\n${revision}`;
}
