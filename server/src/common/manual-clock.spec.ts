import { ManualClock, fixedRandom } from './manual-clock.js';
import { systemClock, systemRandom } from './clock.js';

describe('clock', () => {
  test('the system clock reads the wall clock and sleeps on real timers; the system random gives [0, 1) and n bytes', async () => {
    const before = Date.now();
    expect(systemClock.now()).toBeGreaterThanOrEqual(before);
    expect(Math.abs(systemClock.date().getTime() - systemClock.now())).toBeLessThan(1000);
    await systemClock.sleep(1);
    const r = systemRandom.random();
    expect(r).toBeGreaterThanOrEqual(0);
    expect(r).toBeLessThan(1);
    expect(systemRandom.bytes(12)).toHaveLength(12);
  });

  test('a manual clock wakes sleeps only when advanced, in wake-up order', async () => {
    const clock = new ManualClock({ startMs: 1000 });
    const woke: string[] = [];
    const a = clock.sleep(50).then(() => woke.push('a'));
    const b = clock.sleep(20).then(() => woke.push('b'));
    expect(clock.pending()).toBe(2);
    clock.advance(19);
    await Promise.resolve();
    expect(woke).toEqual([]);
    clock.advance(40);
    await Promise.all([a, b]);
    expect(woke).toEqual(['b', 'a']);
    expect(clock.now()).toBe(1059);
    expect(clock.date()).toEqual(new Date(1059));
    expect(clock.sleeps).toEqual([50, 20]);
  });

  test('an aborted sleep rejects and leaves the queue; autoAdvance moves time by each sleep', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const p = clock.sleep(100, controller.signal);
    controller.abort();
    await expect(p).rejects.toMatchObject({ kind: 'cancelled' });
    expect(clock.pending()).toBe(0);
    const auto = new ManualClock({ startMs: 0, autoAdvance: true });
    await auto.sleep(30);
    await auto.sleep(12);
    expect(auto.now()).toBe(42);
  });

  test('fixedRandom repeats its values', () => {
    const r = fixedRandom([0.1, 0.9]);
    expect([r.random(), r.random(), r.random()]).toEqual([0.1, 0.9, 0.1]);
    expect(r.bytes(3)).toEqual(Uint8Array.from([0, 1, 2]));
  });
});
