/**
 * The Redis change feed on a real redis-server: the conformance suite
 * (feed-conformance.ts), then what only a shared feed shows: two servers
 * writing one collection, a restarted server reading the retained history,
 * a flushed Redis starting a new generation, the counter shared with the
 * index store, and the round trips of a write and of a read near the head.
 */
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import { RevisionOutOfRange, type FeedEvent } from '../../server/src/streams/change-feed.js';
import { RedisFeed } from '../../server/src/streams/redis/redis-feed.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { eventAt, eventually, feedConformance, putRef } from './feed-conformance.js';
import { watchConformance } from './watch-conformance.js';

let redis: RedisTestServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const fresh = (): string => `c-${randomUUID().slice(0, 8)}`;

feedConformance('RedisFeed', {
  open: (setup) => RedisFeed.connect({ url: redis.url, ...setup }),
  fresh,
});
watchConformance('RedisFeed', { open: (setup) => RedisFeed.connect({ url: redis.url, ...setup }), fresh });

/** Watches every command clients send (MONITOR), leaving out those run inside scripts. */
async function watchCommands(): Promise<{ sent: string[]; stop: () => void }> {
  const base = new Redis(redis.url);
  const monitor = await base.monitor();
  const sent: string[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source !== 'lua') sent.push(String(args[0]).toLowerCase());
  });
  return {
    sent,
    stop: () => {
      monitor.disconnect();
      base.disconnect();
    },
  };
}

/** Lets MONITOR's stream catch up with the commands already answered. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 100));

describe('RedisFeed across servers', () => {
  let feeds: RedisFeed[] = [];
  let raw: Redis;
  beforeEach(() => {
    raw = new Redis(redis.url);
  });
  afterEach(async () => {
    for (const f of feeds) await f.close().catch(() => undefined);
    feeds = [];
    raw.disconnect();
  });
  const connect = async (): Promise<RedisFeed> => {
    const f = await RedisFeed.connect({ url: redis.url });
    feeds.push(f);
    return f;
  };

  it('two servers writing one collection concurrently make one history in revision order, delivered to both', async () => {
    const [one, two] = [await connect(), await connect()];
    const c = fresh();
    const seen = [one, two].map((f) => {
      const revs: number[] = [];
      f.subscribe(c, (events) => revs.push(...events.map((e) => e.revision)));
      return revs;
    });
    const writes = Array.from({ length: 400 }, async (_, i) => {
      const feed = i % 2 === 0 ? one : two;
      const r = await feed.allocate(c, putRef(`d${i}`));
      await new Promise((res) => setTimeout(res, Math.floor(Math.random() * 5)));
      const hole = i % 5 === 0;
      expect(await feed.resolve(c, [r], hole ? null : eventAt(r))).toBe(true);
      return hole ? null : r;
    });
    const expected = (await Promise.all(writes)).filter((r): r is number => r !== null).sort((a, b) => a - b);
    expect(new Set(expected).size).toBe(expected.length);
    expect((await one.read(c, 0, 10_000)).events.map((e) => e.revision)).toEqual(expected);
    await eventually(() => expect(seen[0]).toEqual(expected));
    await eventually(() => expect(seen[1]).toEqual(expected));
  });

  it('a restarted server reads the whole retained history', async () => {
    const first = await connect();
    const c = fresh();
    const written: FeedEvent[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await first.allocate(c, putRef(`d${i}`));
      const e = eventAt(r, [{ id: `d${i}`, doc: { etag: 'e', version: 1, createTime: 't', updateTime: 't', data: { i } } }]);
      await first.resolve(c, [r], e);
      written.push(e);
    }
    await first.close();
    feeds = [];
    const restarted = await connect();
    const { oldest } = await restarted.bounds(c);
    expect((await restarted.read(c, oldest, 100)).events).toEqual(written);
  });

  it('a flushed Redis is a new generation: old revisions are refused and listeners are woken', async () => {
    const feed = await connect();
    const c = fresh();
    const r = await feed.allocate(c, putRef('a'));
    await feed.resolve(c, [r], eventAt(r));
    const calls: number[] = [];
    feed.subscribe(c, (events) => calls.push(events.length));
    const seen = await feed.allocate(c, putRef('seen'));
    await feed.resolve(c, [seen], eventAt(seen));
    await eventually(() => expect(calls).toEqual([1])); // the loop read the generation before its first XREAD
    await raw.flushall();
    await eventually(() => expect(calls).toContain(0), 5000);
    await expect(feed.read(c, r, 10)).rejects.toBeInstanceOf(RevisionOutOfRange);
    const next = await feed.allocate(c, putRef('b'));
    expect(next).toBeGreaterThan(r);
    await feed.resolve(c, [next], eventAt(next));
    const bounds = await feed.bounds(c);
    expect(bounds.oldest).toBeGreaterThan(r);
    await expect(feed.read(c, r, 10)).rejects.toBeInstanceOf(RevisionOutOfRange);
    expect((await feed.read(c, bounds.oldest, 10)).events.map((e) => e.revision)).toEqual([next]);
    expect(await raw.sismember('sb:feed:collections', c)).toBe(1); // registered again with the new generation
  });

  it('a replaced stream is reported as a new generation before any of its entries, even when XREAD meets them first', async () => {
    const feed = await connect();
    const c = fresh();
    const got: (number | 'generation')[] = [];
    const first = await feed.allocate(c, putRef('a'));
    await feed.resolve(c, [first], eventAt(first));
    feed.subscribe(c, (events) => (events.length === 0 ? got.push('generation') : got.push(...events.map((e) => e.revision))));
    const r = await feed.allocate(c, putRef('b'));
    await feed.resolve(c, [r], eventAt(r));
    await eventually(() => expect(got).toEqual([r]));
    await raw.flushall();
    const next = await feed.allocate(c, putRef('c')); // at once: well before the loop's periodic generation check
    await feed.resolve(c, [next], eventAt(next));
    await eventually(() => expect(got).toContain('generation'), 5000);
    expect(got.indexOf('generation')).toBe(1);
    await expect(feed.read(c, r, 10)).rejects.toBeInstanceOf(RevisionOutOfRange);
  });

  it('a server that only reads learns the watermark: a stale hint refreshes itself in the background', async () => {
    const [writer, reader] = [await connect(), await connect()];
    const c = fresh();
    const r = await writer.allocate(c, putRef('a'));
    await writer.resolve(c, [r], eventAt(r));
    expect(reader.watermarkHint(c)).toBe(0); // nothing seen yet: unknown, and a refresh starts
    await eventually(() => expect(reader.watermarkHint(c)).toBe(r));
  });

  it('a new generation settles on a server that saw the old one (or was told of the loss), not on one meeting the collection first', async () => {
    const old = await RedisFeed.connect({ url: redis.url, settleMs: 60_000 });
    feeds.push(old);
    const c = fresh();
    const r = await old.allocate(c, putRef('a'));
    await old.resolve(c, [r], eventAt(r));
    expect(old.settlingMs(c)).toBe(0); // a brand-new collection is watchable at once
    await raw.flushall();
    const next = await old.allocate(c, putRef('b')); // the new generation's first allocation tells this server
    await old.resolve(c, [next], eventAt(next));
    expect(old.settlingMs(c)).toBeGreaterThan(50_000);
    const fresher = await RedisFeed.connect({ url: redis.url, settleMs: 60_000 });
    feeds.push(fresher);
    await fresher.bounds(c);
    expect(fresher.settlingMs(c)).toBe(0);
    fresher.noteLoss();
    expect(fresher.settlingMs(fresh())).toBeGreaterThan(50_000);
  });

  it('takes revisions from the index counter: the index seq after a revision is above it, and the index records it', async () => {
    const feed = await connect();
    const index = await RedisIndexStore.connect({ url: redis.url });
    try {
      const c = fresh();
      const r = await feed.allocate(c, putRef('a'));
      expect(await index.nextSeq(c, 'a', r)).toBe(r);
      expect((await index.pendingWrites(c, 0, 10)).map((p) => [p.id, p.seq])).toEqual([['a', r]]);
      expect(await index.nextSeq(c)).toBeGreaterThan(r);
      expect(await feed.allocate(c, putRef('b'))).toBeGreaterThan(r + 1);
    } finally {
      await index.close();
    }
  });

  it('costs two round trips per write, and none for a read a watcher makes near the head', async () => {
    const feed = await connect();
    const c = fresh();
    const first = await feed.allocate(c, putRef('warm-up')); // registers the collection once
    await feed.resolve(c, [first], eventAt(first));
    const watched = await watchCommands();
    try {
      for (let i = 0; i < 10; i++) {
        const r = await feed.allocate(c, putRef(`d${i}`));
        await feed.resolve(c, [r], eventAt(r));
      }
      await settle();
      expect(watched.sent).toEqual(Array.from({ length: 20 }, () => 'evalsha'));

      const seen: number[] = [];
      feed.subscribe(c, (events) => seen.push(...events.map((e) => e.revision)));
      const near: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await feed.allocate(c, putRef(`w${i}`));
        await feed.resolve(c, [r], eventAt(r));
        near.push(r);
      }
      await eventually(() => expect(seen).toEqual(near)); // the loop starts after the watermark this server saw
      await settle();
      watched.sent.length = 0;
      const page = await feed.read(c, near[0]!, 100);
      expect(page).toEqual({
        events: [expect.objectContaining({ revision: near[1] }), expect.objectContaining({ revision: near[2] })],
        watermark: near[2],
      });
      await settle();
      expect(watched.sent.filter((cmd) => cmd !== 'xread' && cmd !== 'hmget')).toEqual([]); // only the reader loop's own
    } finally {
      watched.stop();
    }
  });
});
