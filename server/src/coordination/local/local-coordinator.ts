import { abortError, throwIfAborted } from '../../common/abort.js';
import { DbError } from '../../errors/db-error.js';
import { systemClock, type Clock } from '../../common/clock.js';
import type { Coordinator, Lease, LeaseAttempt, LeaseState, MutexHandle, MutexMemo, MutexOptions } from '../coordinator.js';
import { LocalLeases } from './local-leases.js';
import { mutexBusy, validateMutexOptions } from '../mutex-options.js';

/** Options of the LocalCoordinator. */
export interface LocalCoordinatorOptions {
  /** The clock of grant and lease expiry and of waits. Default systemClock. */
  readonly clock?: Clock;
  /** The most memos kept (MutexHandle.memo); past it the oldest is dropped (a lost memo only costs its reader a lookup). Default 100 000. */
  readonly maxMemos?: number;
}

/** A granted mutex. */
interface Grant {
  readonly owner: object;
  readonly expiresAt: number;
}

/**
 * The Coordinator of a single process: mutexes in a Map.
 *
 * A mutex is free when no grant exists or its TTL has passed. Waiters sleep
 * until a release wakes them, the holder's TTL runs out, their waitMs ends
 * (DbError aborted CONCURRENT_MODIFICATION) or their signal aborts (DbError
 * cancelled / deadline_exceeded). Fencing tokens come from one counter shared
 * by all names, so they strictly increase per name (and overall).
 */
export class LocalCoordinator implements Coordinator {
  /** Always 'local'. */
  readonly kind = 'local';
  private readonly clock: Clock;
  private readonly now: () => number;
  private readonly grants = new Map<string, Grant>();
  /** The memo each mutex's last holder left (MutexHandle.memo), with its expiry. */
  private readonly memos = new Map<string, { readonly value: string; readonly expiresAt: number }>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly leases: LocalLeases;
  private fence = 0n;
  private closed = false;
  private readonly maxMemos: number;

  constructor(options: LocalCoordinatorOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.now = () => this.clock.now();
    this.leases = new LocalLeases(this.now);
    this.maxMemos = options.maxMemos ?? 100_000;
  }

  /** Grants the named lease unless one is current (local/local-leases.ts). */
  async tryAcquireLease(name: string, ttlMs: number, holder: string, signal?: AbortSignal): Promise<LeaseAttempt> {
    this.checkCall(signal);
    return this.leases.tryAcquire(name, ttlMs, holder);
  }

  /** The process holds its own state: it is never lost while running, so listeners are never called. */
  onLoss(): () => void {
    return () => undefined;
  }

  /** Extends the lease if it is still the current one. */
  async renewLease(name: string, leaseId: string, ttlMs: number, signal?: AbortSignal): Promise<Lease | undefined> {
    this.checkCall(signal);
    return this.leases.renew(name, leaseId, ttlMs);
  }

  /** Frees the lock if `leaseId` is the current lease. */
  async releaseLease(name: string, leaseId: string, signal?: AbortSignal): Promise<boolean> {
    this.checkCall(signal);
    return this.leases.release(name, leaseId);
  }

  /** The current lease of the name, if any. */
  async leaseInfo(name: string, signal?: AbortSignal): Promise<LeaseState | undefined> {
    this.checkCall(signal);
    return this.leases.info(name);
  }

  /** The latest token granted for the name (0n when never). */
  async latestFence(name: string, signal?: AbortSignal): Promise<bigint> {
    this.checkCall(signal);
    return this.leases.latestFence(name);
  }

  /** Takes the named mutex, waiting up to options.waitMs. */
  async acquireMutex(name: string, options: MutexOptions): Promise<MutexHandle> {
    validateMutexOptions(name, options);
    const deadline = this.now() + options.waitMs;
    for (;;) {
      throwIfAborted(options.signal);
      this.checkOpen();
      const now = this.now();
      const held = this.grants.get(name);
      if (held === undefined || held.expiresAt <= now) return this.grant(name, now + options.ttlMs);
      if (now >= deadline) throw mutexBusy(name, options.waitMs);
      await this.waitForChange(name, Math.min(deadline, held.expiresAt) - now, options.signal);
    }
  }

  /** Always answers while open. */
  async ping(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    this.checkOpen();
  }

  /** Wakes all waiters (they then fail with 'unavailable'); later calls fail too. */
  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const wake of [...set]) wake();
  }

  private grant(name: string, expiresAt: number): MutexHandle {
    const owner = {};
    this.fence += 1n;
    this.grants.set(name, { owner, expiresAt });
    const left = this.memos.get(name);
    this.memos.delete(name);
    const memo = left !== undefined && left.expiresAt > this.now() ? left.value : undefined;
    const release = async (next?: MutexMemo): Promise<void> => {
      const held = this.grants.get(name);
      if (held?.owner !== owner || held.expiresAt <= this.now()) return;
      this.grants.delete(name);
      if (next !== undefined && next.value !== '') this.keepMemo(name, next);
      this.wake(name);
    };
    return { fencingToken: this.fence, ...(memo !== undefined ? { memo } : {}), release };
  }

  /** Stores a memo as the newest; drops the oldest past maxMemos (the Map keeps insertion order). */
  private keepMemo(name: string, memo: MutexMemo): void {
    this.memos.set(name, { value: memo.value, expiresAt: this.now() + memo.ttlMs });
    if (this.memos.size > this.maxMemos) this.memos.delete(this.memos.keys().next().value as string);
  }

  private wake(name: string): void {
    const set = this.waiters.get(name);
    if (set !== undefined) for (const wake of [...set]) wake();
  }

  /** Resolves on a release of `name` or after `ms`; rejects when `signal` aborts. */
  private waitForChange(name: string, ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const set = this.waiters.get(name) ?? new Set<() => void>();
      this.waiters.set(name, set);
      const timer = new AbortController();
      const cleanup = (): void => {
        timer.abort();
        signal?.removeEventListener('abort', onAbort);
        set.delete(wakeUp);
        if (set.size === 0 && this.waiters.get(name) === set) this.waiters.delete(name);
      };
      const wakeUp = (): void => {
        cleanup();
        resolve();
      };
      const onAbort = (): void => {
        cleanup();
        reject(abortError(signal as AbortSignal));
      };
      // A release wakes it first (and cancels the sleep); a cancelled sleep's rejection is expected.
      this.clock.sleep(Math.max(1, ms), timer.signal).then(wakeUp, () => undefined);
      set.add(wakeUp);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private checkCall(signal?: AbortSignal): void {
    throwIfAborted(signal);
    this.checkOpen();
  }

  private checkOpen(): void {
    if (this.closed) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'coordinator is closed');
  }
}
