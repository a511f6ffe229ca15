/**
 * One scenario set for the lease operations of every Coordinator adapter
 * (local and redis): each suite calls leaseScenarios() with a factory. When
 * the factory returns several coordinators they share one backend, and the
 * scenarios spread their calls over all of them.
 */
import { randomUUID } from 'node:crypto';
import type { Coordinator, Lease } from '../../server/src/coordination/coordinator.js';

/** Makes the coordinators under test; all of them must share one backend. */
export type LeaseCoordinatorFactory = () => Promise<Coordinator[]>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers the shared lease scenarios in the current describe block. */
export function leaseScenarios(make: LeaseCoordinatorFactory): void {
  let coordinators: Coordinator[] = [];
  const at = (i: number): Coordinator => coordinators[i % coordinators.length] as Coordinator;
  const name = (): string => `lock-${randomUUID()}`;

  async function grant(c: Coordinator, n: string, ttlMs: number, holder = 'h'): Promise<Lease> {
    const r = await c.tryAcquireLease(n, ttlMs, holder);
    if (!r.granted) throw new Error(`expected a grant of ${n}, it is held by ${r.holder}`);
    return r.lease;
  }

  beforeEach(async () => {
    coordinators = await make();
  });
  afterEach(async () => {
    await Promise.all(coordinators.map((c) => c.close()));
  });

  it('grants a free lock with token 1, a secret lease id and an expiry ttl from now', async () => {
    const n = name();
    const before = Date.now();
    const lease = await grant(at(0), n, 10_000, 'worker-a');
    expect(lease.fencingToken).toBe(1n);
    expect(lease.leaseId).toMatch(/^[0-9a-f]{32}$/);
    expect(lease.expireAtMs).toBeGreaterThanOrEqual(before + 10_000);
    expect(lease.expireAtMs).toBeLessThanOrEqual(Date.now() + 10_000);
  });

  it('a held lock is busy for everyone, with the holder and its remaining lease', async () => {
    const n = name();
    await grant(at(0), n, 5000, 'worker-a');
    for (let i = 0; i < coordinators.length; i++) {
      const r = await at(i).tryAcquireLease(n, 1000, 'worker-b');
      expect(r.granted).toBe(false);
      if (r.granted) return;
      expect(r.holder).toBe('worker-a');
      expect(r.remainingMs).toBeGreaterThan(4000);
      expect(r.remainingMs).toBeLessThanOrEqual(5000);
    }
  });

  it('leaseInfo shows holder, token and expiry of the current lease, and nothing for a free lock', async () => {
    const n = name();
    expect(await at(0).leaseInfo(n)).toBeUndefined();
    const lease = await grant(at(0), n, 5000, 'worker-a');
    const info = await at(1).leaseInfo(n);
    expect(info).toEqual({ holder: 'worker-a', fencingToken: lease.fencingToken, expireAtMs: expect.any(Number) });
    expect(Math.abs((info?.expireAtMs ?? 0) - lease.expireAtMs)).toBeLessThan(500);
    expect(JSON.stringify(info, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))).not.toContain(lease.leaseId);
  });

  it('renew extends only the current lease and keeps its token', async () => {
    const n = name();
    const lease = await grant(at(0), n, 300);
    await sleep(150);
    const renewed = await at(1).renewLease(n, lease.leaseId, 2000);
    expect(renewed).toMatchObject({ leaseId: lease.leaseId, fencingToken: lease.fencingToken });
    expect(renewed?.expireAtMs).toBeGreaterThan(lease.expireAtMs + 1000);
    await sleep(300); // past the original expiry: still held thanks to the renewal
    expect((await at(0).tryAcquireLease(n, 1000, 'x')).granted).toBe(false);
    expect(await at(0).renewLease(n, 'f'.repeat(32), 1000)).toBeUndefined();
  });

  it('release frees the lock only for the current lease; the next grant gets the next token', async () => {
    const n = name();
    const lease = await grant(at(0), n, 10_000);
    expect(await at(1).releaseLease(n, 'not-the-lease')).toBe(false);
    expect((await at(1).tryAcquireLease(n, 1000, 'x')).granted).toBe(false);
    expect(await at(1).releaseLease(n, lease.leaseId)).toBe(true);
    expect(await at(0).releaseLease(n, lease.leaseId)).toBe(false); // twice: no longer current
    expect(await at(0).leaseInfo(n)).toBeUndefined();
    const next = await grant(at(1), n, 1000);
    expect(next.fencingToken).toBe(lease.fencingToken + 1n);
  });

  it('expiry lets the next one in; the stale lease can neither renew nor release the new grant', async () => {
    const n = name();
    const stale = await grant(at(0), n, 100, 'a');
    await sleep(200);
    expect(await at(0).leaseInfo(n)).toBeUndefined();
    const fresh = await grant(at(1), n, 10_000, 'b');
    expect(fresh.fencingToken).toBe(stale.fencingToken + 1n);
    expect(await at(0).renewLease(n, stale.leaseId, 10_000)).toBeUndefined();
    expect(await at(0).releaseLease(n, stale.leaseId)).toBe(false);
    expect(await at(0).leaseInfo(n)).toMatchObject({ holder: 'b', fencingToken: fresh.fencingToken });
    expect(await at(0).renewLease(n, fresh.leaseId, 10_000)).toMatchObject({ fencingToken: fresh.fencingToken });
  });

  it('latestFence: 0 for a name never granted, then the latest token, unchanged by expiry and release', async () => {
    const n = name();
    expect(await at(0).latestFence(n)).toBe(0n);
    const a = await grant(at(0), n, 100);
    expect(await at(1).latestFence(n)).toBe(a.fencingToken);
    await sleep(200);
    expect(await at(1).latestFence(n)).toBe(a.fencingToken);
    const b = await grant(at(1), n, 1000);
    await at(1).releaseLease(n, b.leaseId);
    expect(await at(0).latestFence(n)).toBe(b.fencingToken);
    expect(await at(0).latestFence(name())).toBe(0n); // names do not share counters
  });

  it('concurrent acquirers on all coordinators: exactly one wins each round; tokens strictly increase', async () => {
    const n = name();
    const tokens: bigint[] = [];
    for (let round = 0; round < 20; round++) {
      const results = await Promise.all(Array.from({ length: 12 }, (_, i) => at(i).tryAcquireLease(n, 10_000, `w${i}`)));
      const winners = results.filter((r) => r.granted);
      expect(winners).toHaveLength(1);
      const [won] = winners;
      if (won === undefined || !won.granted) return;
      tokens.push(won.lease.fencingToken);
      expect(await at(round).releaseLease(n, won.lease.leaseId)).toBe(true);
    }
    expect(tokens).toEqual(tokens.map((_, i) => BigInt(i + 1)));
  });

  it('lease ids are random per grant', async () => {
    const ids = new Set<string>();
    const n = name();
    for (let i = 0; i < 20; i++) {
      const lease = await grant(at(i), n, 1000);
      ids.add(lease.leaseId);
      await at(i).releaseLease(n, lease.leaseId);
    }
    expect(ids.size).toBe(20);
  });

  it('rejects an empty name and a ttl below 1 ms as invalid', async () => {
    await expect(at(0).tryAcquireLease('', 1000, 'h')).rejects.toMatchObject({ kind: 'invalid', field: 'name' });
    await expect(at(0).tryAcquireLease(name(), 0, 'h')).rejects.toMatchObject({ kind: 'invalid', field: 'ttl' });
    await expect(at(0).renewLease(name(), 'x', 0.5)).rejects.toMatchObject({ kind: 'invalid', field: 'ttl' });
  });

  it('an aborted signal is refused before anything happens', async () => {
    const n = name();
    const signal = AbortSignal.abort();
    await expect(at(0).tryAcquireLease(n, 1000, 'h', signal)).rejects.toMatchObject({ kind: 'cancelled' });
    expect(await at(0).latestFence(n)).toBe(0n);
  });
}
