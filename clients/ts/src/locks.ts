/**
 * Locks: plain-object views of LockService (Acquire, Renew, Release, Get,
 * Hold) and withLock(), which holds a lock through a Hold stream for as long
 * as a function runs. Durations are milliseconds; fencing tokens are bigint
 * (int64 on the wire) and go into a LockGuard on writes so that a holder
 * whose lease expired is refused (LOCK_NOT_HELD).
 */
import type { Client } from '@connectrpc/connect';
import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { toSmarterBaseError } from './errors.js';
import type { LockService } from './gen/smarterbase/v1/lock_service_pb.js';
import type { CallOptions } from './options.js';

/** Makes a write conditional on still holding a lock (put / putIfMatch / delete option `lockGuard`). */
export interface LockGuard {
  /** The lock's name. */
  readonly name: string;
  /** The fencing token from acquire(), hold() or withLock(). */
  readonly fencingToken: bigint;
}

/** A granted lease (acquire / renew). */
export interface LockLease {
  /** The lock's name. */
  readonly name: string;
  /** The secret for renew() and release(). */
  readonly leaseId: string;
  /** Strictly greater than every earlier grant's token for this name. */
  readonly fencingToken: bigint;
  /** When the lease expires unless renewed. */
  readonly expireTime: Date;
}

/** What getLock() shows (never the lease id). */
export interface LockInfo {
  /** True when a lease is current. */
  readonly held: boolean;
  /** The holder given at acquire time ("" when none or not held). */
  readonly holder: string;
  /** The current lease's token (0n when not held). */
  readonly fencingToken: bigint;
  /** When the current lease expires (undefined when not held). */
  readonly expireTime: Date | undefined;
}

/** Options of acquire(). */
export interface AcquireOptions extends CallOptions {
  /** Lease duration, 100 ms to 10 minutes. Default 10000. */
  readonly ttlMs?: number;
  /** How long to wait for a busy lock (bounded by timeoutMs). Default 0: fail at once with LOCK_HELD. */
  readonly waitMs?: number;
  /** Who is asking (shown by getLock()), at most 256 characters. */
  readonly holder?: string;
}

/**
 * Options of hold() and withLock(). timeoutMs, when given, bounds the whole
 * stream (the lock is released when it passes); by default a Hold has no
 * deadline, whatever ClientOptions.timeoutMs says.
 */
export interface HoldOptions extends CallOptions {
  /** Lease duration, renewed by the server at a third of it: 1 s to 10 minutes. Default (server) 10000. */
  readonly ttlMs?: number;
  /** How long to wait for a busy lock. Default 0: fail at once with LOCK_HELD. */
  readonly waitMs?: number;
  /** Who is asking (shown by getLock()). */
  readonly holder?: string;
}

/** One message of a Hold stream: the grant, then one per renewal. */
export interface HoldUpdate {
  /** The lease's token (the same in every message of a stream). */
  readonly fencingToken: bigint;
  /** When the lease expires unless renewed again. */
  readonly expireTime: Date;
}

/** What withLock() gives its function. */
export interface HeldLock {
  /** The lock's name. */
  readonly name: string;
  /** The lease's fencing token. */
  readonly fencingToken: bigint;
  /** { name, fencingToken }: pass it as the `lockGuard` option of writes. */
  readonly guard: LockGuard;
  /** Aborted (reason: the SmarterBaseError) if the lease is lost while the function runs. */
  readonly signal: AbortSignal;
}

/** The function run by withLock(). */
export type WithLockFn<R> = (lock: HeldLock) => R | Promise<R>;

/** Milliseconds as a google.protobuf.Duration init. */
export function msToDuration(ms: number): { seconds: bigint; nanos: number } {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`duration must be a finite number of ms >= 0, got ${ms}`);
  const whole = Math.floor(ms);
  return { seconds: BigInt(Math.floor(whole / 1000)), nanos: (whole % 1000) * 1_000_000 + Math.round((ms - whole) * 1_000_000) };
}

/** A google.protobuf.Timestamp (absent → epoch) as a Date. */
export function timestampToDate(t: Timestamp | undefined): Date {
  return t === undefined ? new Date(0) : new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000));
}

/** An optional Duration field: undefined/0 → unset. */
function optionalDuration(ms: number | undefined): { seconds: bigint; nanos: number } | undefined {
  return ms === undefined || ms === 0 ? undefined : msToDuration(ms);
}

/** The proto LockGuard init of a write option (or undefined). */
export function toProtoGuard(g: LockGuard | undefined): { name: string; fencingToken: bigint } | undefined {
  if (g === undefined) return undefined;
  if (typeof g.fencingToken !== 'bigint') throw new TypeError('lockGuard.fencingToken must be a bigint');
  return { name: g.name, fencingToken: g.fencingToken };
}

type CallOpts = { timeoutMs?: number; signal?: AbortSignal };

/** The lock calls of SmarterBaseClient, over the generated LockService client. */
export class LockCalls {
  constructor(
    private readonly rpc: Client<typeof LockService>,
    private readonly opts: (o: CallOptions | undefined) => CallOpts,
  ) {}

  /** Acquire: a lease, or LOCK_HELD (retryDelayMs = holder's remaining lease) when busy after waitMs. */
  async acquire(name: string, options?: AcquireOptions): Promise<LockLease> {
    const req = {
      name,
      ttl: msToDuration(options?.ttlMs ?? 10_000),
      waitTimeout: optionalDuration(options?.waitMs),
      holder: options?.holder ?? '',
    };
    const res = await call(() => this.rpc.acquire(req, this.opts(options)));
    return { name, leaseId: res.leaseId, fencingToken: res.fencingToken, expireTime: timestampToDate(res.expireTime) };
  }

  /** Renew: extends the lease by ttlMs from now; LOCK_NOT_HELD when it is no longer current. */
  async renew(lease: Pick<LockLease, 'name' | 'leaseId'>, ttlMs: number, options?: CallOptions): Promise<LockLease> {
    const res = await call(() =>
      this.rpc.renew({ name: lease.name, leaseId: lease.leaseId, ttl: msToDuration(ttlMs) }, this.opts(options)),
    );
    return { name: lease.name, leaseId: lease.leaseId, fencingToken: res.fencingToken, expireTime: timestampToDate(res.expireTime) };
  }

  /** Release: true when this call freed the lock, false when the lease was no longer current. */
  async release(lease: Pick<LockLease, 'name' | 'leaseId'>, options?: CallOptions): Promise<boolean> {
    const res = await call(() => this.rpc.release({ name: lease.name, leaseId: lease.leaseId }, this.opts(options)));
    return res.released;
  }

  /** Get: whether the lock is held, by whom, until when. */
  async get(name: string, options?: CallOptions): Promise<LockInfo> {
    const res = await call(() => this.rpc.get({ name }, this.opts(options)));
    return {
      held: res.held,
      holder: res.holder,
      fencingToken: res.fencingToken,
      expireTime: res.held ? timestampToDate(res.expireTime) : undefined,
    };
  }

  /**
   * Hold: the raw stream (grant, then one message per renewal). Abort
   * options.signal, or leave the loop, to release the lock; errors are
   * SmarterBaseErrors.
   */
  async *hold(name: string, options?: HoldOptions): AsyncGenerator<HoldUpdate> {
    const stop = new AbortController();
    try {
      for await (const m of this.openHold(name, options, stop.signal)) {
        yield { fencingToken: m.fencingToken, expireTime: timestampToDate(m.expireTime) };
      }
    } catch (e) {
      throw toSmarterBaseError(e);
    } finally {
      // Leaving the loop early (break, return, throw) must cancel the call, which releases the lock.
      stop.abort();
    }
  }

  /**
   * Runs fn while holding the lock: opens a Hold stream, waits for the grant,
   * runs fn with the fencing token, then cancels the stream (releasing the
   * lock) — also when fn throws. If the lease is lost meanwhile,
   * lock.signal aborts (reason: the SmarterBaseError); guarded writes are
   * then refused with LOCK_NOT_HELD.
   */
  async withLock<R>(name: string, fn: WithLockFn<R>, options?: HoldOptions): Promise<R> {
    const stop = new AbortController();
    const messages = this.openHold(name, options, stop.signal)[Symbol.asyncIterator]();
    let token: bigint;
    try {
      const first = await messages.next();
      if (first.done === true) throw new Error(`the Hold stream of ${name} ended before the lock was granted`);
      token = first.value.fencingToken;
    } catch (e) {
      stop.abort();
      throw toSmarterBaseError(e);
    }
    const lost = new AbortController();
    // Drain the renewals in the background; a failure we did not cause means the lease was lost.
    const drain = (async () => {
      try {
        while ((await messages.next()).done !== true);
      } catch (e) {
        if (!stop.signal.aborted) lost.abort(toSmarterBaseError(e));
      }
    })();
    try {
      return await fn({ name, fencingToken: token, guard: { name, fencingToken: token }, signal: lost.signal });
    } finally {
      stop.abort();
      await drain;
    }
  }

  private openHold(name: string, options: HoldOptions | undefined, stop: AbortSignal) {
    const req = {
      name,
      ttl: optionalDuration(options?.ttlMs),
      waitTimeout: optionalDuration(options?.waitMs),
      holder: options?.holder ?? '',
    };
    const signal = options?.signal ? AbortSignal.any([options.signal, stop]) : stop;
    // No deadline unless asked for: a deadline would end the hold (0 = none, overriding ClientOptions.timeoutMs).
    return this.rpc.hold(req, { timeoutMs: options?.timeoutMs ?? 0, signal });
  }
}

async function call<R>(fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (e) {
    throw toSmarterBaseError(e);
  }
}
