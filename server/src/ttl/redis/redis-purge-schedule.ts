/**
 * The purge schedule shared by every server through Redis (docs/streams.md,
 * "Document expiry (TTL)"): a sorted set per expiring collection (member id,
 * score expire time in ms) and a registry of those collections
 * (redis-expiry-layout.ts). Taking due ids claims them with a script that
 * moves their score forward by `claimMs`, so two servers do not purge the
 * same id and a dead claimer's ids come back when its claim lapses. Each
 * take also reports what Redis lost: the registry's or a collection's
 * `born` key missing (the owner, RedisExpiry, rebuilds from storage).
 *
 * Failing fast like the other Redis adapters: every failure is
 * DbError('unavailable', 'BACKEND_UNAVAILABLE').
 */
import { DbError } from '../../errors/db-error.js';
import { throwIfAborted } from '../../common/abort.js';
import { describeError, redisUnavailable, type RedisClient } from '../../coordination/redis/redis-connection.js';
import type { RedisGuard } from '../../coordination/redis/redis-guard.js';
import type { PurgeSchedule, ScheduledExpiry } from '../purge-schedule.js';
import { registryKeys, scheduleKeys } from './redis-expiry-layout.js';
import { EXPIRY_SCRIPTS, type ExpiryScript } from './redis-expiry-scripts.js';
import { KEEP_SETTLED_MS } from '../expiry-schedule.js';

/** How long a claim lasts by default, in ms. */
export const DEFAULT_CLAIM_MS = 30_000;

/** What the schedule tells its owner. */
export interface ScheduleListener {
  /** Collections this process knows to be expiring (its markers): claimed even if the registry lost them. */
  known(): Iterable<string>;
  /** The registry's born key is missing: reload the markers from storage and register them. */
  registryLost(): void;
  /** The collection's born key is missing: rebuild its schedule from storage. */
  collectionLost(collection: string): void;
}

/** What the shared schedule is built from. */
export interface RedisPurgeScheduleOptions {
  readonly redis: RedisClient;
  readonly guard: RedisGuard;
  /** Prefix of every key. Default 'sb:'. */
  readonly keyPrefix?: string;
  /** How long a claim lasts, in ms. Default 30 000. */
  readonly claimMs?: number;
}

/** The shared schedule (see the file comment). */
export class RedisPurgeSchedule implements PurgeSchedule {
  private listener: ScheduleListener | undefined;
  private registry: ReadonlySet<string> = new Set();
  private readonly prefix: string;
  /** How long a claim lasts, in ms. */
  readonly claimMs: number;

  constructor(private readonly o: RedisPurgeScheduleOptions) {
    this.prefix = o.keyPrefix ?? 'sb:';
    this.claimMs = o.claimMs ?? DEFAULT_CLAIM_MS;
  }

  /** Sets who is told of losses and which collections this process knows. */
  listen(listener: ScheduleListener): void {
    this.listener = listener;
  }

  /** The registered collections as of the last take. */
  registered(): ReadonlySet<string> {
    return this.registry;
  }

  /** ZADD: schedules (collection, id) at expireAtMs, replacing its entry (and any claim on it). */
  async add(collection: string, id: string, expireAtMs: number, signal?: AbortSignal): Promise<void> {
    await this.run('ttl.schedule', () => this.o.redis.zadd(this.keys(collection).x, expireAtMs, id), signal);
  }

  /** Schedules (collection, id) unless it is claimed, scheduled no later, or settled since expireAtMs (the restore script). */
  async restore(collection: string, id: string, expireAtMs: number, signal?: AbortSignal): Promise<void> {
    const k = this.keys(collection);
    await this.eval(EXPIRY_SCRIPTS.restore, [k.x, k.xs], [String(expireAtMs), id], signal);
  }

  /**
   * Claims up to `max` due ids over every registered or known collection,
   * and reports a lost registry or schedule to the listener.
   */
  async takeDue(nowMs: number, max: number, signal?: AbortSignal): Promise<ScheduledExpiry[]> {
    const r = registryKeys(this.prefix);
    const reply = (await this.eval(EXPIRY_SCRIPTS.readRegistry, [r.collections, r.born], [], signal)) as [number, ...string[]];
    this.registry = new Set(reply.slice(1) as string[]);
    if (reply[0] === 0) this.listener?.registryLost();
    const names = new Set([...this.registry, ...(this.listener?.known() ?? [])]);
    const out: ScheduledExpiry[] = [];
    const claimedUntilMs = nowMs + this.claimMs + 0.5; // n + 0.5: a claim, told apart from an expire time
    for (const collection of names) {
      if (out.length >= max) break;
      const k = this.keys(collection);
      const args = [String(nowMs), String(claimedUntilMs), String(max - out.length)];
      const claimed = (await this.eval(EXPIRY_SCRIPTS.claim, [k.x, k.xb], args, signal)) as [number, ...string[]];
      if (claimed[0] === 0) this.listener?.collectionLost(collection);
      for (let i = 1; i + 1 < claimed.length; i += 2)
        out.push({ collection, id: claimed[i] as string, expireAtMs: Math.floor(Number(claimed[i + 1])), claimedUntilMs });
    }
    return out;
  }

  /** Ends the claim on a purged or dropped entry at nowMs (removes it unless rescheduled meanwhile; known as settled for KEEP_SETTLED_MS). */
  async settle(e: ScheduledExpiry, nowMs: number): Promise<void> {
    const k = this.keys(e.collection);
    await this.eval(EXPIRY_SCRIPTS.settle, [k.x, k.xs], [e.id, String(e.claimedUntilMs ?? -1), String(nowMs), String(KEEP_SETTLED_MS)]);
  }

  /** Gives the claim back (due again at once) unless the entry was rescheduled meanwhile. */
  async retry(e: ScheduledExpiry): Promise<void> {
    await this.eval(EXPIRY_SCRIPTS.release, [this.keys(e.collection).x], [e.id, String(e.claimedUntilMs ?? -1), String(e.expireAtMs)]);
  }

  /**
   * The ids among `ids` with a score ≤ nowMs + claimMs (due, or claimed by a
   * purger right now) or settled in the last KEEP_SETTLED_MS (a listing may
   * predate the purge); every id while the collection's schedule is not
   * confirmed (lost with Redis, or being rebuilt).
   */
  async dueAmong(collection: string, ids: readonly string[], nowMs: number, signal?: AbortSignal): Promise<ReadonlySet<string>> {
    if (ids.length === 0) return new Set();
    const k = this.keys(collection);
    const args = [String(nowMs + this.claimMs + 1), String(nowMs - KEEP_SETTLED_MS), ...ids];
    const reply = (await this.eval(EXPIRY_SCRIPTS.dueAmong, [k.x, k.xb, k.xs], args, signal)) as [number, ...string[]];
    return new Set(reply[0] === 0 ? ids : (reply.slice(1) as string[]));
  }

  /** Adds `collections` to the registry; `complete`: they are every durable marker (the registry is whole again). */
  async register(collections: readonly string[], complete: boolean): Promise<void> {
    const r = registryKeys(this.prefix);
    await this.eval(EXPIRY_SCRIPTS.register, [r.collections, r.born], [complete ? '1' : '0', ...collections]);
  }

  /** Starts a rebuild of the collection's schedule under `token` (kept at most `ttlMs`). */
  async beginRebuild(collection: string, token: string, ttlMs: number): Promise<void> {
    await this.eval(EXPIRY_SCRIPTS.beginRebuild, [this.keys(collection).xr], [token, String(ttlMs)]);
  }

  /** Completes a rebuild: true when its token survived (Redis kept its data), so the schedule is whole again. */
  async confirmRebuild(collection: string, token: string): Promise<boolean> {
    const k = this.keys(collection);
    return (await this.eval(EXPIRY_SCRIPTS.confirmRebuild, [k.xr, k.xb], [token, String(Date.now())])) === 1;
  }

  private keys(collection: string): ReturnType<typeof scheduleKeys> {
    return scheduleKeys(this.prefix, collection);
  }

  private async eval(s: ExpiryScript, keys: string[], args: string[], signal?: AbortSignal): Promise<unknown> {
    try {
      return await this.run(s.name, () => this.o.redis.evalsha(s.sha, keys.length, ...keys, ...args), signal);
    } catch (e) {
      if (!(e instanceof DbError) || !/NOSCRIPT/.test(describeError(e.cause))) throw e;
      return this.run(s.name, () => this.o.redis.eval(s.lua, keys.length, ...keys, ...args), signal);
    }
  }

  /** Sends a command through the guard (breaker, metrics, span) unless `signal` aborted; maps failures to 'unavailable'. */
  private async run<T>(op: string, send: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    throwIfAborted(signal);
    try {
      return await this.o.guard.call(op, send);
    } catch (cause) {
      if (cause instanceof DbError) throw cause;
      throw redisUnavailable(`Redis command failed: ${describeError(cause)}`, cause);
    }
  }
}
