import { throwIfAborted } from '../common/abort.js';
import { systemClock, systemRandom, type Clock, type RandomSource } from '../common/clock.js';
import { backoffDelay } from '../common/backoff.js';
import { isDbError } from '../errors/db-error.js';
import type { Coordinator, Lease } from '../coordination/coordinator.js';
import type { CallContext } from '../api/call-context.js';
import type { AcquireInput, LockApi, LockInfo, LockLease } from '../api/lock-api.js';
import { ACQUIRE_TTL, HOLD_TTL, checkHolder, checkLeaseId, checkLockName, checkTtl, checkWait } from './lock-args.js';
import { lockHeld, lockNotHeld } from './lock-errors.js';
import type { CounterCell } from '../observability/cell-counter.js';
import { singleCell, type LockInstruments, type LockLossReason } from '../observability/metrics.js';

/** Options of the LockManager. */
export interface LockManagerOptions {
  /** Where leases and fencing counters live (local or Redis). */
  readonly coordinator: Coordinator;
  /** The clock of waits and renewals (tests inject a manual one). Default systemClock. */
  readonly clock?: Clock;
  /** The backoff jitter. Default systemRandom. */
  readonly random?: RandomSource;
  /** Acquire's backoff: first cap and largest delay, in ms. Default 10 and 500. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** Where grants and losses of leases are counted (the catalogue's lock instruments). */
  readonly instruments?: LockInstruments;
}

/**
 * LockApi over the Coordinator's leases (docs/locks.md).
 *
 * acquire polls tryAcquireLease with jittered exponential backoff, never
 * sleeping past the holder's remaining lease, the wait bound
 * (min(now + waitMs, ctx.deadlineMs)) or ctx.signal. hold renews at a third
 * of the ttl and releases in `finally`; it renews only while its consumer
 * keeps pulling (the RPC handler does, one message per renewal).
 */
export class LockManager implements LockApi {
  private readonly coordinator: Coordinator;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  private readonly counted?: { readonly grants: CounterCell; readonly lossOf: (reason: LockLossReason) => CounterCell };

  constructor(options: LockManagerOptions) {
    this.coordinator = options.coordinator;
    const instruments = options.instruments;
    if (instruments !== undefined) {
      const losses = {
        not_current: instruments.losses.cell('not_current', { reason: 'not_current' }),
        unreachable: instruments.losses.cell('unreachable', { reason: 'unreachable' }),
      };
      this.counted = { grants: singleCell(instruments.grants), lossOf: (reason) => losses[reason] };
    }
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.backoff = options.backoff ?? { baseMs: 10, maxMs: 500 };
  }

  /** Takes the lock (ttl 100 ms..10 min, required), waiting up to waitMs; busy → aborted LOCK_HELD. */
  async acquire(ctx: CallContext, input: AcquireInput): Promise<LockLease> {
    checkLockName(input.name);
    const ttlMs = checkTtl(input.ttlMs, ACQUIRE_TTL);
    return this.acquireChecked(ctx, input.name, ttlMs, checkWait(input.waitMs), checkHolder(input.holder));
  }

  /** Extends the current lease to ttlMs from now; not current → failed_precondition LOCK_NOT_HELD. */
  async renew(ctx: CallContext, name: string, leaseId: string, ttlMs: number): Promise<LockLease> {
    checkLockName(name);
    checkLeaseId(leaseId);
    const ttl = checkTtl(ttlMs, ACQUIRE_TTL);
    const lease = await this.coordinator.renewLease(name, leaseId, ttl, ctx.signal);
    if (lease === undefined) {
      this.counted?.lossOf('not_current').add();
      throw lockNotHeld(name, `lease of lock ${name} is not current (expired or released)`);
    }
    return lease;
  }

  /** Frees the lock if `leaseId` is current; false (not an error) when it is not. */
  async release(ctx: CallContext, name: string, leaseId: string): Promise<boolean> {
    checkLockName(name);
    checkLeaseId(leaseId);
    return this.coordinator.releaseLease(name, leaseId, ctx.signal);
  }

  /** Who holds the lock and until when; never the lease id. */
  async get(ctx: CallContext, name: string): Promise<LockInfo> {
    checkLockName(name);
    const state = await this.coordinator.leaseInfo(name, ctx.signal);
    if (state === undefined) return { held: false };
    return { held: true, holder: state.holder, fencingToken: state.fencingToken, expireAtMs: state.expireAtMs };
  }

  /**
   * Acquires (ttl 1 s..10 min, default 10 s), yields the lease, then renews
   * at a third of the ttl and yields after each renewal, until ctx.signal
   * aborts (the generator then returns) or the consumer stops; the lease is
   * released in `finally` either way. A lease found not current, or not
   * renewed before it expired (backend unreachable), throws LOCK_NOT_HELD.
   */
  async *hold(ctx: CallContext, input: AcquireInput): AsyncGenerator<LockLease, void, undefined> {
    checkLockName(input.name);
    const ttlMs = checkTtl(input.ttlMs, HOLD_TTL);
    const { name } = input;
    let lease = await this.acquireChecked(ctx, name, ttlMs, checkWait(input.waitMs), checkHolder(input.holder));
    try {
      yield lease;
      for (;;) {
        if (!(await this.pause(ctx, lease.expireAtMs - (2 * ttlMs) / 3))) return;
        const renewed = await this.renewUntilExpiry(ctx, name, lease, ttlMs);
        if (renewed === undefined) return; // aborted
        lease = renewed;
        yield lease;
      }
    } finally {
      await this.coordinator.releaseLease(name, lease.leaseId).catch(() => undefined); // else it expires by its ttl
    }
  }

  private async acquireChecked(ctx: CallContext, name: string, ttlMs: number, waitMs: number, holder: string): Promise<Lease> {
    const waitUntil = Math.min(this.clock.now() + waitMs, ctx.deadlineMs ?? Infinity);
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(ctx.signal);
      const result = await this.coordinator.tryAcquireLease(name, ttlMs, holder, ctx.signal);
      if (result.granted) {
        this.counted?.grants.add();
        return result.lease;
      }
      const now = this.clock.now();
      if (now >= waitUntil) throw lockHeld(name, result.holder, result.remainingMs);
      const jittered = backoffDelay(attempt, { ...this.backoff, random: () => this.random.random() });
      await this.clock.sleep(Math.max(1, Math.min(jittered, result.remainingMs, waitUntil - now)), ctx.signal);
    }
  }

  /** Sleeps until `at` (ms since the epoch); false when ctx.signal aborted first. */
  private async pause(ctx: CallContext, at: number): Promise<boolean> {
    try {
      await this.clock.sleep(Math.max(0, Math.ceil(at - this.clock.now())), ctx.signal);
      return true;
    } catch (e) {
      if (ctx.signal.aborted) return false;
      throw e;
    }
  }

  /**
   * Renews `lease`; retries an unreachable backend with backoff until the
   * lease's expiry, then gives up with LOCK_NOT_HELD. Undefined when aborted.
   */
  private async renewUntilExpiry(ctx: CallContext, name: string, lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    for (let attempt = 0; ; attempt++) {
      if (ctx.signal.aborted) return undefined;
      let failure: unknown;
      try {
        const renewed = await this.coordinator.renewLease(name, lease.leaseId, ttlMs, ctx.signal);
        if (renewed !== undefined) return renewed;
        this.counted?.lossOf('not_current').add();
        throw lockNotHeld(name, `lease of lock ${name} was lost (expired or taken over)`, {
          fencingToken: String(lease.fencingToken),
        });
      } catch (e) {
        if (ctx.signal.aborted) return undefined;
        if (!isDbError(e) || e.kind !== 'unavailable') throw e;
        failure = e;
      }
      const left = lease.expireAtMs - this.clock.now();
      if (left <= 0) {
        this.counted?.lossOf('unreachable').add();
        throw lockNotHeld(
          name,
          `lease of lock ${name} expired: the backend did not answer`,
          {
            fencingToken: String(lease.fencingToken),
          },
          failure,
        );
      }
      const delay = Math.min(left, Math.max(1, backoffDelay(attempt, { ...this.backoff, random: () => this.random.random() })));
      if (!(await this.pause(ctx, this.clock.now() + delay))) return undefined;
    }
  }
}
