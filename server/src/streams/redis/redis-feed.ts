/**
 * The change feed over Redis (docs/adr/0012 §3, §5, §7, §8): the ChangeFeed
 * port shared by every server of a deployment. Allocation and resolution
 * (with release into the collection's stream) are one Lua script each, so a
 * write costs two round trips; reads are one script (bounds and XRANGE), or
 * none for a watcher near the head (the reader loop's ring). Keys and
 * formats: redis-feed-layout.ts; scripts: redis-feed-scripts.ts.
 *
 * Listeners are called by the reader loop (feed-reader-loop.ts) with each
 * batch of stream entries read and the watermark stored with the last one;
 * a release of holes only moves the watermark without an entry, so it is
 * seen by bounds/read, not by listeners. A new generation (Redis lost the
 * feed) calls them with no events, so watchers re-read and meet
 * RevisionOutOfRange.
 */
import { DbError } from '../../errors/db-error.js';
import {
  describeError,
  openRedis,
  redisUnavailable,
  type RedisClient,
  type RedisConnectionOptions,
} from '../../coordination/redis/redis-connection.js';
import { RedisGuard } from '../../coordination/redis/redis-guard.js';
import {
  RevisionOutOfRange,
  type ChangeFeed,
  type FeedBounds,
  type FeedEvent,
  type FeedListener,
  type FeedPage,
  type PendingRef,
  type PendingRevision,
} from '../change-feed.js';
import { FeedReaderLoop } from './feed-reader-loop.js';
import { FeedGenerations } from './feed-generations.js';
import { DEFAULT_RING_ENTRIES, RecentRing } from './recent-ring.js';
import { decodeEntry, eventArgs, feedKeys, pendingFragment, registryKey, type FeedKeys, type ReleasedEntry } from './redis-feed-layout.js';
import { FEED_SCRIPTS, type FeedScript } from './redis-feed-scripts.js';
import { pendingOf } from './pending-list.js';
import { replacedIn } from './replaced-search.js';

/** How old a collection's watermark hint may be before a read of it refreshes it in the background, ms (ADR 0012 §6). */
const HINT_REFRESH_MS = 100;

/** Options of RedisFeed.connect (the connection settings of RedisIndexStoreOptions). */
export interface RedisFeedOptions extends RedisConnectionOptions {
  /** Prefix of every key; the same as the index store's (the counter is shared). Default 'sb:'. */
  readonly keyPrefix?: string;
  /** Breaker, metrics and spans of the command connection (share the coordinator's: same Redis). */
  readonly guard?: RedisGuard;
  /** Released events kept per collection, approximately (XTRIM MAXLEN ~). Default 100 000. */
  readonly retainCount?: number;
  /** Age by revision beyond which released events are trimmed, approximately (XTRIM MINID ~). Default 24 h. */
  readonly retainMs?: number;
  /** Decoded events the reader loop keeps per watched collection. Default 4096. */
  readonly ringEntries?: number;
  /** How long a generation that replaced a lost one settles (FEED_RECOVERING), in ms: SB_FEED_PENDING_AFTER_MS. Default 30 000. */
  readonly settleMs?: number;
  readonly log?: { warn(obj: object, msg: string): void };
}

/** Settings after defaults. */
interface Settings {
  readonly prefix: string;
  readonly retainCount: number;
  readonly retainMs: number;
  readonly ringEntries: number;
  readonly settleMs: number;
  readonly log: { warn(obj: object, msg: string): void };
}

/** The bounds and entries the read script answers. */
interface ReadReply {
  readonly bounds: FeedBounds;
  readonly valid: boolean;
  readonly entries: ReleasedEntry[];
}

/** The change feed of every collection, in Redis. */
export class RedisFeed implements ChangeFeed {
  private readonly listeners = new Map<string, Set<FeedListener>>();
  private readonly rings = new Map<string, RecentRing>();
  private readonly hints = new Map<string, number>();
  private readonly refreshedAt = new Map<string, number>();
  private readonly registered = new Set<string>();
  private readonly loop: FeedReaderLoop;
  private readonly generations: FeedGenerations;
  private closed = false;

  private constructor(
    private readonly redis: RedisClient,
    reader: RedisClient,
    private readonly guard: RedisGuard,
    private readonly s: Settings,
  ) {
    this.generations = new FeedGenerations(s.settleMs);
    this.loop = new FeedReaderLoop(reader, redis, {
      keysOf: (c) => this.keys(c),
      onEntries: (c, entries) => this.deliver(c, entries),
      onWatermark: (c, w, born) => {
        this.generations.note(c, born);
        this.noteWatermark(c, w);
      },
      onGeneration: (c, born, w) => this.newGeneration(c, born, w),
      log: s.log,
    });
  }

  /** Connects the command connection and the reader loop's; throws DbError('unavailable') when Redis does not answer. */
  static async connect(options: RedisFeedOptions): Promise<RedisFeed> {
    if (options.cluster) throw new Error('the Redis change feed does not support Redis Cluster yet (one reader loop per node)');
    const redis = await openRedis(options);
    let reader: RedisClient;
    try {
      reader = await openRedis({ ...options, commandTimeoutMs: Math.max(options.commandTimeoutMs ?? 2000, 3000) });
    } catch (e) {
      redis.disconnect();
      throw e;
    }
    return new RedisFeed(redis, reader, options.guard ?? new RedisGuard({}, 'feed'), {
      prefix: options.keyPrefix ?? 'sb:',
      retainCount: options.retainCount ?? 100_000,
      retainMs: options.retainMs ?? 86_400_000,
      ringEntries: options.ringEntries ?? DEFAULT_RING_ENTRIES,
      settleMs: options.settleMs ?? 30_000,
      log: options.log ?? { warn: () => undefined },
    });
  }

  /** See ChangeFeed.allocate: one script (the collection is added to the registry first, once per process and generation). */
  async allocate(collection: string, ref: PendingRef): Promise<number> {
    this.assertOpen();
    const k = this.keys(collection);
    if (!this.registered.has(collection)) await this.register(collection);
    const [revision, created, born] = (await this.eval(FEED_SCRIPTS.allocate, [k.seq, k.fp, k.fm], [pendingFragment(ref)])) as number[];
    this.generations.note(collection, born!);
    if (created === 1) await this.register(collection); // a new generation: Redis may have lost the registry with it
    return revision!;
  }

  /** See ChangeFeed.settlingMs: after a generation change this process saw, or a loss the coordinator reported (noteLoss). */
  settlingMs(collection: string): number {
    return this.generations.settlingMs(collection);
  }

  /** Redis lost its data (the coordinator's loss signal): every collection settles from now. */
  noteLoss(): void {
    this.generations.noteLoss();
  }

  /** See ChangeFeed.isPending. */
  async isPending(collection: string, revision: number): Promise<boolean> {
    this.assertOpen();
    const fp = this.keys(collection).fp;
    return (await this.run('feed.is_pending', () => this.redis.zcount(fp, revision, revision))) > 0;
  }

  /**
   * See ChangeFeed.resolve: one script claims, queues and releases. A
   * resolve racing another for the same revisions returns false once the
   * winner's script has run, which released atomically: nothing to wait for.
   */
  async resolve(collection: string, revisions: readonly number[], event: FeedEvent | null): Promise<boolean> {
    this.assertOpen();
    if (revisions.length === 0) return false;
    if (event && event.revision !== Math.min(...revisions))
      throw new Error(`the event's revision ${event.revision} is not the smallest of its revisions`);
    const k = this.keys(collection);
    const args = [
      String(this.s.retainCount),
      String(this.s.retainMs),
      String(revisions.length),
      ...revisions.map(String),
      ...(event ? ['1', ...eventArgs(event)] : ['0']),
    ];
    const [claimed, w] = (await this.eval(FEED_SCRIPTS.resolve, [k.seq, k.fp, k.fq, k.fb, k.fm, k.fs], args)) as [number, number];
    if (claimed === 1) this.noteWatermark(collection, w);
    return claimed === 1;
  }

  /** See ChangeFeed.bounds; a collection never written in this generation: all 0. */
  async bounds(collection: string): Promise<FeedBounds> {
    this.assertOpen();
    return (await this.readScript(collection, '', 0)).bounds;
  }

  /**
   * See ChangeFeed.watermarkHint: the last watermark this instance saw
   * (resolve, read, bounds, reader loop). When that is older than 100 ms it
   * also reads the bounds in the background (one script, shared by the
   * reads of those 100 ms), so a server that only reads learns the
   * watermark, and the generation, of what it serves.
   */
  watermarkHint(collection: string): number {
    const now = Date.now();
    if (!this.closed && now - (this.refreshedAt.get(collection) ?? 0) >= HINT_REFRESH_MS) {
      this.refreshedAt.set(collection, now);
      this.readScript(collection, '', 0).catch(() => undefined); // best effort: the hint stays as it was
    }
    return this.hints.get(collection) ?? 0;
  }

  /**
   * See ChangeFeed.read: from the ring when the collection is watched and
   * `after` is within it, else one script. `after` = 0 is accepted while the
   * generation's history is whole (a watcher that started on an empty collection).
   */
  async read(collection: string, after: number, limit: number): Promise<FeedPage> {
    this.assertOpen();
    const fromRing = this.rings.get(collection)?.page(after, limit);
    if (fromRing) return fromRing;
    const reply = await this.readScript(collection, String(after), Math.max(1, limit));
    if (!reply.valid) throw new RevisionOutOfRange(collection, after, reply.bounds);
    const events = limit > 0 ? reply.entries.map((e) => e.event) : [];
    return { events, watermark: reply.bounds.watermark };
  }

  /** See ChangeFeed.subscribe: the collection joins the reader loop with its first listener, and leaves it with its last. */
  subscribe(collection: string, listener: FeedListener): () => void {
    this.assertOpen();
    let set = this.listeners.get(collection);
    if (!set) {
      this.listeners.set(collection, (set = new Set()));
      this.rings.set(collection, new RecentRing(this.s.ringEntries));
      // Every later release is above the watermark now, hence above any this instance saw; with none seen,
      // a minute back by the clock (a revision is at least its allocation time): a few older events may come too.
      this.loop.watch(collection, this.hints.get(collection) ?? Math.max(0, (Date.now() - 60_000) * 1000));
    }
    const mine = set;
    const entry: FeedListener = (events, watermark) => listener(events, watermark);
    mine.add(entry);
    return () => {
      mine.delete(entry);
      if (mine.size > 0 || this.listeners.get(collection) !== mine) return;
      this.listeners.delete(collection);
      this.rings.delete(collection);
      this.loop.unwatch(collection);
    };
  }

  /** See ChangeFeed.pending: every collection of the registry, oldest allocation first. */
  async pending(allocatedBeforeMs: number): Promise<readonly PendingRevision[]> {
    this.assertOpen();
    const names = await this.run('feed.registry', () => this.redis.smembers(registryKey(this.s.prefix)));
    const pipeline = this.redis.pipeline();
    for (const c of names) pipeline.zrange(this.keys(c).fp, 0, -1);
    const results = names.length === 0 ? [] : ((await this.run('feed.pending', () => pipeline.exec())) ?? []);
    try {
      return pendingOf(names, results, allocatedBeforeMs);
    } catch (e) {
      throw redisUnavailable(`Redis command failed: ${describeError(e)}`, e);
    }
  }

  /** See ChangeFeed.replaced: the queued events, then the stream from 120 s (in µs) before `near`. */
  async replaced(collection: string, id: string, prevRevision: number, near: number): Promise<boolean> {
    this.assertOpen();
    if (prevRevision <= 0) return false;
    const k = this.keys(collection);
    return replacedIn(id, prevRevision, Math.max(0, near - 120_000_000), {
      queued: () => this.run('feed.queued', () => this.redis.hvals(k.fb)),
      range: (from, count) => this.run('feed.range', () => this.redis.xrange(k.fs, from, '+', 'COUNT', count)),
    });
  }

  /** See ChangeFeed.close: stops the reader loop and closes both connections. */
  async close(): Promise<void> {
    this.assertOpen();
    this.closed = true;
    await this.loop.stop();
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  private async register(collection: string): Promise<void> {
    await this.run('feed.register', () => this.redis.sadd(registryKey(this.s.prefix), collection));
    this.registered.add(collection);
  }

  private async readScript(collection: string, after: string, limit: number): Promise<ReadReply> {
    const k = this.keys(collection);
    const flat = (await this.eval(FEED_SCRIPTS.read, [k.seq, k.fp, k.fm, k.fs], [after, String(limit)])) as unknown[];
    const [born, oldest, watermark, current, , valid] = flat.slice(0, 6).map(Number) as number[];
    this.generations.note(collection, born!);
    const entries: ReleasedEntry[] = [];
    for (let i = 6; i + 1 < flat.length; i += 2) entries.push(decodeEntry(flat[i + 1] as string[]));
    this.noteWatermark(collection, watermark!);
    return { bounds: { oldest: oldest!, watermark: watermark!, current: current! }, valid: valid === 1, entries };
  }

  private deliver(collection: string, entries: readonly ReleasedEntry[]): void {
    this.rings.get(collection)?.push(entries);
    const w = Math.max(...entries.map((e) => e.w));
    this.noteWatermark(collection, w);
    this.notify(
      collection,
      entries.map((e) => e.event),
      w,
    );
  }

  private newGeneration(collection: string, born: number, w: number): void {
    this.generations.note(collection, born);
    this.rings.get(collection)?.clear();
    this.hints.set(collection, w);
    this.notify(collection, [], w);
  }

  private notify(collection: string, events: readonly FeedEvent[], w: number): void {
    for (const listener of [...(this.listeners.get(collection) ?? [])]) {
      try {
        listener(events, w);
      } catch (e) {
        this.s.log.warn({ err: e, collection }, 'change feed: a listener threw');
      }
    }
  }

  private noteWatermark(collection: string, w: number): void {
    this.hints.set(collection, w); // the latest observed: any watermark observed before a read began is valid for it
  }

  private keys(collection: string): FeedKeys {
    return feedKeys(this.s.prefix, collection);
  }

  private async eval(s: FeedScript, keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.run(s.name, () => this.redis.evalsha(s.sha, keys.length, ...keys, ...args));
    } catch (e) {
      if (!(e instanceof DbError) || !/NOSCRIPT/.test(describeError(e.cause))) throw e;
      return this.run(s.name, () => this.redis.eval(s.lua, keys.length, ...keys, ...args));
    }
  }

  /** Sends a command through the guard; maps failures to DbError('unavailable'). */
  private async run<T>(op: string, send: () => Promise<T>): Promise<T> {
    try {
      return await this.guard.call(op, send);
    } catch (cause) {
      if (cause instanceof DbError) throw cause;
      throw redisUnavailable(`Redis command failed: ${describeError(cause)}`, cause);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('the change feed is closed');
  }
}
