/**
 * An in-test fake of the LockApi port (server/src/api/lock-api.ts): one
 * in-memory lease per name, tokens counting up per name, Hold renewing
 * every ttl/3 until ctx.signal aborts or the generator is closed. It records
 * every call and every release so the RPC layer can be tested without the
 * real lock manager. `loseLease(name)` makes the next Hold renewal fail.
 */
import type { CallContext } from '../../server/src/api/call-context.js';
import type { AcquireInput, LockApi, LockInfo, LockLease } from '../../server/src/api/lock-api.js';
import { DbError } from '../../server/src/errors/db-error.js';

interface Held {
  leaseId: string;
  token: bigint;
  expireAtMs: number;
  holder?: string;
}

/** One recorded call: method, context and arguments. */
export interface LockCall {
  readonly method: string;
  readonly ctx: CallContext;
  readonly args: unknown[];
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** The fake. */
export class FakeLockApi implements LockApi {
  /** Every call, in order. */
  readonly calls: LockCall[] = [];
  /** Names released (by release() or the end of a Hold), in order. */
  readonly releases: string[] = [];
  private readonly held = new Map<string, Held>();
  private readonly tokens = new Map<string, bigint>();
  private readonly lost = new Set<string>();
  private nextLease = 1;

  /** Makes the next renewal of `name`'s Hold fail with LOCK_NOT_HELD. */
  loseLease(name: string): void {
    this.lost.add(name);
  }

  /** True while `name` is held. */
  isHeld(name: string): boolean {
    return this.held.has(name);
  }

  async acquire(ctx: CallContext, input: AcquireInput): Promise<LockLease> {
    this.calls.push({ method: 'acquire', ctx, args: [input] });
    return this.grant(input);
  }

  async renew(ctx: CallContext, name: string, leaseId: string, ttlMs: number): Promise<LockLease> {
    this.calls.push({ method: 'renew', ctx, args: [name, leaseId, ttlMs] });
    const h = this.held.get(name);
    if (h === undefined || h.leaseId !== leaseId) {
      throw new DbError('failed_precondition', 'LOCK_NOT_HELD', `lease of ${name} is not current`, { metadata: { name } });
    }
    h.expireAtMs = Date.now() + ttlMs;
    return { leaseId, fencingToken: h.token, expireAtMs: h.expireAtMs };
  }

  async release(ctx: CallContext, name: string, leaseId: string): Promise<boolean> {
    this.calls.push({ method: 'release', ctx, args: [name, leaseId] });
    return this.drop(name, leaseId);
  }

  async get(ctx: CallContext, name: string): Promise<LockInfo> {
    this.calls.push({ method: 'get', ctx, args: [name] });
    const h = this.held.get(name);
    if (h === undefined) return { held: false };
    return { held: true, fencingToken: h.token, expireAtMs: h.expireAtMs, ...(h.holder === undefined ? {} : { holder: h.holder }) };
  }

  async *hold(ctx: CallContext, input: AcquireInput): AsyncGenerator<LockLease, void, undefined> {
    this.calls.push({ method: 'hold', ctx, args: [input] });
    const ttlMs = input.ttlMs ?? 10_000;
    const lease = this.grant({ ...input, ttlMs });
    try {
      yield lease;
      for (;;) {
        await sleep(ttlMs / 3, ctx.signal);
        if (ctx.signal.aborted) return;
        if (this.lost.delete(input.name)) {
          this.held.delete(input.name);
          throw new DbError('failed_precondition', 'LOCK_NOT_HELD', `lost the lease of ${input.name}`, { metadata: { name: input.name } });
        }
        yield await this.renew(ctx, input.name, lease.leaseId, ttlMs);
      }
    } finally {
      this.drop(input.name, lease.leaseId);
    }
  }

  private grant(input: AcquireInput): LockLease {
    if (input.name === 'boom') throw new Error('secret internal failure');
    const cur = this.held.get(input.name);
    if (cur !== undefined) {
      throw new DbError('aborted', 'LOCK_HELD', `lock ${input.name} is held`, {
        metadata: { name: input.name, holder: cur.holder ?? '' },
        retryDelayMs: Math.max(0, cur.expireAtMs - Date.now()),
      });
    }
    const token = (this.tokens.get(input.name) ?? 0n) + 1n;
    this.tokens.set(input.name, token);
    const h: Held = {
      leaseId: `lease-${this.nextLease++}`,
      token,
      expireAtMs: Date.now() + (input.ttlMs ?? 10_000),
      ...(input.holder === undefined ? {} : { holder: input.holder }),
    };
    this.held.set(input.name, h);
    return { leaseId: h.leaseId, fencingToken: token, expireAtMs: h.expireAtMs };
  }

  private drop(name: string, leaseId: string): boolean {
    const h = this.held.get(name);
    if (h === undefined || h.leaseId !== leaseId) return false;
    this.held.delete(name);
    this.releases.push(name);
    return true;
  }
}
