/**
 * Document expiry with Redis coordination (docs/streams.md, "Document expiry
 * (TTL)"): the expiry service over the schedule every server shares
 * (redis-purge-schedule.ts). Every server purges: each round it claims due
 * ids, so an id is purged by one server, and a dead server's claims return
 * after the claim period.
 *
 * The durable markers in storage stay the truth of which collections expire:
 * the registry in Redis is rebuilt from them when its born key is missing
 * (start-up, or Redis lost its data), and a collection's schedule is rebuilt
 * by listing the collection when its born key is missing. Until then reads
 * still hide expired documents by their expire time: a loss delays purges,
 * it never shows an expired document.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { openRedis, type RedisClient, type RedisConnectionOptions } from '../../coordination/redis/redis-connection.js';
import { RedisGuard } from '../../coordination/redis/redis-guard.js';
import { ExpiryService, type ExpiryServiceOptions } from '../expiry-service.js';
import { RedisPurgeSchedule } from './redis-purge-schedule.js';

/** How long a rebuild's token is kept (a rebuild that takes longer is redone by the next round that finds the schedule unconfirmed). */
const REBUILD_TOKEN_TTL_MS = 3_600_000;

/** The default wait before a lost schedule is rebuilt (RedisExpiryOptions.rebuildSettleMs). */
const DEFAULT_REBUILD_SETTLE_MS = 30_000;

/** What RedisExpiry is built from. */
export interface RedisExpiryOptions extends ExpiryServiceOptions {
  /** Prefix of every key. Default 'sb:'. */
  readonly keyPrefix?: string;
  /** How long a claim lasts, in ms. Default 30 000. */
  readonly claimMs?: number;
  /**
   * How long a lost schedule waits before its rebuild lists the collection, in ms (default 30 000):
   * longer than any write takes, since a write schedules before it stores (SB_TTL_REBUILD_SETTLE_MS).
   */
  readonly rebuildSettleMs?: number;
  /** Warnings about losses and their rebuilds. */
  readonly onLoss?: (what: { collection?: string; registry?: boolean }) => void;
}

/** Expiry over the shared schedule (see the file comment). */
export class RedisExpiry extends ExpiryService {
  /** The shared purge schedule. */
  declare readonly due: RedisPurgeSchedule;
  private readonly rebuilding = new Set<string>();
  private reloading = false;
  private readonly registeredHere = new Set<string>();
  private readonly closing = new AbortController();
  private readonly background = new Set<Promise<unknown>>();

  private constructor(
    private readonly ro: RedisExpiryOptions,
    private readonly redis: RedisClient,
    private readonly ownsConnection: boolean,
    guard: RedisGuard,
  ) {
    super(ro, new RedisPurgeSchedule({ redis, guard, keyPrefix: ro.keyPrefix, claimMs: ro.claimMs }));
    this.due.listen({
      known: () => this.markers.marked(),
      registryLost: () => this.reloadRegistry(),
      collectionLost: (collection) => this.rebuildLost(collection),
    });
  }

  /** Connects its own Redis connection (closed by close()). */
  static async connect(options: RedisExpiryOptions & RedisConnectionOptions & { readonly guard?: RedisGuard }): Promise<RedisExpiry> {
    const redis = await openRedis(options);
    return new RedisExpiry(options, redis, true, options.guard ?? new RedisGuard({}, 'expiry'));
  }

  /** Uses an existing connection (not closed by close()). */
  static attach(redis: RedisClient, options: RedisExpiryOptions & { readonly guard?: RedisGuard }): RedisExpiry {
    return new RedisExpiry(options, redis, false, options.guard ?? new RedisGuard({}, 'expiry'));
  }

  /** Marks the collection durably, then registers it in Redis (once per process) so every server claims from it. */
  override async markExpiring(collection: string, signal?: AbortSignal): Promise<void> {
    await super.markExpiring(collection, signal);
    if (this.registeredHere.has(collection)) return;
    await this.due.register([collection], false);
    this.registeredHere.add(collection);
  }

  /** True when the collection is marked, as this process or the registry knows. */
  override isExpiring(collection: string): boolean {
    return super.isExpiring(collection) || this.due.registered().has(collection);
  }

  /** The ids a keys-only listing must re-read; every id when Redis does not answer (the listing stays exact, only slower). */
  override async dueAmong(collection: string, ids: readonly string[], nowMs: number, signal?: AbortSignal): Promise<ReadonlySet<string>> {
    try {
      return await this.due.dueAmong(collection, ids, nowMs, signal);
    } catch (e) {
      if (signal?.aborted) throw e;
      return new Set(ids);
    }
  }

  /** Stops the purger and the rebuilds, then closes its connection if it owns one. */
  override async close(): Promise<void> {
    this.closing.abort();
    await super.close();
    await Promise.allSettled([...this.background]);
    if (this.ownsConnection) this.redis.disconnect();
  }

  /** At start: the registry gets every marker (schedules are rebuilt when the purger finds them unconfirmed). */
  protected override async loaded(collections: readonly string[]): Promise<void> {
    await this.due.register(collections, true);
  }

  /** The registry lost its data: reload the markers from storage and register them all (in the background). */
  private reloadRegistry(): void {
    if (this.reloading || this.closing.signal.aborted) return;
    this.reloading = true;
    this.ro.onLoss?.({ registry: true });
    this.track(
      this.markers
        .load(this.closing.signal)
        .then((all) => this.due.register(all, true))
        .finally(() => (this.reloading = false)),
    );
  }

  /**
   * The collection's schedule is not confirmed: rebuild it from storage (in
   * the background, once at a time per process). The listing starts only
   * after the settle time: a write schedules its expiry before it stores the
   * document, so a write that scheduled into the lost Redis may still be
   * landing, and a listing taken before it lands would confirm a schedule
   * without it (its document then listed by keys-only listings after its
   * expiry, and purged only when a read meets it).
   */
  private rebuildLost(collection: string): void {
    if (this.rebuilding.has(collection) || this.closing.signal.aborted) return;
    this.rebuilding.add(collection);
    this.ro.onLoss?.({ collection });
    const token = randomUUID();
    this.track(
      this.due
        .beginRebuild(collection, token, REBUILD_TOKEN_TTL_MS)
        .then(() => delay(this.ro.rebuildSettleMs ?? DEFAULT_REBUILD_SETTLE_MS, undefined, { signal: this.closing.signal }))
        .then(() => this.rebuild([collection], this.closing.signal))
        .then((r) => (r instanceof Error ? undefined : this.due.confirmRebuild(collection, token)))
        .finally(() => this.rebuilding.delete(collection)),
    );
  }

  private track(p: Promise<unknown>): void {
    const guarded = p.catch(() => undefined); // reported by onRebuilt; retried when the next round finds it unconfirmed
    this.background.add(guarded);
    void guarded.finally(() => this.background.delete(guarded));
  }
}
