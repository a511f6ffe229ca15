import { StripedLock } from './striped-lock.js';

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('StripedLock', () => {
  it('serialises work on one key: no two critical sections overlap', async () => {
    const lock = new StripedLock(4);
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        lock.withLock('k', async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await tick();
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order).toEqual(Array.from({ length: 20 }, (_, i) => i)); // FIFO
  });

  it('lets keys on different stripes run at the same time', async () => {
    const lock = new StripedLock(256);
    let inside = 0;
    let maxInside = 0;
    const keys = Array.from({ length: 64 }, (_, i) => `docs/c/${i}`);
    await Promise.all(
      keys.map((k) =>
        lock.withLock(k, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await tick();
          inside--;
        }),
      ),
    );
    expect(maxInside).toBeGreaterThan(1);
  });

  it('releases on a throw, and a waiter whose signal aborts leaves the queue with cancelled', async () => {
    const lock = new StripedLock(1);
    await expect(lock.withLock('a', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    let release!: () => void;
    const holder = lock.withLock('a', () => new Promise<void>((r) => (release = r)));
    await tick();
    const ac = new AbortController();
    const ran: string[] = [];
    const waiter = lock.withLock('b', async () => void ran.push('aborted one'), ac.signal);
    const next = lock.withLock('c', async () => void ran.push('next'));
    ac.abort();
    await expect(waiter).rejects.toMatchObject({ kind: 'cancelled' });
    release();
    await holder;
    await next;
    expect(ran).toEqual(['next']);
  });
});
