/**
 * Document expiry's shared schedule on a real Redis Cluster (3 masters, one
 * replica each): its keys are hash-tagged per collection, so with several
 * collections spread over the masters two RedisExpiry "servers" (their own
 * cluster connections, one store, an engine each) purge every expired
 * document exactly once; after every master is flushed (their replicas
 * follow) the registry and the schedules are rebuilt from storage and the
 * rest are purged.
 */
import Redis from 'ioredis';
import { keySlot } from '../../server/src/coordination/redis/cluster-slots.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { ManualClock } from '../../server/src/common/manual-clock.js';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { RedisExpiry } from '../../server/src/ttl/redis/redis-expiry.js';
import { scheduleKeys } from '../../server/src/ttl/redis/redis-expiry-layout.js';
import { startRedisCluster, type RedisTestCluster } from '../harness/redis-cluster.js';

jest.setTimeout(120_000);

let cluster: RedisTestCluster;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  cluster = await startRedisCluster();
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  await cluster?.stop();
});

const T = 1_900_000_000_000;
const COLLECTIONS = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];

it('two servers purge each expired document once over collections on several masters, and rebuild after the masters are flushed', async () => {
  const masters = new Set<number>();
  for (const c of COLLECTIONS) masters.add((await cluster.masterOfSlot(keySlot(scheduleKeys('sb:', c).x))).port);
  expect(masters.size).toBeGreaterThan(1);

  const store = new MemoryBlobStore();
  const clock = new ManualClock({ startMs: T });
  const counts = { purged: 0, dropped: 0, failed: 0 };
  const servers = await Promise.all(
    [0, 1].map(async () => {
      const expiry = await RedisExpiry.connect({
        url: cluster.url,
        cluster: true,
        store,
        clock,
        sweepMs: 3_600_000, // rounds are run by the test
        rebuildSettleMs: 0, // no write is in flight when the masters are flushed
        onOutcome: (o) => counts[o]++,
      });
      const engine = new DocumentEngine({ coordinator: new LocalCoordinator({ clock }), store, clock, expiry });
      closers.push(() => expiry.close());
      await expiry.start((c, id, signal) => engine.purgeExpired(c, id, signal));
      return { expiry, engine };
    }),
  );
  const ctx = { signal: new AbortController().signal };
  const write = async (prefix: string, ttlMs: number): Promise<number> => {
    let n = 0;
    for (const c of COLLECTIONS)
      for (let i = 0; i < 20; i++, n++)
        await servers[n % 2]!.engine.put(ctx, { collection: c, id: `${prefix}${i}`, data: { i }, expiration: { kind: 'ttl', ms: ttlMs } });
    return n;
  };
  const sweepUntil = async (purged: number): Promise<void> => {
    const deadline = Date.now() + 60_000;
    while (counts.purged < purged) {
      if (Date.now() > deadline) throw new Error(`only ${counts.purged} of ${purged} purged`);
      await Promise.all(servers.map((s) => s.expiry.sweep()));
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const first = await write('a', 1000);
  const second = await write('b', 20_000);
  clock.advance(2000);
  await sweepUntil(first);

  // Every master flushed (the replicas follow): registry and schedules are gone; the second batch is rebuilt from storage.
  for (const node of (await cluster.topology()).filter((n) => n.role === 'master' && !n.failed)) {
    const raw = new Redis(node.port, '127.0.0.1');
    await raw.flushall();
    raw.disconnect();
  }
  clock.advance(30_000);
  await sweepUntil(first + second);
  expect(counts).toMatchObject({ purged: first + second, failed: 0 });
  for (const c of COLLECTIONS) expect((await store.list({ prefix: `docs/${c}/`, limit: 1000 })).keys).toEqual([]);
});
