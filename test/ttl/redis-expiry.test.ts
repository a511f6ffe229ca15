/**
 * The shared expiry schedule on a real redis-server (docs/streams.md,
 * "Document expiry (TTL)"):
 * - the claim script: two claimers take disjoint ids; a claimer that dies
 *   leaves its ids to the others once its claim lapses; a settle keeps an
 *   entry rescheduled meanwhile; a failed purge gives its claim back;
 * - losses: a flushed Redis is reported (registry and collection), and a
 *   rebuild that Redis lost midway is not confirmed;
 * - two RedisExpiry "servers" over one store purge each expired document
 *   exactly once, and after Redis loses everything the schedule is rebuilt
 *   from storage and the rest are purged.
 * Times are passed to the schedule (no waiting on the clock).
 */
import Redis from 'ioredis';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { RedisGuard } from '../../server/src/coordination/redis/redis-guard.js';
import { ManualClock } from '../../server/src/common/manual-clock.js';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { RedisPurgeSchedule } from '../../server/src/ttl/redis/redis-purge-schedule.js';
import { RedisExpiry } from '../../server/src/ttl/redis/redis-expiry.js';
import { scheduleKeys } from '../../server/src/ttl/redis/redis-expiry-layout.js';
import type { ScheduledExpiry } from '../../server/src/ttl/purge-schedule.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';

jest.setTimeout(120_000);

let server: RedisTestServer;
const clients: Redis[] = [];
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  for (const c of clients) c.disconnect();
  await server?.stop();
});

function connection(): Redis {
  const r = new Redis(server.url, { maxRetriesPerRequest: 1 });
  clients.push(r);
  return r;
}

/** A schedule on its own connection, as one server has; losses it reports are recorded. */
function schedule(prefix: string, claimMs = 30_000) {
  const s = new RedisPurgeSchedule({ redis: connection(), guard: new RedisGuard({}, 'expiry'), keyPrefix: prefix, claimMs });
  const lost = { registry: 0, collections: [] as string[] };
  s.listen({ known: () => [], registryLost: () => lost.registry++, collectionLost: (c) => lost.collections.push(c) });
  return { s, lost };
}

const T = 1_900_000_000_000;
const ids = (entries: readonly ScheduledExpiry[]) => entries.map((e) => e.id).sort();

describe('RedisPurgeSchedule on a real Redis', () => {
  it('two claimers take disjoint ids; the ids a dead claimer held are due again when its claim lapses', async () => {
    const p = 'claim:';
    const a = schedule(p, 5000);
    const b = schedule(p, 5000);
    await a.s.register(['c1', 'c2'], true);
    for (const c of ['c1', 'c2']) {
      await a.s.beginRebuild(c, 'token', 60_000);
      expect(await a.s.confirmRebuild(c, 'token')).toBe(true);
    }
    const all: string[] = [];
    for (let i = 0; i < 300; i++) {
      const id = `d${String(i).padStart(3, '0')}`;
      all.push(`${i % 2 === 0 ? 'c1' : 'c2'}/${id}`);
      await a.s.add(i % 2 === 0 ? 'c1' : 'c2', id, T - i);
    }
    await a.s.add('c1', 'later', T + 100_000);
    // Both claim at once, 50 at a time per take, until nothing is due.
    const taken = { a: [] as ScheduledExpiry[], b: [] as ScheduledExpiry[] };
    const claimer = async (who: 'a' | 'b') => {
      for (;;) {
        const got = await (who === 'a' ? a : b).s.takeDue(T, 50);
        if (got.length === 0) return;
        taken[who].push(...got);
      }
    };
    await Promise.all([claimer('a'), claimer('b'), claimer('a'), claimer('b')]);
    const key = (e: ScheduledExpiry) => `${e.collection}/${e.id}`;
    const both = [...taken.a, ...taken.b].map(key);
    expect(new Set(both).size).toBe(both.length); // no id taken twice
    expect(both.sort()).toEqual(all.sort());
    expect(taken.a.length).toBeGreaterThan(0);
    expect(taken.b.length).toBeGreaterThan(0);
    for (const e of [...taken.a, ...taken.b]) expect(e.expireAtMs).toBe(T - Number(e.id.slice(1)));

    // a settles what it took; b "dies" holding its ids: nobody takes them until the claim lapses.
    for (const e of taken.a) await a.s.settle(e, T);
    // Settled ids stay known for a while: a keys-only listing that listed one before its purge re-reads it.
    const settled = taken.a.find((e) => e.collection === 'c1')!.id;
    expect(await a.s.dueAmong('c1', [settled], T + 59_000)).toEqual(new Set([settled]));
    expect(await a.s.dueAmong('c1', [settled], T + 60_001)).toEqual(new Set());
    expect(await a.s.takeDue(T + 5000, 1000)).toEqual([]); // the claim ends at T + 5000.5
    const returned = await a.s.takeDue(T + 5001, 1000);
    expect(returned.map(key).sort()).toEqual(taken.b.map(key).sort());
    // Their score was the lapsed claim's end: that is the time a lapsed entry carries (it is still due).
    for (const e of returned) expect(e.expireAtMs).toBe(T + 5000);
    for (const e of returned) expect(e.claimedUntilMs).toBe(T + 10_001.5);
    // The late settles of the dead claimer change nothing: a holds the claim now.
    for (const e of taken.b) await b.s.settle(e, T + 5001);
    // Any one of them (b's share is random: it may hold ids of only one collection).
    const held = returned[0]!;
    expect(await a.s.dueAmong(held.collection, [held.id], T + 5001)).toEqual(new Set([held.id])); // claimed by a: maybe due
    expect(await a.s.dueAmong('c1', ['later'], T + 5001)).toEqual(new Set());
    expect(await a.s.dueAmong('c1', ['later'], T + 100_000 - 5000)).toEqual(new Set(['later'])); // due within a claim period
    for (const e of returned) await a.s.settle(e, T + 5001);
    expect(await a.s.dueAmong(held.collection, [held.id], T + 100_000)).toEqual(new Set());
    expect(await a.s.dueAmong('c1', ['d000', 'later'], T + 100_000)).toEqual(new Set(['later']));
    expect(a.lost).toEqual({ registry: 0, collections: [] });
  });

  it('a settle keeps an entry rescheduled during the purge; a failed purge gives its claim back; restore does not override', async () => {
    const { s } = schedule('settle:');
    await s.register(['c'], true);
    await s.beginRebuild('c', 'token', 60_000);
    await s.confirmRebuild('c', 'token');
    await s.add('c', 'rewritten', T);
    await s.add('c', 'failed', T);
    await s.add('c', 'stale', T + 50_000); // a write that then failed scheduled a later time
    await s.restore('c', 'stale', T - 10); // a read met its stored version expired: moved earlier
    await s.restore('c', 'met', T - 5); // absent: added
    const got = await s.takeDue(T, 10);
    expect(ids(got)).toEqual(['failed', 'met', 'rewritten', 'stale']);
    await s.restore('c', 'met', T - 100); // claimed: a read does not hand it back
    await s.add('c', 'rewritten', T + 60_000); // a write lands a new version meanwhile
    await s.restore('c', 'failed', T - 1); // a read met it: no effect on a claimed entry
    for (const e of got) await (e.id === 'failed' ? s.retry(e) : e.id === 'met' ? undefined : s.settle(e, T));
    expect(ids(await s.takeDue(T, 10))).toEqual(['failed']); // given back with its own expire time; 'met' still claimed
    await s.restore('c', 'stale', T - 10); // a read that predates the purge: that version was handled, not added again
    await s.restore('c', 'stale', T + 5); // a later version (settled at T, before it expires): added
    expect(await s.dueAmong('c', ['stale'], T + 5 - 30_001)).toEqual(new Set(['stale'])); // settled: known (xs)
    expect(ids(await s.takeDue(T + 4, 10))).toEqual([]);
    expect(ids(await s.takeDue(T + 5, 10))).toEqual(['stale']);
    expect(await s.dueAmong('c', ['rewritten'], T + 59_998 - 30_000)).toEqual(new Set());
    expect(await s.dueAmong('c', ['rewritten'], T + 60_000)).toEqual(new Set(['rewritten']));
  });

  it('reports a flushed registry and schedules, and does not confirm a rebuild that Redis lost midway', async () => {
    const p = 'loss:';
    const { s, lost } = schedule(p);
    await s.register(['c'], true);
    await s.beginRebuild('c', 'tok-1', 60_000);
    expect(await s.confirmRebuild('c', 'tok-1')).toBe(true);
    await s.add('c', 'x', T);
    expect(ids(await s.takeDue(T, 10))).toEqual(['x']);
    expect(lost).toEqual({ registry: 0, collections: [] });
    expect(s.registered()).toEqual(new Set(['c']));
    expect(await s.dueAmong('c', ['x', 'y'], T)).toEqual(new Set(['x'])); // x is claimed: maybe due; y is not scheduled

    await s.beginRebuild('c', 'tok-2', 60_000);
    await connection().flushall();
    expect(await s.confirmRebuild('c', 'tok-2')).toBe(false);
    expect(await s.takeDue(T, 10)).toEqual([]);
    expect(lost.registry).toBe(1);
    expect(s.registered()).toEqual(new Set());
    // Unconfirmed now: a keys-only listing must re-read every id.
    expect(await s.dueAmong('c', ['x', 'y'], T)).toEqual(new Set(['x', 'y']));
    // The registry is empty, so only collections the process knows are claimed: none here.
    expect(lost.collections).toEqual([]);
    await s.register(['c'], true);
    await s.takeDue(T, 10);
    expect(lost).toEqual({ registry: 1, collections: ['c'] });
    expect(await connection().exists(scheduleKeys(p, 'c').xb)).toBe(0);
  });
});

describe('RedisExpiry: two servers over one store', () => {
  it('purges each expired document once across both, and after Redis loses everything rebuilds the schedule from storage', async () => {
    const store = new MemoryBlobStore();
    const clock = new ManualClock({ startMs: T });
    const counts = { purged: 0, dropped: 0, failed: 0 };
    const losses: string[] = [];
    const servers = [0, 1].map(() => {
      const expiry = RedisExpiry.attach(connection(), {
        store,
        clock,
        sweepMs: 3_600_000, // rounds are run by the test
        keyPrefix: 'two:',
        rebuildSettleMs: 0, // no write is in flight when Redis loses its data here
        onOutcome: (o) => counts[o]++,
        onLoss: (w) => losses.push(w.collection ?? 'registry'),
      });
      const engine = new DocumentEngine({ coordinator: new LocalCoordinator({ clock }), store, clock, expiry });
      closers.push(() => expiry.close());
      return { expiry, engine };
    });
    for (const s of servers) await s.expiry.start((c, id, signal) => s.engine.purgeExpired(c, id, signal));
    const ctx = { signal: new AbortController().signal };
    const n = 200;
    for (let i = 0; i < n; i++) {
      const engine = servers[i % 2]!.engine;
      await engine.put(ctx, { collection: 'sessions', id: `s${i}`, data: { i }, expiration: { kind: 'ttl', ms: 1000 + (i % 5) * 1000 } });
    }
    await servers[0]!.engine.put(ctx, { collection: 'sessions', id: 'keep', data: {} });
    expect(servers[1]!.expiry.isExpiring('sessions')).toBe(true);

    // Past the first half's expiry: both servers sweep at once, twice.
    clock.advance(3000);
    const sweepAll = () => Promise.all(servers.map((s) => s.expiry.sweep()));
    await sweepAll();
    await sweepAll();
    // The first sweep found the new schedule unconfirmed and rebuilt it: entries are kept (NX), and an id
    // the listing saw before its purge may be scheduled again, then dropped (read absent): never purged twice.
    expect(counts).toMatchObject({ purged: (n / 5) * 3, failed: 0 });

    // Redis loses everything: the rest is rebuilt from the markers and purged.
    await connection().flushall();
    clock.advance(10_000);
    const deadline = Date.now() + 60_000;
    while (counts.purged < n) {
      if (Date.now() > deadline) throw new Error(`only ${counts.purged} purged after the loss`);
      await sweepAll();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(counts).toMatchObject({ purged: n, failed: 0 });
    expect(losses).toContain('registry');
    expect(losses).toContain('sessions');
    const left = await store.list({ prefix: 'docs/sessions/', limit: 1000 });
    expect(left.keys).toEqual(['docs/sessions/keep']);
  });
});
