import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { sleep, throwIfAborted } from '../../common/abort.js';
import { backoffDelay } from '../../common/backoff.js';
import { DbError } from '../../errors/db-error.js';
import type { CoordinationLoss, Coordinator, Lease, LeaseAttempt, LeaseState, MutexHandle, MutexOptions } from '../coordinator.js';
import { checkLeaseName, checkLeaseTtl } from '../lease-args.js';
import { mutexBusy, validateMutexOptions } from '../mutex-options.js';
import {
  LEASE_ACQUIRE_SCRIPT,
  LEASE_FENCE_SCRIPT,
  LEASE_INFO_SCRIPT,
  LEASE_RELEASE_SCRIPT,
  LEASE_RENEW_SCRIPT,
  epochMarkerKey,
  leaseKeys,
} from './lease-scripts.js';
import type { EpochStore } from '../epoch-store.js';
import { RedisEpoch } from './redis-epoch.js';
import { ACQUIRE_SCRIPT, RELEASE_SCRIPT, mutexKeys } from './mutex-scripts.js';
import { MutexReleaser, type ReleaseCommand } from './mutex-release.js';
import { ClusterEpochMarker, EPOCH_RAISE_SCRIPT } from './cluster-epoch-marker.js';
import { markerKeyFor } from './cluster-slots.js';
import {
  describeError as describe,
  openRedis,
  raceAbort,
  sendAndWait,
  redisUnavailable as unavailable,
  withTimeout,
  type RedisClient,
} from './redis-connection.js';
import { RedisGuard } from './redis-guard.js';

/** How to reach Redis. */
export interface RedisCoordinatorOptions {
  /** redis://[user:password@]host:port[/db] (or rediss:// for TLS); with `cluster`, seed URLs separated by commas. */
  readonly url: string;
  /** A Redis Cluster (SB_REDIS_CLUSTER): per-slot epoch markers (cluster-epoch-marker.ts). Default false. */
  readonly cluster?: boolean;
  /** Prefix of every key this coordinator writes. Default 'sb:'. */
  readonly keyPrefix?: string;
  /** How long connecting may take before 'unavailable', in ms. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** How long one command may take before 'unavailable', in ms. Default 2000. */
  readonly commandTimeoutMs?: number;
  /**
   * Replicas that must acknowledge a lease or mutex grant (WAIT) before it is
   * returned (SB_REDIS_GRANT_REPLICAS); fewer in time → the grant is given back
   * and the call fails unavailable. So a failover to one of them keeps every
   * token handed out, and every mutex memo's deletion. Default 0 (no WAIT).
   */
  readonly grantReplicas?: number;
  /** Circuit breaker, metrics and spans around every command (redis-guard.ts). Default: a guard with a default breaker, no metrics. */
  readonly guard?: RedisGuard;
}

/** How the coordinator watches for a loss of Redis's data (trackEpoch). */
export interface EpochTracking {
  /** Where the durable epoch lives (storage). */
  readonly store: EpochStore;
  /** How often the marker is checked besides every reconnect, in ms (SB_REDIS_LOSS_CHECK_MS). */
  readonly checkIntervalMs: number;
  /** A periodic or reconnect check failed (it is retried on the next trigger). */
  readonly onCheckError?: (err: unknown) => void;
}

/** The scripted commands defined on the connection. */
interface ScriptedRedis {
  sbAcquire(lock: string, fence: string, memo: string, owner: string, ttlMs: string): Promise<[number, string | number, string?]>;
  sbRelease: ReleaseCommand;
  sbLeaseAcquire(
    lease: string,
    fence: string,
    marker: string,
    id: string,
    holder: string,
    ttlMs: string,
    epoch: string,
    raise: string,
  ): Promise<[number, string, number?]>;
  sbLeaseRenew(lease: string, id: string, ttlMs: string): Promise<[number, string?]>;
  sbLeaseRelease(lease: string, id: string): Promise<number>;
  sbLeaseInfo(lease: string): Promise<[string, string, number] | []>;
  sbLeaseFence(fence: string): Promise<string>;
}

/**
 * The Coordinator over one Redis server or a Redis Cluster (every script
 * touches the keys of one slot; on a cluster the epoch marker is per slot,
 * cluster-epoch-marker.ts): mutexes through two Lua scripts
 * (mutex-scripts.ts), waiting with jittered exponential backoff.
 *
 * Failing fast: commands are not queued while disconnected and are retried
 * at most once, so an unreachable Redis yields DbError('unavailable',
 * 'BACKEND_UNAVAILABLE') within about commandTimeoutMs, never a hang.
 */
export class RedisCoordinator implements Coordinator {
  /** Always 'redis'. */
  readonly kind = 'redis';
  private closed = false;
  private epoch: RedisEpoch | undefined;
  private clusterMarker: ClusterEpochMarker | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private readonly lossListeners = new Set<(loss: CoordinationLoss) => void>();
  private readonly releaser: MutexReleaser;

  private constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
    private readonly guard: RedisGuard,
    private readonly grantWait: { replicas: number; timeoutMs: number },
  ) {
    this.releaser = new MutexReleaser(
      guard,
      () =>
        (...args) =>
          this.scripted().sbRelease(...args),
      () => this.closed,
    );
  }

  /** Connects; throws DbError('unavailable') when Redis does not answer within connectTimeoutMs. */
  static async connect(options: RedisCoordinatorOptions): Promise<RedisCoordinator> {
    const redis = await openRedis(options, (r) => {
      r.defineCommand('sbAcquire', { numberOfKeys: 3, lua: ACQUIRE_SCRIPT });
      r.defineCommand('sbRelease', { numberOfKeys: 2, lua: RELEASE_SCRIPT });
      r.defineCommand('sbLeaseAcquire', { numberOfKeys: 3, lua: LEASE_ACQUIRE_SCRIPT });
      r.defineCommand('sbLeaseRenew', { numberOfKeys: 1, lua: LEASE_RENEW_SCRIPT });
      r.defineCommand('sbLeaseRelease', { numberOfKeys: 1, lua: LEASE_RELEASE_SCRIPT });
      r.defineCommand('sbLeaseInfo', { numberOfKeys: 1, lua: LEASE_INFO_SCRIPT });
      r.defineCommand('sbLeaseFence', { numberOfKeys: 1, lua: LEASE_FENCE_SCRIPT });
      r.defineCommand('sbEpochRaise', { numberOfKeys: 1, lua: EPOCH_RAISE_SCRIPT });
    });
    const grantWait = { replicas: options.grantReplicas ?? 0, timeoutMs: Math.max(1, Math.floor((options.commandTimeoutMs ?? 2000) / 2)) };
    return new RedisCoordinator(redis, options.keyPrefix ?? 'sb:', options.guard ?? new RedisGuard(), grantWait);
  }

  /** Takes the named mutex, waiting with jittered backoff up to options.waitMs. */
  async acquireMutex(name: string, options: MutexOptions): Promise<MutexHandle> {
    validateMutexOptions(name, options);
    const keys = mutexKeys(this.keyPrefix, name);
    const owner = randomBytes(12).toString('hex');
    const ttl = String(Math.ceil(options.ttlMs));
    const deadline = Date.now() + options.waitMs;
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(options.signal);
      this.checkOpen();
      type Reply = [number, string | number, string?];
      // Gives a grant nobody will use back at once, with the memo it took (nothing was done under it).
      const giveBack = (r: Reply): void =>
        void this.releaser.releaseQuietly(keys, `${owner}:${String(r[1])}`, r[2] ? { value: r[2], ttlMs: options.ttlMs } : undefined);
      const call = async (): Promise<Reply> => {
        const args = [keys.lock, keys.fence, keys.memo, owner, ttl] as const;
        const { replicas, timeoutMs } = this.grantWait;
        if (replicas === 0) return this.scripted().sbAcquire(...args);
        // As for leases: a grant is used only once enough replicas have it (and its memo's deletion).
        const queue = (p: object): unknown => (p as unknown as ScriptedRedis).sbAcquire(...args);
        const { reply, acked } = await sendAndWait<Reply>(this.redis, queue, replicas, timeoutMs);
        if (reply[0] !== 1 || acked >= replicas) return reply;
        giveBack(reply);
        return [-2, acked];
      };
      const [granted, value, memo] = await this.run('mutex.acquire', call, options.signal, (late) => late[0] === 1 && giveBack(late)).catch(
        (e: unknown) => {
          // No answer: the grant may still be made (or survive in a promoted replica); look for it later.
          this.releaser.releaseOrphan(keys, owner, options.ttlMs);
          throw e;
        },
      );
      if (granted === 1) return this.releaser.handle(keys, owner, String(value), memo, options.ttlMs);
      if (granted === -2)
        throw unavailable(`mutex grant of ${name} acknowledged by ${value} of ${this.grantWait.replicas} replicas in time`);
      const now = Date.now();
      if (now >= deadline) throw mutexBusy(name, options.waitMs);
      const holderLeft = typeof value === 'number' && value > 0 ? value : Infinity;
      const delay = Math.max(1, Math.min(backoffDelay(attempt, { baseMs: 5, maxMs: 100 }), holderLeft, deadline - now));
      await sleep(delay, options.signal);
    }
  }

  /**
   * Starts loss detection (redis-epoch.ts): syncs the epoch now (throws when
   * Redis or storage fails), then again on every reconnect and every
   * checkIntervalMs. From then on leases are granted only in the current
   * epoch, with the epoch in the high bits of their fencing tokens. Without
   * it (tests of the bare adapter) tokens are plain counters (epoch 0).
   */
  async trackEpoch(tracking: EpochTracking): Promise<number> {
    const redis = this.redis;
    const key = epochMarkerKey(this.keyPrefix);
    if (redis instanceof Cluster) this.clusterMarker = new ClusterEpochMarker(redis, this.keyPrefix, (op, send) => this.run(op, send));
    const marker = this.clusterMarker ?? {
      get: async (): Promise<number | undefined> => {
        const v = await this.run('epoch.get', () => redis.get(key));
        return v === null ? undefined : Number(v);
      },
      setIfMissing: async (epoch: number): Promise<boolean> =>
        (await this.run('epoch.set', () => redis.set(key, String(epoch), 'NX'))) === 'OK',
    };
    const epoch = new RedisEpoch(marker, tracking.store);
    epoch.onLoss((loss) => {
      for (const listener of this.lossListeners) listener(loss);
    });
    const current = await epoch.sync();
    this.epoch = epoch;
    const check = (): void => void epoch.sync().catch((err: unknown) => tracking.onCheckError?.(err));
    redis.on('ready', check);
    if (redis instanceof Cluster) redis.on('+node', check); // a failover or a new master: check its markers at once
    this.checkTimer = setInterval(check, tracking.checkIntervalMs);
    this.checkTimer.unref();
    return current;
  }

  /** The epoch leases are granted in (undefined until trackEpoch). */
  get currentEpoch(): number | undefined {
    return this.epoch?.current;
  }

  /** Calls `listener` on every loss detected after trackEpoch; returns the unsubscribe function. */
  onLoss(listener: (loss: CoordinationLoss) => void): () => void {
    this.lossListeners.add(listener);
    return () => this.lossListeners.delete(listener);
  }

  /**
   * Grants the named lease unless one is current (lease-scripts.ts). A grant
   * that arrives after `signal` aborted is released at once. expireAtMs is
   * measured from before the request was sent, so it is never later than
   * Redis's own expiry (given clocks that run at the same rate).
   */
  async tryAcquireLease(name: string, ttlMs: number, holder: string, signal?: AbortSignal): Promise<LeaseAttempt> {
    checkLeaseName(name);
    checkLeaseTtl(ttlMs);
    this.checkCall(signal);
    const keys = leaseKeys(this.keyPrefix, name);
    const id = randomBytes(16).toString('hex');
    let sentAt = Date.now();
    let reply = await this.acquireOnce(keys, id, holder, ttlMs, signal);
    if (reply[0] === -1 && this.epoch !== undefined) {
      // The marker moved or vanished: Redis lost its data or another server noticed a loss first.
      if (reply[1] === '') this.clusterMarker?.suspect(this.markerKey(keys.lease));
      await this.settle(this.epoch.sync(), signal);
      sentAt = Date.now();
      reply = await this.acquireOnce(keys, id, holder, ttlMs, signal);
    }
    if (reply[0] === -1) throw unavailable(`coordination epoch changed during the grant of lock ${name}`);
    if (reply[0] === -2)
      throw unavailable(`lease grant of ${name} acknowledged by ${reply[1]} of ${this.grantWait.replicas} replicas in time`);
    if (reply[0] === 1) return { granted: true, lease: { leaseId: id, fencingToken: BigInt(reply[1]), expireAtMs: sentAt + ttlMs } };
    return { granted: false, holder: reply[1], remainingMs: Math.max(0, Number(reply[2] ?? 0)) };
  }

  private acquireOnce(
    keys: { lease: string; fence: string },
    id: string,
    holder: string,
    ttlMs: number,
    signal?: AbortSignal,
  ): Promise<[number, string, number?]> {
    const epoch = this.epoch?.current;
    const args = [
      keys.lease,
      keys.fence,
      this.markerKey(keys.lease),
      id,
      holder,
      String(ttlMs),
      epoch === undefined ? '' : String(epoch),
      this.clusterMarker === undefined ? '0' : '1',
    ] as const;
    const { replicas, timeoutMs } = this.grantWait;
    const call = async (): Promise<[number, string, number?]> => {
      if (replicas === 0) return this.scripted().sbLeaseAcquire(...args);
      const queue = (p: object): unknown => (p as unknown as ScriptedRedis).sbLeaseAcquire(...args);
      const { reply, acked } = await sendAndWait<[number, string, number?]>(this.redis, queue, replicas, timeoutMs);
      if (reply[0] !== 1 || acked >= replicas) return reply;
      // Not on enough replicas: a failover could lose it and hand its token out again. Give it back
      // (an answer, not a Redis failure: the breaker does not count it).
      void this.guard.call('lease.release', () => this.scripted().sbLeaseRelease(keys.lease, id)).catch(() => undefined);
      return [-2, String(acked)];
    };
    return this.run('lease.acquire', call, signal, (late) => {
      if (late[0] === 1) void this.guard.call('lease.release', () => this.scripted().sbLeaseRelease(keys.lease, id)).catch(() => undefined);
    });
  }

  /** The epoch marker a grant of `lease` checks: the one marker, or on a cluster the marker of the lease's slot. */
  private markerKey(lease: string): string {
    return this.redis instanceof Cluster ? markerKeyFor(this.keyPrefix, lease) : epochMarkerKey(this.keyPrefix);
  }

  /** Extends the lease to ttlMs from now if `leaseId` is still current. */
  async renewLease(name: string, leaseId: string, ttlMs: number, signal?: AbortSignal): Promise<Lease | undefined> {
    checkLeaseName(name);
    checkLeaseTtl(ttlMs);
    this.checkCall(signal);
    const sentAt = Date.now();
    const lease = leaseKeys(this.keyPrefix, name).lease;
    const reply = await this.run('lease.renew', () => this.scripted().sbLeaseRenew(lease, leaseId, String(ttlMs)), signal);
    if (reply[0] !== 1 || reply[1] === undefined) return undefined;
    return { leaseId, fencingToken: BigInt(reply[1]), expireAtMs: sentAt + ttlMs };
  }

  /** Frees the lock if `leaseId` is current (compare-and-delete in one script). */
  async releaseLease(name: string, leaseId: string, signal?: AbortSignal): Promise<boolean> {
    checkLeaseName(name);
    this.checkCall(signal);
    const lease = leaseKeys(this.keyPrefix, name).lease;
    return (await this.run('lease.release', () => this.scripted().sbLeaseRelease(lease, leaseId), signal)) === 1;
  }

  /** The current lease's holder, token and expiry (now + its PTTL). */
  async leaseInfo(name: string, signal?: AbortSignal): Promise<LeaseState | undefined> {
    checkLeaseName(name);
    this.checkCall(signal);
    const lease = leaseKeys(this.keyPrefix, name).lease;
    const reply = await this.run('lease.info', () => this.scripted().sbLeaseInfo(lease), signal);
    if (reply.length === 0) return undefined;
    return { holder: reply[0], fencingToken: BigInt(reply[1]), expireAtMs: Date.now() + Math.max(0, Number(reply[2])) };
  }

  /** The name's fencing counter (0n when never granted). */
  async latestFence(name: string, signal?: AbortSignal): Promise<bigint> {
    checkLeaseName(name);
    this.checkCall(signal);
    const fence = leaseKeys(this.keyPrefix, name).fence;
    return BigInt(await this.run('lease.fence', () => this.scripted().sbLeaseFence(fence), signal));
  }

  /**
   * Resolves when Redis answers PING. Through the breaker: while it is open
   * this fails at once, and after the cool-down the health probe's PING is
   * the half-open probe that closes it again without waiting for traffic.
   */
  async ping(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    this.checkOpen();
    await this.run('ping', () => this.redis.ping(), signal);
  }

  /** Closes the connection (QUIT, or a hard disconnect if that fails). Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.checkTimer);
    try {
      await withTimeout(this.redis.quit(), 1000);
    } catch {
      this.redis.disconnect();
    }
  }

  /**
   * Sends a command through the guard (breaker, metrics, span), mapping
   * failures to 'unavailable' and abandoning it when `signal` aborts (the
   * guard still sees how the command ends: an abort is not a Redis failure).
   */
  private run<T>(op: string, send: () => Promise<T>, signal?: AbortSignal, onLate?: (result: T) => void): Promise<T> {
    return this.settle(this.guard.call(op, send), signal, onLate);
  }

  /** Awaits `work`, mapping failures to 'unavailable' and abandoning it when `signal` aborts. */
  private async settle<T>(work: Promise<T>, signal?: AbortSignal, onLate?: (result: T) => void): Promise<T> {
    try {
      return await raceAbort(work, signal, onLate);
    } catch (cause) {
      if (cause instanceof DbError) throw cause;
      throw unavailable(`Redis command failed: ${describe(cause)}`, cause);
    }
  }

  private scripted(): ScriptedRedis {
    return this.redis as unknown as ScriptedRedis;
  }

  private checkCall(signal?: AbortSignal): void {
    throwIfAborted(signal);
    this.checkOpen();
  }

  private checkOpen(): void {
    if (this.closed) throw unavailable('coordinator is closed');
  }
}
