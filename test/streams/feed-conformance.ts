/**
 * The behaviour every ChangeFeed must show (docs/adr/0012 §3), registered
 * against a factory: LocalFeed in memory (local-feed.test.ts) and RedisFeed
 * on a real redis-server (redis-feed.test.ts). Listeners may be called later
 * than the resolve (the Redis reader loop), so tests wait for deliveries.
 * Reads start from the bounds seen before the first write: the in-process
 * feed's `born`, the Redis feed's 0 for a collection never written.
 */
import {
  RevisionOutOfRange,
  type ChangeFeed,
  type FeedChange,
  type FeedEvent,
  type PendingRef,
} from '../../server/src/streams/change-feed.js';

/** What a test asks of the feed it opens. */
export interface FeedSetup {
  readonly retainCount?: number;
  readonly log?: { warn(obj: object, msg: string): void };
}

/** Opens feeds and names fresh collections. */
export interface FeedFactory {
  open(setup?: FeedSetup): Promise<ChangeFeed>;
  /** A collection name no other test uses. */
  fresh(): string;
}

/** A put of `id` replacing `prevRevision`. */
export function putRef(id: string, prevRevision = 0): PendingRef {
  return { id, op: 'put', prevRevision };
}

/** An event at `revision` with one put per change given (each at that revision unless set). */
export function eventAt(revision: number, changes: readonly Partial<FeedChange>[] = [{}]): FeedEvent {
  return {
    revision,
    commitTimeMs: Date.now(),
    changes: changes.map((c, i) => ({ id: `d${revision}.${i}`, op: 'put', revision, prevRevision: 0, ...c })),
  };
}

/** Retries `check` until it stops throwing (at most `ms`), then throws its last error. */
export async function eventually(check: () => void | Promise<void>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

/** Every release of `collection` a listener saw, in order. */
function record(feed: ChangeFeed, collection: string): { revisions: number[]; events: FeedEvent[]; stop: () => void } {
  const out = { revisions: [] as number[], events: [] as FeedEvent[], stop: () => undefined as void };
  out.stop = feed.subscribe(collection, (events) => {
    out.events.push(...events);
    out.revisions.push(...events.map((e) => e.revision));
  });
  return out;
}

/** Registers the conformance tests of a ChangeFeed implementation. */
export function feedConformance(name: string, factory: FeedFactory): void {
  let feeds: ChangeFeed[] = [];
  const open = async (setup?: FeedSetup): Promise<ChangeFeed> => {
    const feed = await factory.open(setup);
    feeds.push(feed);
    return feed;
  };
  afterEach(async () => {
    for (const f of feeds) await f.close().catch(() => undefined);
    feeds = [];
  });
  const revisionsAfter = async (feed: ChangeFeed, c: string, after: number): Promise<number[]> =>
    (await feed.read(c, after, 100_000)).events.map((e) => e.revision);

  describe(`${name}: revisions`, () => {
    it('allocates increasing revisions of at least the clock in µs', async () => {
      const feed = await open();
      const c = factory.fresh();
      const before = Date.now() * 1000;
      const a = await feed.allocate(c, putRef('x'));
      const b = await feed.allocate(c, putRef('x'));
      expect(a).toBeGreaterThanOrEqual(before);
      expect(b).toBeGreaterThan(a);
      expect((await feed.bounds(c)).current).toBe(b);
    });
  });

  describe(`${name}: order and holes`, () => {
    it('never releases N+1 before N is resolved, and never publishes a hole', async () => {
      const feed = await open();
      const c = factory.fresh();
      const start = (await feed.bounds(c)).current;
      const seen = record(feed, c);
      const [a, b, d] = [await feed.allocate(c, putRef('a')), await feed.allocate(c, putRef('b')), await feed.allocate(c, putRef('c'))];
      expect(await feed.resolve(c, [d], eventAt(d))).toBe(true);
      expect(await revisionsAfter(feed, c, start)).toEqual([]);
      expect(await feed.resolve(c, [b], null)).toBe(true);
      expect(await revisionsAfter(feed, c, start)).toEqual([]);
      expect((await feed.bounds(c)).watermark).toBe(a - 1);
      expect(seen.revisions).toEqual([]);
      expect(await feed.resolve(c, [a], eventAt(a))).toBe(true);
      expect(await revisionsAfter(feed, c, start)).toEqual([a, d]);
      expect((await feed.bounds(c)).watermark).toBe(d);
      await eventually(() => expect(seen.revisions).toEqual([a, d]));
    });

    it('settles a transaction of several revisions as one event at the smallest', async () => {
      const feed = await open();
      const c = factory.fresh();
      const start = (await feed.bounds(c)).current;
      const t1 = await feed.allocate(c, { ...putRef('a'), txid: 'tx1' });
      const s = await feed.allocate(c, putRef('s'));
      const t2 = await feed.allocate(c, { ...putRef('b'), txid: 'tx1' });
      const txn = { ...eventAt(t1, [{ id: 'a' }, { id: 'b', revision: t2 }]), txid: 'tx1' };
      expect(await feed.resolve(c, [t2, t1], txn)).toBe(true);
      expect(await feed.isPending(c, t1)).toBe(false);
      expect(await feed.isPending(c, t2)).toBe(false);
      expect(await feed.isPending(c, s)).toBe(true);
      expect((await feed.read(c, start, 10)).events).toEqual([txn]); // t1 < s: nothing holds it back
      expect(await feed.resolve(c, [s], eventAt(s))).toBe(true);
      expect(await revisionsAfter(feed, c, start)).toEqual([t1, s]);
    });

    it('refuses an event whose revision is not the smallest of its revisions', async () => {
      const feed = await open();
      const c = factory.fresh();
      const a = await feed.allocate(c, putRef('a'));
      const b = await feed.allocate(c, putRef('b'));
      await expect(feed.resolve(c, [a, b], eventAt(b))).rejects.toThrow(/smallest/);
      expect((await feed.isPending(c, a)) && (await feed.isPending(c, b))).toBe(true);
    });

    it('returns false and changes nothing when no revision is pending; the first resolution wins', async () => {
      const feed = await open();
      const c = factory.fresh();
      const start = (await feed.bounds(c)).current;
      const a = await feed.allocate(c, putRef('a'));
      expect(await feed.resolve(c, [a + 1], eventAt(a + 1))).toBe(false);
      expect(await feed.resolve(factory.fresh(), [a], null)).toBe(false);
      expect(await feed.resolve(c, [a], eventAt(a, [{ id: 'first' }]))).toBe(true);
      expect(await feed.resolve(c, [a], eventAt(a, [{ id: 'second' }]))).toBe(false);
      expect(await feed.resolve(c, [a], null)).toBe(false);
      expect((await feed.read(c, start, 10)).events.flatMap((e) => e.changes.map((x) => x.id))).toEqual(['first']);
    });

    it('lets exactly one of two racing resolutions of the same revisions win', async () => {
      const feed = await open();
      const c = factory.fresh();
      const start = (await feed.bounds(c)).current;
      const a = await feed.allocate(c, putRef('a'));
      const results = await Promise.all([
        feed.resolve(c, [a], eventAt(a, [{ id: 'one' }])),
        feed.resolve(c, [a], eventAt(a, [{ id: 'two' }])),
      ]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await feed.isPending(c, a)).toBe(false);
      const events = (await feed.read(c, start, 10)).events;
      expect(events.map((e) => e.changes[0]!.id)).toEqual([results[0] ? 'one' : 'two']);
    });

    it('resolves the still pending part of a partially resolved group, without the changes of the others', async () => {
      const feed = await open();
      const c = factory.fresh();
      const start = (await feed.bounds(c)).current;
      const a = await feed.allocate(c, putRef('a'));
      const b = await feed.allocate(c, putRef('b'));
      const d = await feed.allocate(c, putRef('c'));
      await feed.resolve(c, [a], null);
      const group = eventAt(a, [{ id: 'a' }, { id: 'b', revision: b }, { id: 'c', revision: d }]);
      expect(await feed.resolve(c, [a, b, d], group)).toBe(true);
      const events = (await feed.read(c, start, 10)).events;
      expect(events).toHaveLength(1);
      expect(events[0]!.revision).toBe(b);
      expect(events[0]!.changes.map((x) => x.id)).toEqual(['b', 'c']);
    });
  });

  describe(`${name}: watermark and listeners`, () => {
    it('is one below the smallest pending revision, else the last allocated', async () => {
      const feed = await open();
      const c = factory.fresh();
      const empty = await feed.bounds(c);
      expect(empty.watermark).toBe(empty.current);
      expect(empty.oldest).toBe(empty.current);
      const a = await feed.allocate(c, putRef('a'));
      const b = await feed.allocate(c, putRef('b'));
      expect((await feed.bounds(c)).watermark).toBe(a - 1);
      await feed.resolve(c, [a], eventAt(a));
      expect((await feed.bounds(c)).watermark).toBe(b - 1);
      await feed.resolve(c, [b], null);
      const after = await feed.bounds(c);
      expect([after.watermark, after.current]).toEqual([b, b]);
      expect(feed.watermarkHint(c)).toBe(b);
    });

    it('calls listeners in revision order; an unsubscribed one no more', async () => {
      const feed = await open();
      const c = factory.fresh();
      const first = record(feed, c);
      const second = record(feed, c);
      const [a, b, d] = [await feed.allocate(c, putRef('a')), await feed.allocate(c, putRef('b')), await feed.allocate(c, putRef('c'))];
      await feed.resolve(c, [b], eventAt(b));
      await feed.resolve(c, [a], null);
      await feed.resolve(c, [d], eventAt(d));
      await eventually(() => expect(first.revisions).toEqual([b, d]));
      first.stop();
      const e = await feed.allocate(c, putRef('e'));
      await feed.resolve(c, [e], eventAt(e));
      await eventually(() => expect(second.revisions).toEqual([b, d, e]));
      expect(first.revisions).toEqual([b, d]);
    });

    it('keeps calling the other listeners when one throws', async () => {
      const warnings: string[] = [];
      const feed = await open({ log: { warn: (_obj, msg) => warnings.push(msg) } });
      const c = factory.fresh();
      feed.subscribe(c, () => {
        throw new Error('boom');
      });
      const seen = record(feed, c);
      const a = await feed.allocate(c, putRef('a'));
      await feed.resolve(c, [a], eventAt(a));
      await eventually(() => expect(seen.revisions).toEqual([a]));
      expect(warnings).toEqual(['change feed: a listener threw']);
    });
  });

  describe(`${name}: read and retention`, () => {
    it('returns the released events after a revision, at most limit, with the watermark', async () => {
      const feed = await open();
      const c = factory.fresh();
      const start = (await feed.bounds(c)).current;
      const revs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await feed.allocate(c, putRef(`d${i}`));
        await feed.resolve(c, [r], eventAt(r));
        revs.push(r);
      }
      const page = await feed.read(c, start, 2);
      expect(page.events.map((e) => e.revision)).toEqual(revs.slice(0, 2));
      expect(page.watermark).toBe(revs[4]);
      expect(await revisionsAfter(feed, c, revs[1]!)).toEqual(revs.slice(2));
      expect(await revisionsAfter(feed, c, revs[2]! - 1)).toEqual(revs.slice(2));
      expect((await feed.read(c, revs[4]!, 10)).events).toEqual([]);
    });

    it('refuses a revision below oldest or above current, with the bounds', async () => {
      const feed = await open();
      const c = factory.fresh();
      const a = await feed.allocate(c, putRef('a'));
      await feed.resolve(c, [a], eventAt(a));
      const bounds = await feed.bounds(c);
      expect(bounds.oldest).toBeGreaterThan(0);
      await expect(Promise.resolve().then(() => feed.read(c, a + 1, 10))).rejects.toBeInstanceOf(RevisionOutOfRange);
      const low = await Promise.resolve()
        .then(() => feed.read(c, bounds.oldest - 1, 10))
        .catch((e: unknown) => e);
      expect(low).toBeInstanceOf(RevisionOutOfRange);
      expect(low).toMatchObject({ collection: c, requested: bounds.oldest - 1, bounds: { oldest: bounds.oldest, current: a } });
      const never = factory.fresh();
      const nb = await feed.bounds(never);
      expect((await feed.read(never, nb.current, 10)).events).toEqual([]);
      await expect(Promise.resolve().then(() => feed.read(never, nb.current + 1, 10))).rejects.toBeInstanceOf(RevisionOutOfRange);
    });

    it('drops the oldest events beyond retainCount and raises oldest past them', async () => {
      const feed = await open({ retainCount: 10 });
      const c = factory.fresh();
      const start = (await feed.bounds(c)).current;
      const revs: number[] = [];
      for (let i = 0; i < 300; i++) {
        const r = await feed.allocate(c, putRef(`d${i}`));
        await feed.resolve(c, [r], eventAt(r));
        revs.push(r);
      }
      const { oldest } = await feed.bounds(c);
      expect(oldest).toBeGreaterThan(revs[0]! - 1);
      await expect(Promise.resolve().then(() => feed.read(c, start, 10))).rejects.toBeInstanceOf(RevisionOutOfRange);
      await expect(Promise.resolve().then(() => feed.read(c, oldest - 1, 10))).rejects.toBeInstanceOf(RevisionOutOfRange);
      // Whatever is retained is the whole tail after oldest (a Redis stream trims approximately: at least retainCount).
      const kept = await revisionsAfter(feed, c, oldest);
      expect(kept.length).toBeGreaterThanOrEqual(10);
      expect(kept.length).toBeLessThan(300);
      expect(kept).toEqual(revs.filter((r) => r > oldest));
      expect(revs[revs.length - kept.length - 1]!).toBeLessThanOrEqual(oldest);
    });
  });

  describe(`${name}: replaced and pending`, () => {
    it('knows the replaced states of queued and released changes, not of holes', async () => {
      const feed = await open();
      const c = factory.fresh();
      const a = await feed.allocate(c, putRef('x', 7));
      const b = await feed.allocate(c, putRef('x', 9));
      const hole = await feed.allocate(c, putRef('y', 3));
      await feed.resolve(c, [b], eventAt(b, [{ id: 'x', prevRevision: 9 }]));
      expect(await feed.replaced(c, 'x', 9, b)).toBe(true); // queued behind a
      expect(await feed.replaced(c, 'x', 7, a)).toBe(false);
      await feed.resolve(c, [a], eventAt(a, [{ id: 'x', prevRevision: 7 }]));
      await feed.resolve(c, [hole], null);
      expect(await feed.replaced(c, 'x', 7, a)).toBe(true); // released
      expect(await feed.replaced(c, 'x', 9, b)).toBe(true);
      expect(await feed.replaced(c, 'y', 3, hole)).toBe(false);
      expect(await feed.replaced(c, 'x', 0, a)).toBe(false);
      expect(await feed.replaced(factory.fresh(), 'x', 9, b)).toBe(false);
    });

    it('lists the pending revisions allocated at or before a time, oldest first', async () => {
      const feed = await open();
      const [c, d] = [factory.fresh(), factory.fresh()];
      const a = await feed.allocate(c, putRef('a', 1));
      await new Promise((r) => setTimeout(r, 5));
      const b = await feed.allocate(d, { id: 'b', op: 'delete', prevRevision: 2, txid: 't' });
      const x = await feed.allocate(c, putRef('x'));
      await feed.resolve(c, [x], null);
      const mine = (await feed.pending(Infinity)).filter((p) => p.collection === c || p.collection === d);
      expect(mine.map((p) => [p.collection, p.revision])).toEqual([
        [c, a],
        [d, b],
      ]);
      expect(mine[1]!.ref).toEqual({ id: 'b', op: 'delete', prevRevision: 2, txid: 't' });
      expect(Math.abs(mine[0]!.allocatedAtMs - Date.now())).toBeLessThan(60_000);
      const early = (await feed.pending(mine[0]!.allocatedAtMs)).filter((p) => p.collection === c || p.collection === d);
      expect(early.map((p) => p.revision)).toEqual([a]);
      expect((await feed.pending(mine[0]!.allocatedAtMs - 1)).filter((p) => p.collection === c)).toEqual([]);
    });
  });

  describe(`${name}: concurrency`, () => {
    it('releases 1000 concurrent writes resolved in random order once each, in order', async () => {
      const feed = await open();
      const c = factory.fresh();
      const start = (await feed.bounds(c)).current;
      const seen = record(feed, c);
      const writes = Array.from({ length: 1000 }, async (_, i) => {
        const r = await feed.allocate(c, putRef(`d${i}`));
        await new Promise((res) => setTimeout(res, Math.floor(Math.random() * 5)));
        const hole = i % 7 === 0;
        expect(await feed.resolve(c, [r], hole ? null : eventAt(r))).toBe(true);
        return hole ? null : r;
      });
      const expected = (await Promise.all(writes)).filter((r): r is number => r !== null).sort((x, y) => x - y);
      const bounds = await feed.bounds(c);
      expect(bounds.watermark).toBe(bounds.current);
      expect(await revisionsAfter(feed, c, start)).toEqual(expected);
      await eventually(() => expect(seen.revisions).toEqual(expected));
    });
  });

  describe(`${name}: close`, () => {
    it('fails every later call', async () => {
      const feed = await factory.open();
      await feed.close();
      await expect(Promise.resolve().then(() => feed.allocate('c', putRef('a')))).rejects.toThrow(/closed/);
      await expect(Promise.resolve().then(() => feed.resolve('c', [1], null))).rejects.toThrow(/closed/);
      await expect(Promise.resolve().then(() => feed.bounds('c'))).rejects.toThrow(/closed/);
      await expect(Promise.resolve().then(() => feed.read('c', 0, 1))).rejects.toThrow(/closed/);
      await expect(feed.close()).rejects.toThrow(/closed/);
    });
  });
}
