import { LogNotifier } from './log-notifier.js';

describe('LogNotifier', () => {
  test('notify wakes the waiters of that log only; a wait also ends by its time or its signal', async () => {
    const n = new LogNotifier();
    const ac = new AbortController();
    let a = false;
    let b = false;
    const wa = n.wait('a', 60_000, ac.signal).then(() => (a = true));
    const wb = n.wait('b', 60_000, ac.signal).then(() => (b = true));
    expect(n.waiting()).toBe(2);
    n.notify('a');
    await wa;
    expect([a, b]).toEqual([true, false]);
    ac.abort();
    await wb;
    expect(n.waiting()).toBe(0);
    await n.wait('c', 5, new AbortController().signal); // times out on its own
  });

  test('notify also publishes to the relay; wake (a relayed notification) wakes here only, so nothing echoes', async () => {
    const published: string[] = [];
    const n = new LogNotifier((log) => published.push(log));
    const ac = new AbortController();
    const woken = n.wait('a', 60_000, ac.signal);
    n.wake('a');
    await woken;
    expect(published).toEqual([]);
    const again = n.wait('a', 60_000, ac.signal);
    n.notify('a');
    await again;
    expect(published).toEqual(['a']);
  });
});
