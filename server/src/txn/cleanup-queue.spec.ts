import { CleanupQueue } from './cleanup-queue.js';

/** A task that runs until released (or its signal aborts), recording what happened to it. */
function heldTask() {
  const events: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const task = async (signal: AbortSignal): Promise<void> => {
    events.push('started');
    await Promise.race([gate, new Promise<void>((r) => signal.addEventListener('abort', () => r()))]);
    events.push(signal.aborted ? 'aborted' : 'done');
  };
  return { task, events, release };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('CleanupQueue', () => {
  test('queues up to maxQueued cleanups (the caller goes on at once); beyond that runs them inline, never drops one', async () => {
    const queue = new CleanupQueue({ maxQueued: 2 });
    const [a, b, c] = [heldTask(), heldTask(), heldTask()];
    expect(await queue.run(a.task)).toBe('queued');
    expect(await queue.run(b.task)).toBe('queued');
    expect(queue.size).toBe(2);
    expect([a.events, b.events]).toEqual([['started'], ['started']]);
    // Full: the third runs in its caller, which waits for it.
    const third = queue.run(c.task);
    await tick();
    expect(c.events).toEqual(['started']);
    c.release();
    expect(await third).toBe('inline');
    expect(c.events).toEqual(['started', 'done']);
    a.release();
    b.release();
    await queue.drain(1000);
    expect(queue.size).toBe(0);
    expect([a.events, b.events]).toEqual([
      ['started', 'done'],
      ['started', 'done'],
    ]);
  });

  test('maxQueued 0 runs every cleanup inline', async () => {
    const queue = new CleanupQueue({ maxQueued: 0 });
    const a = heldTask();
    a.release();
    expect(await queue.run(a.task)).toBe('inline');
    expect(a.events).toEqual(['started', 'done']);
  });

  test('a failing cleanup is logged with what it was, never thrown to the caller', async () => {
    const warnings: object[] = [];
    const queue = new CleanupQueue({ log: { warn: (obj) => warnings.push(obj) } });
    expect(await queue.run(() => Promise.reject(new Error('storage down')), { txid: 't1' })).toBe('queued');
    await queue.drain(1000);
    expect(warnings).toEqual([{ txid: 't1', err: new Error('storage down') }]);
    const inline = new CleanupQueue({ maxQueued: 0, log: { warn: (obj) => warnings.push(obj) } });
    expect(await inline.run(() => Promise.reject(new Error('again')))).toBe('inline');
    expect(warnings).toHaveLength(2);
  });

  test('drain waits for pending cleanups; after it, cleanups run inline', async () => {
    const queue = new CleanupQueue();
    const a = heldTask();
    await queue.run(a.task);
    const drained = queue.drain(60_000);
    await tick();
    expect(a.events).toEqual(['started']);
    a.release();
    expect(await drained).toEqual({ finished: 1, abandoned: 0 });
    const b = heldTask();
    b.release();
    expect(await queue.run(b.task)).toBe('inline');
  });

  test('drain gives up at its time limit and aborts what is left (recovery finishes those transactions)', async () => {
    const queue = new CleanupQueue();
    const [a, b] = [heldTask(), heldTask()];
    await queue.run(a.task);
    await queue.run(b.task);
    const drained = queue.drain(20);
    a.release(); // finishes while the drain waits; b never does
    expect(await drained).toEqual({ finished: 1, abandoned: 1 });
    await tick();
    expect(b.events).toEqual(['started', 'aborted']);
  });

  test('refuses a negative or fractional bound', () => {
    expect(() => new CleanupQueue({ maxQueued: -1 })).toThrow(/maxQueued/);
    expect(() => new CleanupQueue({ maxQueued: 1.5 })).toThrow(/maxQueued/);
  });
});
