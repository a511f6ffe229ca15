import { throwIfAborted } from '../common/abort.js';
import { DbError } from '../errors/db-error.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import type { CallContext } from '../api/call-context.js';
import { LockManager } from './lock-manager.js';
import { fixedRandom } from '../common/manual-clock.js';
import { systemClock } from '../common/clock.js';
import { InMemoryMetrics } from '../observability/in-memory-metrics.js';
import { createMetrics, METRIC_NAMES, type LockInstruments } from '../observability/metrics.js';

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

/** A LockManager over a LocalCoordinator on a fake clock whose sleeps advance time instantly. */
function fake(wrap: (c: LocalCoordinator) => Coordinator = (c) => c, instruments?: LockInstruments) {
  const t = { now: 1_000_000 };
  const sleeps: number[] = [];
  const now = (): number => t.now;
  const local = new LocalCoordinator({ clock: { ...systemClock, now } });
  const sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    throwIfAborted(signal);
    sleeps.push(ms);
    t.now += ms;
  };
  const locks = new LockManager({
    coordinator: wrap(local),
    clock: { now, date: () => new Date(now()), sleep },
    random: fixedRandom(0.5),
    ...(instruments ? { instruments } : {}),
  });
  return { t, sleeps, local, locks };
}

const ctx = (): CallContext => ({ signal: new AbortController().signal });

describe('LockManager acquire/renew/release/get', () => {
  it('grants a free lock; a busy one with no wait is aborted LOCK_HELD with the holder and its remaining lease', async () => {
    const { locks, t } = fake();
    const a = await locks.acquire(ctx(), { name: 'job', ttlMs: 5000, holder: 'A' });
    expect(a).toMatchObject({ fencingToken: 1n, expireAtMs: t.now + 5000 });
    t.now += 1000;
    const e = await errorOf(locks.acquire(ctx(), { name: 'job', ttlMs: 5000, holder: 'B' }));
    expect(e).toMatchObject({ kind: 'aborted', reason: 'LOCK_HELD', retryDelayMs: 4000, metadata: { name: 'job', holder: 'A' } });
  });

  it("waits with growing, jittered sleeps that never pass the holder's expiry, and gets the next token", async () => {
    const { locks, t, sleeps } = fake();
    const start = t.now;
    await locks.acquire(ctx(), { name: 'job', ttlMs: 3000 });
    const b = await locks.acquire(ctx(), { name: 'job', ttlMs: 1000, waitMs: 60_000 });
    expect(b.fencingToken).toBe(2n);
    expect(t.now).toBe(start + 3000); // woke exactly at the expiry: sleeps are capped by the holder's remaining lease
    expect(sleeps.slice(0, 4)).toEqual([5, 10, 20, 40]); // random 0.5 of caps 10, 20, 40, 80
    expect(Math.max(...sleeps)).toBeLessThanOrEqual(500);
  });

  it('the wait ends at waitMs, or earlier at ctx.deadlineMs, with LOCK_HELD', async () => {
    const { locks, t } = fake();
    await locks.acquire(ctx(), { name: 'job', ttlMs: 600_000 });
    let start = t.now;
    expect((await errorOf(locks.acquire(ctx(), { name: 'job', ttlMs: 1000, waitMs: 700 }))).reason).toBe('LOCK_HELD');
    expect(t.now - start).toBe(700);
    start = t.now;
    const withDeadline = { signal: new AbortController().signal, deadlineMs: t.now + 250 };
    expect((await errorOf(locks.acquire(withDeadline, { name: 'job', ttlMs: 1000, waitMs: 60_000 }))).reason).toBe('LOCK_HELD');
    expect(t.now - start).toBe(250);
  });

  it('a waiting acquire stops at once when the signal aborts (real time)', async () => {
    const locks = new LockManager({ coordinator: new LocalCoordinator() });
    await locks.acquire(ctx(), { name: 'job', ttlMs: 60_000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 50);
    const e = await errorOf(locks.acquire({ signal: controller.signal }, { name: 'job', ttlMs: 1000, waitMs: 30_000 }));
    expect(e.kind).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('renew extends the current lease; a lost one is failed_precondition LOCK_NOT_HELD; release only by the holder', async () => {
    const { locks, t } = fake();
    const a = await locks.acquire(ctx(), { name: 'job', ttlMs: 1000 });
    t.now += 900;
    const renewed = await locks.renew(ctx(), 'job', a.leaseId, 2000);
    expect(renewed).toEqual({ leaseId: a.leaseId, fencingToken: 1n, expireAtMs: t.now + 2000 });
    expect(await locks.release(ctx(), 'job', 'someone-else')).toBe(false);
    expect(await locks.release(ctx(), 'job', a.leaseId)).toBe(true);
    expect(await locks.release(ctx(), 'job', a.leaseId)).toBe(false);
    const e = await errorOf(locks.renew(ctx(), 'job', a.leaseId, 1000));
    expect(e).toMatchObject({ kind: 'failed_precondition', reason: 'LOCK_NOT_HELD', metadata: { name: 'job' } });
  });

  it('get shows holder, token and expiry, never the lease id', async () => {
    const { locks, t } = fake();
    expect(await locks.get(ctx(), 'job')).toEqual({ held: false });
    const a = await locks.acquire(ctx(), { name: 'job', ttlMs: 1000, holder: 'A' });
    const info = await locks.get(ctx(), 'job');
    expect(info).toEqual({ held: true, holder: 'A', fencingToken: 1n, expireAtMs: t.now + 1000 });
    expect(Object.values(info)).not.toContain(a.leaseId);
    t.now += 1000;
    expect(await locks.get(ctx(), 'job')).toEqual({ held: false });
  });

  it('validates names, ttls, waits, holders and lease ids', async () => {
    const { locks } = fake();
    const field = async (p: Promise<unknown>): Promise<string | undefined> => {
      const e = await errorOf(p);
      expect(e).toMatchObject({ kind: 'invalid', reason: 'INVALID_ARGUMENT' });
      return e.field;
    };
    const acquire = (input: object) => locks.acquire(ctx(), { name: 'ok', ttlMs: 1000, ...input });
    expect(await field(acquire({ name: '' }))).toBe('name');
    expect(await field(acquire({ name: 'é'.repeat(129) }))).toBe('name'); // 258 bytes
    expect(await field(acquire({ name: 'a\nb' }))).toBe('name');
    expect(await field(acquire({ name: 'a\u0085b' }))).toBe('name');
    expect(await field(acquire({ name: 'bad\ud800' }))).toBe('name');
    await expect(acquire({ name: 'é'.repeat(128) })).resolves.toMatchObject({ fencingToken: 1n }); // 256 bytes
    expect(await field(acquire({ ttlMs: undefined }))).toBe('ttl');
    expect(await field(acquire({ ttlMs: 99 }))).toBe('ttl');
    expect(await field(acquire({ ttlMs: 600_001 }))).toBe('ttl');
    expect(await field(acquire({ waitMs: -1 }))).toBe('wait_timeout');
    expect(await field(acquire({ holder: 'h'.repeat(257) }))).toBe('holder');
    await expect(acquire({ name: 'h', holder: '😀'.repeat(256) })).resolves.toBeDefined(); // 256 characters
    expect(await field(locks.renew(ctx(), 'ok', '', 1000))).toBe('lease_id');
    expect(await field(locks.release(ctx(), 'a\tb', 'x'))).toBe('name');
    expect(await field(locks.get(ctx(), ''))).toBe('name');
    expect(await field(locks.hold(ctx(), { name: 'ok', ttlMs: 999 }).next())).toBe('ttl');
  });
});

describe('LockManager hold', () => {
  it('yields the grant, then each renewal a third of the ttl later; releases when the consumer stops', async () => {
    const { locks, t } = fake();
    const start = t.now;
    const hold = locks.hold(ctx(), { name: 'job', holder: 'H' }); // default ttl 10 s
    const first = await hold.next();
    expect(first.value).toMatchObject({ fencingToken: 1n, expireAtMs: start + 10_000 });
    const expiries: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await hold.next();
      expect(r.done).toBe(false);
      expiries.push((r.value as { expireAtMs: number }).expireAtMs);
    }
    expect(expiries.map((e) => e - start - 10_000)).toEqual([3334, 6668, 10_002]); // renewed every ceil(10000/3)
    expect(await locks.get(ctx(), 'job')).toMatchObject({ held: true, holder: 'H', fencingToken: 1n });
    await hold.return();
    expect(await locks.get(ctx(), 'job')).toEqual({ held: false });
  });

  it('ends quietly and releases when the signal aborts', async () => {
    const { locks } = fake();
    const controller = new AbortController();
    const hold = locks.hold({ signal: controller.signal }, { name: 'job', ttlMs: 3000 });
    await hold.next();
    controller.abort();
    expect(await hold.next()).toEqual({ done: true, value: undefined });
    expect(await locks.get(ctx(), 'job')).toEqual({ held: false });
  });

  it('throws LOCK_NOT_HELD when the lease was taken over, and leaves the new holder alone', async () => {
    const { locks, local } = fake();
    const hold = locks.hold(ctx(), { name: 'job', ttlMs: 3000 });
    const first = (await hold.next()).value as { leaseId: string };
    await local.releaseLease('job', first.leaseId); // lost, e.g. a Redis failover dropped it
    expect((await local.tryAcquireLease('job', 60_000, 'other')).granted).toBe(true);
    const e = await errorOf(hold.next());
    expect(e).toMatchObject({ kind: 'failed_precondition', reason: 'LOCK_NOT_HELD', metadata: { name: 'job', fencingToken: '1' } });
    expect(await locks.get(ctx(), 'job')).toMatchObject({ held: true, holder: 'other', fencingToken: 2n });
  });

  it('keeps retrying an unreachable backend until the lease expires, then throws LOCK_NOT_HELD', async () => {
    let down = false;
    const { locks, t } = fake((c) => {
      const flaky = Object.create(c) as LocalCoordinator;
      flaky.renewLease = async (...args) => {
        if (down) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'redis is down');
        return c.renewLease(...args);
      };
      return flaky;
    });
    const hold = locks.hold(ctx(), { name: 'job', ttlMs: 3000 });
    const first = (await hold.next()).value as { expireAtMs: number };
    down = true;
    const e = await errorOf(hold.next());
    expect(e).toMatchObject({ reason: 'LOCK_NOT_HELD' });
    expect(e.cause).toMatchObject({ kind: 'unavailable' });
    expect(t.now).toBeGreaterThanOrEqual(first.expireAtMs);
  });

  it('in real time keeps the lock past its ttl while pulled, and excludes another holder meanwhile', async () => {
    const coordinator = new LocalCoordinator();
    const locks = new LockManager({ coordinator });
    const started = Date.now();
    let messages = 0;
    for await (const lease of locks.hold(ctx(), { name: 'job', ttlMs: 1000, holder: 'H' })) {
      expect(lease.fencingToken).toBe(1n);
      messages++;
      const other = await errorOf(locks.acquire(ctx(), { name: 'job', ttlMs: 1000 }));
      expect(other.reason).toBe('LOCK_HELD');
      if (Date.now() - started > 1500) break;
    }
    expect(messages).toBeGreaterThanOrEqual(5); // the grant + a renewal every ~333 ms
    expect(await locks.get(ctx(), 'job')).toEqual({ held: false });
    await expect(locks.acquire(ctx(), { name: 'job', ttlMs: 1000 })).resolves.toMatchObject({ fencingToken: 2n });
  });
});

describe('LockManager metrics', () => {
  let metrics: InMemoryMetrics;
  let instruments: LockInstruments;
  beforeEach(() => {
    metrics = new InMemoryMetrics();
    instruments = createMetrics(metrics.meter).locks;
  });
  afterEach(() => metrics.shutdown());
  const losses = (reason: string): Promise<number> => metrics.value(METRIC_NAMES.lockLosses, { reason });

  it('counts each granted lease once, not the refused attempts', async () => {
    const { locks } = fake(undefined, instruments);
    const lease = await locks.acquire(ctx(), { name: 'a', ttlMs: 1000 });
    await expect(locks.acquire(ctx(), { name: 'a', ttlMs: 1000 })).rejects.toMatchObject({ reason: 'LOCK_HELD' });
    await locks.release(ctx(), 'a', lease.leaseId);
    await locks.acquire(ctx(), { name: 'a', ttlMs: 1000, waitMs: 5000 });
    expect(await metrics.value(METRIC_NAMES.lockGrants, {})).toBe(2);
    expect(await losses('not_current')).toBe(0);
  });

  it('a lease taken over (or gone with the Redis data) is a loss not_current, on hold and on renew', async () => {
    const { locks, local } = fake(undefined, instruments);
    const hold = locks.hold(ctx(), { name: 'job', ttlMs: 3000 });
    const first = (await hold.next()).value as { leaseId: string };
    await local.releaseLease('job', first.leaseId);
    await expect(hold.next()).rejects.toMatchObject({ reason: 'LOCK_NOT_HELD' });
    await expect(locks.renew(ctx(), 'job', first.leaseId, 1000)).rejects.toMatchObject({ reason: 'LOCK_NOT_HELD' });
    expect(await losses('not_current')).toBe(2);
    expect(await losses('unreachable')).toBe(0);
    expect(await metrics.value(METRIC_NAMES.lockGrants, {})).toBe(1);
  });

  it('a hold whose backend never answered before expiry is a loss unreachable', async () => {
    let down = false;
    const { locks } = fake((c) => {
      const flaky = Object.create(c) as LocalCoordinator;
      flaky.renewLease = async (...args) => {
        if (down) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'redis is down');
        return c.renewLease(...args);
      };
      return flaky;
    }, instruments);
    const hold = locks.hold(ctx(), { name: 'job', ttlMs: 3000 });
    await hold.next();
    down = true;
    await expect(hold.next()).rejects.toMatchObject({ reason: 'LOCK_NOT_HELD' });
    expect(await losses('unreachable')).toBe(1);
    expect(await losses('not_current')).toBe(0);
  });
});
