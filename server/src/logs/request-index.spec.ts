import { LocalRequestIndex } from './request-index.js';

describe('LocalRequestIndex', () => {
  const rec = (first: number) => ({ first, count: 1, sha: `s${first}` });

  test('a log never recorded has no mark (the flusher rebuilds it)', async () => {
    const index = new LocalRequestIndex(1000, () => 0);
    expect(await index.lookup('a', ['x'])).toEqual({ found: new Map() });
  });

  test('finds recorded ids within the window, moves the mark only when given', async () => {
    let now = 10_000;
    const index = new LocalRequestIndex(1000, () => now);
    await index.record('a', new Map([['x', rec(1)]]), 9_500, undefined);
    expect((await index.lookup('a', ['x'])).indexedThrough).toBeUndefined();
    await index.record('a', new Map([['y', rec(2)]]), 10_000, 3);
    const found = await index.lookup('a', ['x', 'y', 'z']);
    expect(found.indexedThrough).toBe(3);
    expect([...found.found.keys()]).toEqual(['x', 'y']);
    expect(found.found.get('y')).toEqual(rec(2));
    expect((await index.lookup('b', ['x'])).found.size).toBe(0);
    now = 10_600; // x (written at 9,500) is now older than the 1,000 ms window
    expect([...(await index.lookup('a', ['x', 'y'])).found.keys()]).toEqual(['y']);
    await index.record('a', new Map(), 10_600, 3);
    now = 10_000; // trimmed for good, not just hidden
    expect([...(await index.lookup('a', ['x', 'y'])).found.keys()]).toEqual(['y']);
  });
});
