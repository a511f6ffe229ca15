import fc from 'fast-check';
import type { FeedEvent } from '../change-feed.js';
import { eventAt, putRef, tempDir, TestClock } from './feed-test-kit.js';
import { LocalFeed } from './local-feed.js';

/**
 * Model-based property test: random allocations, group resolutions, holes,
 * stale resolutions, clock moves and restarts (close + reopen of the journal,
 * with small segments so they roll and get deleted) must keep the feed equal
 * to a simple model: released = resolved events below the smallest pending
 * revision, retained = the last retainCount of them.
 */

type Op =
  | { k: 'alloc'; c: string; dt: number }
  | { k: 'resolve'; c: string; pick: number; count: number; hole: boolean }
  | { k: 'stale'; c: string; pick: number }
  | { k: 'restart' };

const coll = fc.constantFrom('a', 'b');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('alloc' as const), c: coll, dt: fc.integer({ min: -2, max: 2 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      k: fc.constant('resolve' as const),
      c: coll,
      pick: fc.nat(),
      count: fc.integer({ min: 1, max: 3 }),
      hole: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('stale' as const), c: coll, pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.constant({ k: 'restart' as const }) },
);

/** The model of one collection. */
class ModelCollection {
  current: number;
  readonly pending: number[] = [];
  readonly resolved = new Map<number, FeedEvent | null>();
  constructor(readonly born: number) {
    this.current = born;
  }
  watermark(): number {
    return this.pending.length > 0 ? Math.min(...this.pending) - 1 : this.current;
  }
  released(): FeedEvent[] {
    const w = this.watermark();
    return [...this.resolved.values()].filter((e): e is FeedEvent => e !== null && e.revision <= w).sort((x, y) => x.revision - y.revision);
  }
}

describe('LocalFeed against a model (property)', () => {
  it('agrees with the model after every operation, across restarts', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArb, { maxLength: 60, size: 'max' }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 400 }),
        async (ops, retainCount, segmentBytes) => {
          const tmp = await tempDir();
          const clock = new TestClock();
          const options = { dir: tmp.dir, clock, retainCount, segmentBytes };
          let feed = await LocalFeed.open(options);
          const model = new Map(['a', 'b'].map((c) => [c, new ModelCollection(feed.born)]));
          try {
            for (const op of ops) {
              const m = op.k === 'restart' ? undefined : model.get(op.c)!;
              switch (op.k) {
                case 'alloc': {
                  clock.ms += op.dt;
                  const r = await feed.allocate(op.c, putRef('x'));
                  expect(r).toBe(Math.max(m!.current + 1, clock.ms * 1000));
                  m!.current = r;
                  m!.pending.push(r);
                  break;
                }
                case 'resolve': {
                  if (m!.pending.length === 0) break;
                  const sorted = [...m!.pending].sort((x, y) => x - y);
                  const start = op.pick % sorted.length;
                  const taken = sorted.slice(start, start + op.count);
                  const ev = op.hole
                    ? null
                    : eventAt(
                        taken[0],
                        clock.ms,
                        taken.map((revision) => ({ id: `d${revision}`, revision })),
                      );
                  expect(await feed.resolve(op.c, [...taken].reverse(), ev)).toBe(true);
                  for (const r of taken) m!.pending.splice(m!.pending.indexOf(r), 1);
                  m!.resolved.set(taken[0], ev);
                  for (const r of taken.slice(1)) m!.resolved.set(r, null);
                  break;
                }
                case 'stale': {
                  const done = [...m!.resolved.keys()];
                  const r = done.length > 0 && op.pick % 2 === 0 ? done[op.pick % done.length] : m!.current + 1 + (op.pick % 3);
                  expect(await feed.resolve(op.c, [r], null)).toBe(false);
                  break;
                }
                case 'restart':
                  await feed.close();
                  feed = await LocalFeed.open(options);
                  break;
              }
              for (const [c, mc] of model) {
                const released = mc.released();
                const retained = released.slice(-retainCount);
                const oldest = released.length > retainCount ? released[released.length - retainCount - 1].revision : mc.born;
                expect(feed.bounds(c)).toEqual({ oldest, watermark: mc.watermark(), current: mc.current });
                expect(feed.read(c, oldest, 1000).events).toEqual(retained);
                expect(
                  feed
                    .pending(Infinity)
                    .filter((p) => p.collection === c)
                    .map((p) => p.revision)
                    .sort((x, y) => x - y), // listed by allocation time, which a clock going back reorders
                ).toEqual([...mc.pending].sort((x, y) => x - y));
              }
            }
          } finally {
            await feed.close().catch(() => undefined);
            await tmp.remove();
          }
        },
      ),
      { numRuns: 100 },
    );
    // ~9 s alone; every operation waits for an fsync, which a loaded CI disk made 5-7x slower
    // (43 s, and once over the 60 s default).
  }, 300_000);
});
