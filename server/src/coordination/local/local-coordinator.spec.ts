import { isDbError } from '../../errors/db-error.js';
import { LocalCoordinator } from './local-coordinator.js';
import { systemClock } from '../../common/clock.js';
import { ManualClock } from '../../common/manual-clock.js';

describe('LocalCoordinator', () => {
  it('treats a grant as expired once the injected clock passes its TTL', async () => {
    let now = 1_000;
    const c = new LocalCoordinator({ clock: { ...systemClock, now: () => now } });
    const a = await c.acquireMutex('m', { ttlMs: 100, waitMs: 0 });
    await expect(c.acquireMutex('m', { ttlMs: 100, waitMs: 0 })).rejects.toMatchObject({ kind: 'aborted' });
    now += 100;
    const b = await c.acquireMutex('m', { ttlMs: 100, waitMs: 0 });
    expect(b.fencingToken).toBe(a.fencingToken + 1n);
    await a.release(); // stale: must not free b's grant
    await expect(c.acquireMutex('m', { ttlMs: 100, waitMs: 0 })).rejects.toMatchObject({
      reason: 'CONCURRENT_MODIFICATION',
    });
    await b.release();
    await expect(c.acquireMutex('m', { ttlMs: 100, waitMs: 0 })).resolves.toBeDefined();
  });

  it('keeps at most maxMemos memos, dropping the oldest', async () => {
    const c = new LocalCoordinator({ maxMemos: 2 });
    for (const name of ['a', 'b', 'c'])
      await (await c.acquireMutex(name, { ttlMs: 1000, waitMs: 0 })).release({ value: name, ttlMs: 60_000 });
    const memos: (string | undefined)[] = [];
    for (const name of ['a', 'b', 'c']) {
      const h = await c.acquireMutex(name, { ttlMs: 1000, waitMs: 0 });
      memos.push(h.memo);
      await h.release();
    }
    expect(memos).toEqual([undefined, 'b', 'c']);
  });

  it('wakes exactly one of several waiters per release, in turn', async () => {
    const c = new LocalCoordinator();
    const first = await c.acquireMutex('m', { ttlMs: 60_000, waitMs: 0 });
    const order: number[] = [];
    const waiters = [1, 2, 3].map(async (i) => {
      const h = await c.acquireMutex('m', { ttlMs: 60_000, waitMs: 5_000 });
      order.push(i);
      await new Promise((r) => setTimeout(r, 5));
      await h.release();
    });
    await first.release();
    await Promise.all(waiters);
    expect(order.sort()).toEqual([1, 2, 3]);
  });

  it('close fails waiting and later calls with unavailable', async () => {
    const c = new LocalCoordinator();
    await c.acquireMutex('m', { ttlMs: 60_000, waitMs: 0 });
    const waiting = c.acquireMutex('m', { ttlMs: 1000, waitMs: 60_000 }).catch((e: unknown) => e);
    await c.close();
    expect(isDbError(await waiting, 'BACKEND_UNAVAILABLE')).toBe(true);
    await expect(c.ping()).rejects.toMatchObject({ kind: 'unavailable' });
  });
  it('waits on its injected clock: a waiter gets the mutex when the clock passes the TTL, or at a release (its sleep cancelled)', async () => {
    const clock = new ManualClock({ startMs: 0 });
    const c = new LocalCoordinator({ clock });
    const a = await c.acquireMutex('m', { ttlMs: 100, waitMs: 1000 });
    const b = c.acquireMutex('m', { ttlMs: 100, waitMs: 1000 });
    await new Promise((r) => setImmediate(r));
    expect(clock.pending()).toBe(1);
    clock.advance(100);
    const granted = await b;
    expect(granted.fencingToken).toBe(a.fencingToken + 1n);
    const d = c.acquireMutex('m', { ttlMs: 100, waitMs: 1000 });
    await new Promise((r) => setImmediate(r));
    await granted.release();
    await expect(d).resolves.toBeDefined();
    expect(clock.pending()).toBe(0);
  });
});
