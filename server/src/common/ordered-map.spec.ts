import { orderedMap } from './ordered-map.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('orderedMap', () => {
  it('yields results in input order whatever order the calls finish in, with bounded parallelism', async () => {
    let inFlight = 0;
    let max = 0;
    const out: number[] = [];
    const items = Array.from({ length: 40 }, (_, i) => i);
    for await (const v of orderedMap(items, 5, async (i) => {
      inFlight++;
      max = Math.max(max, inFlight);
      await sleep(Math.random() * 5);
      inFlight--;
      return i * 2;
    })) {
      out.push(v);
    }
    expect(out).toEqual(items.map((i) => i * 2));
    expect(max).toBe(5);
  });

  it('propagates the first failure in order and aborts the calls still in flight', async () => {
    const aborted: number[] = [];
    const it = orderedMap([0, 1, 2, 3], 4, async (i, signal) => {
      if (i === 1) throw new Error('boom');
      await new Promise<void>((resolve) => {
        const onAbort = (): void => {
          clearTimeout(t);
          aborted.push(i);
          resolve();
        };
        const t = setTimeout(
          () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          },
          i === 0 ? 10 : 500,
        );
        signal.addEventListener('abort', onAbort);
      });
      return i;
    });
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const v of it) seen.push(v);
      })(),
    ).rejects.toThrow('boom');
    expect(seen).toEqual([0]);
    expect(aborted.sort()).toEqual([2, 3]);
  });

  it('aborts in-flight calls when the consumer stops early', async () => {
    let aborts = 0;
    for await (const v of orderedMap([1, 2, 3, 4], 4, async (i, signal) => {
      signal.addEventListener('abort', () => aborts++);
      await sleep(i === 1 ? 1 : 50);
      return i;
    })) {
      expect(v).toBe(1);
      break;
    }
    expect(aborts).toBe(4); // one shared signal, one listener per call
  });

  it('handles an empty input', async () => {
    const out: unknown[] = [];
    for await (const v of orderedMap([], 3, async () => 1)) out.push(v);
    expect(out).toEqual([]);
  });
});
