/**
 * Locks against a live SmarterBase server, over the gRPC and Connect
 * transports: acquire / busy (LOCK_HELD) / release, withLock mutual
 * exclusion with real concurrency, release when fn throws, and a guarded
 * write with a stale fencing token refused (LOCK_NOT_HELD). These tests
 * need LockService: they fail (UNIMPLEMENTED) on a server without it.
 */
import { Code, isLockHeld, isLockNotHeld } from '../src/index.js';
import { liveClients, LIVE_TRANSPORTS, uniqueCollection, useLiveServer } from './server-fixture.js';
import { rejection } from './expect-error.js';

const transports = LIVE_TRANSPORTS;
const liveServer = useLiveServer();

describe.each(transports)('locks on a live server over %s', (transport) => {
  const connect = liveClients(liveServer, transport, 15_000);

  it('acquire, a second acquire is LOCK_HELD with a retry delay, getLock shows the holder, release frees', async () => {
    const db = connect();
    const name = uniqueCollection(`ts_lock_${transport}`);
    const a = await db.acquire(name, { ttlMs: 5000, holder: 'ts-a' });
    expect(typeof a.fencingToken).toBe('bigint');
    expect(a.expireTime.getTime()).toBeGreaterThan(Date.now());
    const busy = await rejection(db.acquire(name, { ttlMs: 5000 }));
    expect(busy.code).toBe(Code.Aborted);
    expect(isLockHeld(busy)).toBe(true);
    expect(busy.retryDelayMs).toBeGreaterThan(0);
    expect(busy.retryDelayMs).toBeLessThanOrEqual(5000);
    const info = await db.getLock(name);
    expect(info).toEqual(expect.objectContaining({ held: true, holder: 'ts-a', fencingToken: a.fencingToken }));
    expect((await db.renew(a, 8000)).fencingToken).toBe(a.fencingToken);
    expect(await db.release(a)).toBe(true);
    expect(await db.release(a)).toBe(false);
    expect((await db.getLock(name)).held).toBe(false);
    const b = await db.acquire(name, { ttlMs: 1000 });
    expect(b.fencingToken).toBeGreaterThan(a.fencingToken);
    expect(isLockNotHeld(await rejection(db.renew(a, 1000)))).toBe(true);
    await db.release(b);
  });

  it('withLock: 4 workers × 10 unguarded-by-CAS increments → exactly 40, never two holders at once', async () => {
    const col = uniqueCollection(`ts_lockctr_${transport}`);
    const name = `${col}_lock`;
    const setup = connect();
    await setup.put(col, 'counter', { n: 0 });
    let inside = 0;
    let maxInside = 0;
    const tokens: bigint[] = [];
    const worker = async (w: number): Promise<void> => {
      const db = connect();
      for (let i = 0; i < 10; i++) {
        await db.withLock(
          name,
          async (lock) => {
            inside++;
            maxInside = Math.max(maxInside, inside);
            tokens.push(lock.fencingToken);
            const cur = await db.get<{ n: number }>(col, 'counter');
            await db.put(col, 'counter', { n: cur.data.n + 1 }, { lockGuard: lock.guard });
            inside--;
          },
          { ttlMs: 5000, waitMs: 14_000, holder: `w${w}` },
        );
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    expect((await setup.get<{ n: number }>(col, 'counter')).data.n).toBe(40);
    expect(maxInside).toBe(1);
    expect(tokens).toHaveLength(40);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
    expect((await setup.getLock(name)).held).toBe(false);
  });

  it('withLock releases the lock when fn throws', async () => {
    const db = connect();
    const name = uniqueCollection(`ts_lockthrow_${transport}`);
    const boom = new Error('fn failed');
    await expect(
      db.withLock(name, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    // The release follows the stream's cancellation: poll briefly.
    const end = Date.now() + 5000;
    while ((await db.getLock(name)).held && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    expect((await db.getLock(name)).held).toBe(false);
    const again = await db.acquire(name, { ttlMs: 1000 });
    await db.release(again);
  });

  it('a guarded write with a stale fencing token is LOCK_NOT_HELD; the current token writes', async () => {
    const db = connect();
    const col = uniqueCollection(`ts_fence_${transport}`);
    const name = `${col}_lock`;
    const old = await db.acquire(name, { ttlMs: 1000 });
    const first = await db.put(col, 'doc', { by: 'old' }, { lockGuard: { name, fencingToken: old.fencingToken } });
    await db.release(old);
    const cur = await db.acquire(name, { ttlMs: 5000 });
    const stale = { name, fencingToken: old.fencingToken };
    for (const p of [
      db.put(col, 'doc', { by: 'stale' }, { lockGuard: stale }),
      db.putIfMatch(col, 'doc', { by: 'stale' }, first.etag, { lockGuard: stale }),
      db.delete(col, 'doc', { lockGuard: stale }),
    ]) {
      const e = await rejection(p);
      expect(e.code).toBe(Code.FailedPrecondition);
      expect(isLockNotHeld(e)).toBe(true);
    }
    expect((await db.get(col, 'doc')).data).toEqual({ by: 'old' });
    await db.put(col, 'doc', { by: 'current' }, { lockGuard: { name, fencingToken: cur.fencingToken } });
    expect((await db.get(col, 'doc')).data).toEqual({ by: 'current' });
    await db.release(cur);
  });
});
