import { RevisionOutOfRange, type FeedEvent } from '../change-feed.js';
import { eventAt, putRef, recordingLog, tempDir, TestClock } from './feed-test-kit.js';
import { LocalFeed } from './local-feed.js';

/** The in-memory semantics of the feed (the journal's are in feed-journal.spec.ts). */

async function memoryFeed(options: { retainCount?: number; retainMs?: number } = {}) {
  const clock = new TestClock();
  const feed = await LocalFeed.open({ clock, ...options });
  const released: FeedEvent[] = [];
  const marks: number[] = [];
  feed.subscribe('c', (events, watermark) => {
    released.push(...events);
    marks.push(watermark);
  });
  return { clock, feed, released, marks };
}

describe('LocalFeed revisions', () => {
  it('allocates increasing revisions of at least the clock in µs, even when the clock goes back', async () => {
    const { clock, feed } = await memoryFeed();
    const a = await feed.allocate('c', putRef('x'));
    expect(a).toBe(clock.ms * 1000 + 1); // above born, the clock in µs when the feed opened
    const b = await feed.allocate('c', putRef('x'));
    expect(b).toBe(a + 1);
    clock.ms += 5;
    expect(await feed.allocate('c', putRef('x'))).toBe(clock.ms * 1000);
    clock.ms -= 1000;
    expect(await feed.allocate('c', putRef('x'))).toBe((clock.ms + 1000) * 1000 + 1);
    expect(feed.born).toBe(1_800_000_000_000 * 1000);
  });

  it('keeps one counter per collection', async () => {
    const { feed } = await memoryFeed();
    const a = await feed.allocate('c', putRef('x'));
    const b = await feed.allocate('other', putRef('x'));
    expect(b).toBe(a);
  });
});

describe('LocalFeed order and holes', () => {
  it('never releases N+1 before N is resolved, and never publishes a hole', async () => {
    const { clock, feed, released } = await memoryFeed();
    const [a, b, c] = [await feed.allocate('c', putRef('a')), await feed.allocate('c', putRef('b')), await feed.allocate('c', putRef('c'))];
    expect(await feed.resolve('c', [c], eventAt(c, clock.ms))).toBe(true);
    expect(released).toEqual([]);
    expect(feed.read('c', feed.born, 10).events).toEqual([]);
    expect(await feed.resolve('c', [b], null)).toBe(true);
    expect(released).toEqual([]);
    expect(feed.bounds('c')).toEqual({ oldest: feed.born, watermark: a - 1, current: c });
    expect(await feed.resolve('c', [a], eventAt(a, clock.ms))).toBe(true);
    expect(released.map((e) => e.revision)).toEqual([a, c]);
    expect(feed.read('c', feed.born, 10).events.map((e) => e.revision)).toEqual([a, c]);
    expect(feed.bounds('c').watermark).toBe(c);
  });

  it('settles a transaction of several revisions as one event at the smallest', async () => {
    const { clock, feed, released } = await memoryFeed();
    const t1 = await feed.allocate('c', putRef('a'));
    const s = await feed.allocate('c', putRef('s'));
    const t2 = await feed.allocate('c', putRef('b'));
    const txn = { ...eventAt(t1, clock.ms, [{ id: 'a' }, { id: 'b', revision: t2 }]), txid: 'tx1' };
    expect(await feed.resolve('c', [t2, t1], txn)).toBe(true);
    expect(feed.isPending('c', t1) || feed.isPending('c', t2)).toBe(false);
    expect(released).toEqual([txn]); // t1 < s: nothing holds it back
    expect(await feed.resolve('c', [s], eventAt(s, clock.ms))).toBe(true);
    expect(released.map((e) => e.revision)).toEqual([t1, s]);
  });

  it('refuses an event whose revision is not the smallest of its revisions', async () => {
    const { clock, feed } = await memoryFeed();
    const a = await feed.allocate('c', putRef('a'));
    const b = await feed.allocate('c', putRef('b'));
    await expect(feed.resolve('c', [a, b], eventAt(b, clock.ms))).rejects.toThrow(/smallest/);
    expect(feed.isPending('c', a) && feed.isPending('c', b)).toBe(true);
  });

  it('returns false and changes nothing when no revision is pending; the first resolution wins', async () => {
    const { clock, feed, released } = await memoryFeed();
    const a = await feed.allocate('c', putRef('a'));
    expect(await feed.resolve('c', [a + 1], eventAt(a + 1, clock.ms))).toBe(false);
    expect(await feed.resolve('nowhere', [a], null)).toBe(false);
    expect(await feed.resolve('c', [a], eventAt(a, clock.ms, [{ id: 'first' }]))).toBe(true);
    expect(await feed.resolve('c', [a], eventAt(a, clock.ms, [{ id: 'second' }]))).toBe(false);
    expect(await feed.resolve('c', [a], null)).toBe(false);
    expect(released.flatMap((e) => e.changes.map((c) => c.id))).toEqual(['first']);
  });

  it('resolves the still pending part of a partially resolved group, without the changes of the others', async () => {
    const { clock, feed, released } = await memoryFeed();
    const a = await feed.allocate('c', putRef('a'));
    const b = await feed.allocate('c', putRef('b'));
    const c = await feed.allocate('c', putRef('c'));
    await feed.resolve('c', [a], null);
    const group = eventAt(a, clock.ms, [{ id: 'a' }, { id: 'b', revision: b }, { id: 'c', revision: c }]);
    expect(await feed.resolve('c', [a, b, c], group)).toBe(true);
    expect(released).toHaveLength(1);
    expect(released[0].revision).toBe(b);
    expect(released[0].changes.map((x) => x.id)).toEqual(['b', 'c']);
  });
});

describe('LocalFeed watermark and listeners', () => {
  it('is born for a collection never written, one below the smallest pending, else the last allocated', async () => {
    const { clock, feed } = await memoryFeed();
    expect(feed.bounds('c')).toEqual({ oldest: feed.born, watermark: feed.born, current: feed.born });
    const a = await feed.allocate('c', putRef('a'));
    const b = await feed.allocate('c', putRef('b'));
    expect(feed.bounds('c').watermark).toBe(a - 1);
    await feed.resolve('c', [a], eventAt(a, clock.ms));
    expect(feed.bounds('c').watermark).toBe(b - 1);
    await feed.resolve('c', [b], null);
    expect(feed.bounds('c')).toEqual({ oldest: feed.born, watermark: b, current: b });
  });

  it('calls listeners in revision order with each batch and the watermark after it, also for holes', async () => {
    const { clock, feed, marks } = await memoryFeed();
    const batches: number[][] = [];
    const stop = feed.subscribe('c', (events) => batches.push(events.map((e) => e.revision)));
    const [a, b, c] = [await feed.allocate('c', putRef('a')), await feed.allocate('c', putRef('b')), await feed.allocate('c', putRef('c'))];
    await feed.resolve('c', [b], eventAt(b, clock.ms));
    await feed.resolve('c', [a], null);
    await feed.resolve('c', [c], eventAt(c, clock.ms));
    expect(batches).toEqual([[b], [c]]);
    expect(marks).toEqual([b, c]);
    stop();
    const d = await feed.allocate('c', putRef('d'));
    await feed.resolve('c', [d], null);
    expect(batches).toHaveLength(2);
    expect(marks).toEqual([b, c, d]);
  });

  it('keeps publishing when a listener throws', async () => {
    const log = recordingLog();
    const clock = new TestClock();
    const feed = await LocalFeed.open({ clock, log });
    const seen: number[] = [];
    feed.subscribe('c', () => {
      throw new Error('boom');
    });
    feed.subscribe('c', (events) => seen.push(...events.map((e) => e.revision)));
    const a = await feed.allocate('c', putRef('a'));
    await feed.resolve('c', [a], eventAt(a, clock.ms));
    expect(seen).toEqual([a]);
    expect(log.warnings.map((w) => w.msg)).toEqual(['change feed: a listener threw']);
  });
});

describe('LocalFeed read and retention', () => {
  async function written(n: number, options: { retainCount?: number; retainMs?: number } = {}) {
    const f = await memoryFeed(options);
    const revs: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await f.feed.allocate('c', putRef(`d${i}`));
      await f.feed.resolve('c', [r], eventAt(r, f.clock.ms));
      revs.push(r);
      f.clock.ms += 10;
    }
    return { ...f, revs };
  }

  it('returns the released events after a revision, at most limit, with the watermark', async () => {
    const { feed, revs } = await written(5);
    expect(feed.read('c', feed.born, 2)).toEqual({ events: expect.any(Array), watermark: revs[4] });
    expect(feed.read('c', feed.born, 2).events.map((e) => e.revision)).toEqual(revs.slice(0, 2));
    expect(feed.read('c', revs[1], 10).events.map((e) => e.revision)).toEqual(revs.slice(2));
    expect(feed.read('c', revs[1] + 1, 10).events.map((e) => e.revision)).toEqual(revs.slice(2));
    expect(feed.read('c', revs[4], 10).events).toEqual([]);
  });

  it('refuses a revision below oldest or above current', async () => {
    const { feed, revs } = await written(2);
    expect(() => feed.read('c', feed.born - 1, 10)).toThrow(RevisionOutOfRange);
    expect(() => feed.read('c', revs[1] + 1, 10)).toThrow(RevisionOutOfRange);
    expect(() => feed.read('never', feed.born + 1, 10)).toThrow(RevisionOutOfRange);
    expect(feed.read('never', feed.born, 10).events).toEqual([]);
    let thrown: unknown;
    try {
      feed.read('c', 0, 1);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toMatchObject({ collection: 'c', requested: 0, bounds: { oldest: feed.born, current: revs[1] } });
  });

  it('drops the oldest events beyond retainCount and raises oldest past them', async () => {
    const { feed, revs } = await written(5, { retainCount: 3 });
    expect(feed.bounds('c').oldest).toBe(revs[1]);
    expect(() => feed.read('c', feed.born, 10)).toThrow(RevisionOutOfRange);
    expect(() => feed.read('c', revs[0], 10)).toThrow(RevisionOutOfRange);
    expect(feed.read('c', revs[1], 10).events.map((e) => e.revision)).toEqual(revs.slice(2));
  });

  it('drops events whose commit time is older than retainMs at the next release', async () => {
    const { clock, feed, revs } = await written(3, { retainMs: 1000 });
    clock.ms += 975; // events committed at t0, t0+10, t0+20; now t0+1005: only the first is over 1000 ms old
    expect(feed.bounds('c').oldest).toBe(feed.born); // nothing released since
    const r = await feed.allocate('c', putRef('late'));
    await feed.resolve('c', [r], eventAt(r, clock.ms));
    expect(feed.bounds('c').oldest).toBe(revs[0]);
    expect(() => feed.read('c', feed.born, 10)).toThrow(RevisionOutOfRange);
    expect(feed.read('c', revs[0], 10).events.map((e) => e.revision)).toEqual([revs[1], revs[2], r]);
  });
});

describe('LocalFeed replaced and pending', () => {
  it('knows the replaced states of queued and retained changes, not of dropped ones or holes', async () => {
    const { clock, feed } = await memoryFeed({ retainCount: 1 });
    const a = await feed.allocate('c', putRef('x', 7));
    const b = await feed.allocate('c', putRef('x', 9));
    const hole = await feed.allocate('c', putRef('y', 3));
    await feed.resolve('c', [b], eventAt(b, clock.ms, [{ id: 'x', prevRevision: 9 }]));
    expect(feed.replaced('c', 'x', 9)).toBe(true); // queued behind a
    expect(feed.replaced('c', 'x', 7)).toBe(false);
    await feed.resolve('c', [a], eventAt(a, clock.ms, [{ id: 'x', prevRevision: 7 }]));
    await feed.resolve('c', [hole], null);
    expect(feed.replaced('c', 'x', 7)).toBe(false); // released, then dropped (retainCount 1)
    expect(feed.replaced('c', 'x', 9)).toBe(true);
    expect(feed.replaced('c', 'y', 3)).toBe(false);
    expect(feed.replaced('c', 'x', 0)).toBe(false);
    expect(feed.replaced('other', 'x', 9)).toBe(false);
  });

  it('lists the pending revisions allocated at or before a time, oldest first', async () => {
    const { clock, feed } = await memoryFeed();
    const a = await feed.allocate('c', putRef('a', 1));
    clock.ms += 10;
    const b = await feed.allocate('d', { id: 'b', op: 'delete', prevRevision: 2 });
    const c = await feed.allocate('c', putRef('c'));
    clock.ms += 10;
    const d = await feed.allocate('c', putRef('d'));
    await feed.resolve('c', [c], null);
    expect(feed.pending(Infinity).map((p) => [p.collection, p.revision])).toEqual([
      ['c', a],
      ['d', b],
      ['c', d],
    ]);
    expect(feed.pending(clock.ms - 10)).toEqual([
      { collection: 'c', revision: a, ref: { id: 'a', op: 'put', prevRevision: 1 }, allocatedAtMs: clock.ms - 20 },
      { collection: 'd', revision: b, ref: { id: 'b', op: 'delete', prevRevision: 2 }, allocatedAtMs: clock.ms - 10 },
    ]);
    expect(feed.pending(clock.ms - 21)).toEqual([]);
  });
});

describe('LocalFeed concurrency', () => {
  it.each([['in memory'], ['with a journal']])(
    'releases 1000 concurrent writes resolved in random order once each, in order (%s)',
    async (mode) => {
      const tmp = mode === 'with a journal' ? await tempDir() : null;
      try {
        const clock = new TestClock();
        const feed = await LocalFeed.open({ clock, dir: tmp?.dir });
        const released: number[] = [];
        feed.subscribe('c', (events) => released.push(...events.map((e) => e.revision)));
        const writes = Array.from({ length: 1000 }, async (_, i) => {
          const r = await feed.allocate('c', putRef(`d${i}`));
          await new Promise((res) => setTimeout(res, Math.floor(Math.random() * 5)));
          const hole = i % 7 === 0;
          expect(await feed.resolve('c', [r], hole ? null : eventAt(r, clock.ms))).toBe(true);
          return hole ? null : r;
        });
        const expected = (await Promise.all(writes)).filter((r): r is number => r !== null).sort((a, b) => a - b);
        expect(released).toEqual(expected);
        expect(feed.bounds('c').watermark).toBe(feed.bounds('c').current);
        await feed.close();
      } finally {
        await tmp?.remove();
      }
    },
  );
});

describe('LocalFeed racing resolutions', () => {
  it('a second resolve of a revision being written down waits until it is released, then answers false', async () => {
    const tmp = await tempDir();
    try {
      const clock = new TestClock();
      const feed = await LocalFeed.open({ clock, dir: tmp.dir });
      const r = await feed.allocate('c', putRef('a'));
      const first = feed.resolve('c', [r], eventAt(r, clock.ms)); // its record is being fsynced
      const second = feed.resolve('c', [r], eventAt(r, clock.ms));
      expect(await second).toBe(false);
      expect(feed.isPending('c', r)).toBe(false); // settled by the time the loser returns
      expect(feed.read('c', feed.bounds('c').oldest, 10).events.map((e) => e.revision)).toEqual([r]);
      expect(await first).toBe(true);
      await feed.close();
    } finally {
      await tmp.remove();
    }
  });
});

describe('LocalFeed close', () => {
  it('fails every later call', async () => {
    const { feed } = await memoryFeed();
    await feed.close();
    await expect(feed.allocate('c', putRef('a'))).rejects.toThrow(/closed/);
    await expect(feed.resolve('c', [1], null)).rejects.toThrow(/closed/);
    expect(() => feed.bounds('c')).toThrow(/closed/);
    expect(() => feed.read('c', 0, 1)).toThrow(/closed/);
    await expect(feed.close()).rejects.toThrow(/closed/);
  });
});
