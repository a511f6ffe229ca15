/**
 * Issue 10, "Redis Cluster": the in-process Redis suites that are not
 * scenario files of redis-cluster.test.ts, on one real 3-master cluster with
 * one replica each (test/harness/redis-cluster.ts) and gofakes3:
 * - LockedConditionsStore races (locked-conditions-scenarios.ts): every
 *   object key's mutex has its own slot, spread over the masters; then a race
 *   goes on while the master of the key's mutex is SIGKILLed: never two winners.
 * - The engine's guarantees over two engines on S3 + LockedConditionsStore
 *   (document-engine-scenarios.ts).
 * - RedisIndexStore data loss (redis-index-loss-scenarios.ts) in the two ways
 *   a cluster loses data: a shard flushed (master and replica empty), and a
 *   failover to a replica that lagged behind (stopped with SIGSTOP while the
 *   master took the changes, so it is promoted without them).
 * Fault cases last: they flush a shard and kill masters.
 */
import Redis from 'ioredis';
import { keySlot } from '../../server/src/coordination/redis/cluster-slots.js';
import { mutexKeys } from '../../server/src/coordination/redis/mutex-scripts.js';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { isDbError } from '../../server/src/errors/db-error.js';
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import { ConditionFailedError } from '../../server/src/storage/blob-store.js';
import { LockedConditionsStore } from '../../server/src/storage/locked-conditions.js';
import { startRedisCluster, type RedisTestCluster } from '../harness/redis-cluster.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { documentEngineScenarios, lockedS3Engines } from '../engine/document-engine-scenarios.js';
import { redisIndexLossScenarios } from '../index/redis-index-loss-scenarios.js';
import { lockedConditionsScenarios, REPLICAS, s3Client } from '../storage/locked-conditions-scenarios.js';

jest.setTimeout(90_000);

let cluster: RedisTestCluster;
let s3: S3TestServer;

beforeAll(async () => {
  [cluster, s3] = await Promise.all([startRedisCluster(), startS3Server('cluster-stores')]);
});

const coordinator = (): Promise<RedisCoordinator> => RedisCoordinator.connect({ url: cluster.url, cluster: true, commandTimeoutMs: 1000 });
const indexStore = (): Promise<RedisIndexStore> => RedisIndexStore.connect({ url: cluster.url, cluster: true, commandTimeoutMs: 1000 });
const ixSlot = (collection: string): number => keySlot(`sb:{ix:${collection}}:cat`);

describe('LockedConditionsStore, a RedisCoordinator per replica on the cluster', () => {
  lockedConditionsScenarios(() => s3, coordinator);

  it("spreads the keys' mutexes over the masters", async () => {
    const masters = new Set<number>();
    for (let i = 0; i < 12; i++) masters.add((await cluster.masterOfSlot(keySlot(mutexKeys('sb:', `blob:docs/r/k${i}`).lock))).port);
    expect(masters.size).toBeGreaterThan(1);
  });
});

describe('DocumentEngine: two engines, LockedConditionsStore(S3) + a RedisCoordinator each on the cluster', () => {
  let n = 0;
  documentEngineScenarios(() => lockedS3Engines(s3, coordinator, `engine-${n++}/`));
});

describe('RedisIndexStore: a shard loses its data (FLUSHALL on its master replicates to its replica)', () => {
  redisIndexLossScenarios(
    indexStore,
    {
      before: async () => undefined,
      lose: async (collection) => {
        const raw = new Redis((await cluster.masterOfSlot(ixSlot(collection))).port, '127.0.0.1');
        await raw.flushall();
        raw.disconnect();
      },
    },
    'flushed-',
  );
});

describe('RedisIndexStore: a failover to a replica that lagged behind', () => {
  let replica: { kill(signal: NodeJS.Signals): boolean } | undefined;
  redisIndexLossScenarios(
    indexStore,
    {
      before: async (collection) => {
        const master = await cluster.masterOfSlot(ixSlot(collection));
        const port = (await cluster.topology()).find((n) => n.masterId === master.id)!.port;
        replica = cluster.nodes.find((n) => n.port === port)!.child;
        // What the master takes from now on never reaches it: it is stopped, and the master drops its replication link.
        replica.kill('SIGSTOP');
        const raw = new Redis(master.port, '127.0.0.1');
        await raw.client('KILL', 'TYPE', 'replica');
        raw.disconnect();
      },
      lose: async (collection) => {
        const master = await cluster.masterOfSlot(ixSlot(collection));
        await cluster.killMasterAndAwaitFailover(master.port, () => replica!.kill('SIGCONT'));
      },
    },
    'lagged-',
  );
  afterAll(() => {
    replica?.kill('SIGCONT');
  });
});

describe('conditional writes racing while the master of their mutex fails over', () => {
  it('never two winners per etag, before, during or after the failover; exactly one once it is over', async () => {
    const key = 'docs/failover/hot';
    const closers: Array<() => Promise<void>> = [];
    const replicas = await Promise.all(
      Array.from({ length: REPLICAS }, async () => {
        const [inner, c] = [s3Client(s3, 'failover/'), await coordinator()];
        closers.push(
          () => inner.close(),
          () => c.close(),
        );
        return new LockedConditionsStore(inner, c, { waitMs: 20_000 });
      }),
    );
    try {
      const victim = (await cluster.masterOfSlot(keySlot(mutexKeys('sb:', `blob:${key}`).lock))).port;
      await replicas[0]!.put(key, Buffer.from('{"round":-1}'));
      /** One round: 16 updates with the stored etag; returns how many won and every other outcome. */
      const round = async (r: number): Promise<{ won: number; others: string[] }> => {
        const base = await replicas[r % REPLICAS]!.head(key);
        const rs = await Promise.allSettled(
          Array.from({ length: 16 }, (_, i) =>
            replicas[i % REPLICAS]!.put(key, Buffer.from(`{"round":${r},"w":${i}}`), { ifMatch: base!.etag }),
          ),
        );
        const others = rs.flatMap((x) => {
          if (x.status === 'fulfilled') return [];
          if (x.reason instanceof ConditionFailedError) return ['condition'];
          if (isDbError(x.reason)) return [`${x.reason.kind}/${x.reason.reason}`];
          return [String(x.reason)];
        });
        return { won: rs.length - others.length, others };
      };
      const outcomes = new Set<string>();
      let done = false;
      const failover = cluster.killMasterAndAwaitFailover(victim).finally(() => (done = true));
      for (let r = 0; !done; r++) {
        const { won, others } = await round(r);
        expect(won).toBeLessThanOrEqual(1);
        for (const o of others) outcomes.add(o);
      }
      await failover;
      // Each coordinator's breaker may still be open (the calls that reached the dead master failed): wait for a winner.
      for (let r = 100; ; r++) {
        const { won, others } = await round(r);
        expect(won).toBeLessThanOrEqual(1);
        for (const o of others) outcomes.add(o);
        if (won === 1) break;
        if (r > 400) throw new Error('no conditional write succeeded after the failover');
        await new Promise((res) => setTimeout(res, 100));
      }
      for (let r = 1000; r < 1003; r++) {
        const { won, others } = await round(r);
        expect([won, [...new Set(others)]]).toEqual([1, ['condition']]);
      }
      // While the master was down, a writer that could not reach its mutex failed unavailable; nothing else.
      expect([...outcomes].filter((o) => o !== 'condition' && o !== 'unavailable/BACKEND_UNAVAILABLE')).toEqual([]);
    } finally {
      for (const close of closers) await close();
    }
  });
});

afterAll(async () => {
  await Promise.all([cluster?.stop(), s3?.stop()]);
});
