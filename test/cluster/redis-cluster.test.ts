/**
 * Issue 10, "Redis Cluster": the Redis-dependent scenario suites (mutexes,
 * leases, the index store) on a real 3-master Redis Cluster with one replica
 * each (test/harness/redis-cluster.ts), one cluster for the whole file. Every
 * script touches one slot (the cluster refuses the others with CROSSSLOT);
 * the key → slot rule of the server is the cluster's own (CLUSTER KEYSLOT).
 */
import Redis, { Cluster } from 'ioredis';
import { keySlot, markerKeyFor, slotMarkerKey } from '../../server/src/coordination/redis/cluster-slots.js';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import { coordinatorScenarios } from '../engine/coordinator-scenarios.js';
import { indexStoreScenarios } from '../index/index-store-scenarios.js';
import { indexStoreSwapScenarios } from '../index/index-store-swap-scenarios.js';
import { leaseScenarios } from '../locks/lease-scenarios.js';
import { startRedisCluster, type RedisTestCluster } from '../harness/redis-cluster.js';
import { waitFor } from '../harness/redis-process.js';
import { clusterEpochScenarios } from './cluster-epoch-scenarios.js';

jest.setTimeout(60_000);

let cluster: RedisTestCluster;

beforeAll(async () => {
  cluster = await startRedisCluster();
});

afterAll(async () => {
  await cluster?.stop();
});

const connect = (keyPrefix?: string): Promise<RedisCoordinator> =>
  RedisCoordinator.connect({ url: cluster.url, cluster: true, ...(keyPrefix !== undefined ? { keyPrefix } : {}) });

describe('the harness', () => {
  it('runs 3 masters serving all 16384 slots, each with one replica', async () => {
    const nodes = await cluster.topology();
    const masters = nodes.filter((n) => n.role === 'master');
    expect(masters).toHaveLength(3);
    expect(masters.reduce((sum, m) => sum + m.slots, 0)).toBe(16384);
    for (const m of masters) expect(nodes.filter((n) => n.masterId === m.id)).toHaveLength(1);
  });

  it("computes every key's slot as the cluster does (CLUSTER KEYSLOT)", async () => {
    const raw = new Redis(cluster.nodes[0]!.port, '127.0.0.1');
    try {
      const keys = [
        'sb:{l:orders/7}:lease',
        'sb:{m:docs/c/é}:lock',
        'sb:{ix:users}:cat',
        'sb:epoch',
        '{}{x}',
        markerKeyFor('sb:', 'sb:{l:a}:lease'),
      ];
      for (let s = 0; s < 16384; s += 997) keys.push(slotMarkerKey('sb:', s));
      for (const key of keys) expect(await raw.cluster('KEYSLOT', key)).toBe(keySlot(key));
    } finally {
      raw.disconnect();
    }
  });
});

describe('RedisCoordinator on the cluster', () => {
  describe('one connection', () => {
    coordinatorScenarios(async () => [await connect()]);
  });

  describe('two coordinators on separate connections exclude each other', () => {
    coordinatorScenarios(async () => [await connect(), await connect()]);
  });

  describe('leases, two coordinators', () => {
    leaseScenarios(async () => [await connect(), await connect()]);
  });

  it('spreads locks over the masters: the lease and fence of a lock share its slot', async () => {
    const c = await connect('spread:');
    const raw = new Cluster([{ host: '127.0.0.1', port: cluster.nodes[0]!.port }]);
    try {
      const masters = new Set<number>();
      for (let i = 0; i < 12; i++) {
        const r = await c.tryAcquireLease(`job-${i}`, 10_000, 'me');
        if (!r.granted) throw new Error('not granted');
        expect(await raw.hget(`spread:{l:job-${i}}:lease`, 'fence')).toBe(String(r.lease.fencingToken));
        masters.add((await cluster.masterOfSlot(keySlot(`spread:{l:job-${i}}:lease`))).port);
      }
      expect(masters.size).toBeGreaterThan(1);
    } finally {
      raw.disconnect();
      await c.close();
    }
  });
});

describe('lease grants acknowledged by a replica (grantReplicas 1)', () => {
  const connectWaiting = (): Promise<RedisCoordinator> => RedisCoordinator.connect({ url: cluster.url, cluster: true, grantReplicas: 1 });

  describe('scenarios', () => {
    leaseScenarios(async () => [await connectWaiting(), await connectWaiting()]);
  });

  it('refuses a grant no replica acknowledged (its replica stopped), gives it back, and grants again once the replica answers', async () => {
    const c = await connectWaiting();
    const name = 'needs-a-replica';
    const master = await cluster.masterOfSlot(keySlot(`sb:{l:${name}}:lease`));
    const replicaPort = (await cluster.topology()).find((n) => n.masterId === master.id)!.port;
    const replica = cluster.nodes.find((n) => n.port === replicaPort)!.child;
    replica.kill('SIGSTOP');
    try {
      await expect(c.tryAcquireLease(name, 10_000, 'me')).rejects.toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
      await waitFor('the unacknowledged grant to be given back', async () => (await c.leaseInfo(name)) === undefined, 5_000);
    } finally {
      replica.kill('SIGCONT');
    }
    await waitFor('the replica to acknowledge grants again', async () => {
      const r = await c.tryAcquireLease(name, 10_000, 'me').catch(() => undefined);
      return r?.granted === true;
    });
    await c.close();
    await cluster.awaitOk();
  });
});

describe('RedisIndexStore on the cluster', () => {
  indexStoreScenarios(async () => RedisIndexStore.connect({ url: cluster.url, cluster: true }));
  indexStoreSwapScenarios(async () => RedisIndexStore.connect({ url: cluster.url, cluster: true }));
});

describe('the coordination epoch on the cluster (last: it flushes shards)', () => {
  clusterEpochScenarios(() => cluster);
});
