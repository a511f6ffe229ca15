import { randomBytes } from 'node:crypto';
import type { Lease, LeaseAttempt, LeaseState } from '../coordinator.js';
import { checkLeaseName, checkLeaseTtl } from '../lease-args.js';

/** The current lease of one name. */
interface Current {
  readonly id: string;
  readonly holder: string;
  readonly fence: bigint;
  expiresAt: number;
}

/**
 * The leases of LocalCoordinator: one Map of current leases and one of the
 * latest fencing token per name (never lowered, so tokens strictly increase
 * per name for the life of the process). A lease whose expiry has come
 * (expiresAt ≤ now) is not current. Everything is synchronous, hence atomic.
 */
export class LocalLeases {
  private readonly current = new Map<string, Current>();
  private readonly fences = new Map<string, bigint>();

  constructor(private readonly now: () => number) {}

  /** Grants a lease unless one is current. */
  tryAcquire(name: string, ttlMs: number, holder: string): LeaseAttempt {
    checkLeaseName(name);
    checkLeaseTtl(ttlMs);
    const now = this.now();
    const held = this.live(name, now);
    if (held !== undefined) return { granted: false, holder: held.holder, remainingMs: held.expiresAt - now };
    const fence = (this.fences.get(name) ?? 0n) + 1n;
    this.fences.set(name, fence);
    const lease: Current = { id: randomBytes(16).toString('hex'), holder, fence, expiresAt: now + ttlMs };
    this.current.set(name, lease);
    return { granted: true, lease: toLease(lease) };
  }

  /** Extends the current lease when its id is `leaseId`. */
  renew(name: string, leaseId: string, ttlMs: number): Lease | undefined {
    checkLeaseName(name);
    checkLeaseTtl(ttlMs);
    const now = this.now();
    const held = this.live(name, now);
    if (held === undefined || held.id !== leaseId) return undefined;
    held.expiresAt = now + ttlMs;
    return toLease(held);
  }

  /** Frees the lock when `leaseId` is the current lease. */
  release(name: string, leaseId: string): boolean {
    checkLeaseName(name);
    const held = this.live(name, this.now());
    if (held === undefined || held.id !== leaseId) return false;
    this.current.delete(name);
    return true;
  }

  /** The current lease's public state. */
  info(name: string): LeaseState | undefined {
    checkLeaseName(name);
    const held = this.live(name, this.now());
    return held === undefined ? undefined : { holder: held.holder, fencingToken: held.fence, expireAtMs: held.expiresAt };
  }

  /** The latest token granted for `name`, 0n when never. */
  latestFence(name: string): bigint {
    checkLeaseName(name);
    return this.fences.get(name) ?? 0n;
  }

  private live(name: string, now: number): Current | undefined {
    const held = this.current.get(name);
    if (held === undefined) return undefined;
    if (held.expiresAt > now) return held;
    this.current.delete(name);
    return undefined;
  }
}

function toLease(c: Current): Lease {
  return { leaseId: c.id, fencingToken: c.fence, expireAtMs: c.expiresAt };
}
