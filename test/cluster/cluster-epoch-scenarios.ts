/**
 * Issue 10, "Redis Cluster" + "Fencing survives": the coordination epoch on
 * a real 3-master cluster. The marker is per slot (cluster-epoch-marker.ts),
 * so a grant checks it atomically in the lock's own slot. One shard losing
 * its data (FLUSHALL on a master replicates to its replica: the same state as
 * a failover to an empty replica) is a loss: a stale server's grant on that
 * shard refuses until it moved to the next epoch, the new token outranks
 * every earlier one, a watcher notices by itself, and the pre-loss token is
 * refused by the fence check. Registered last in a file's cluster: it flushes shards.
 */
import Redis from 'ioredis';
import type { CoordinationLoss } from '../../server/src/coordination/coordinator.js';
import { keySlot } from '../../server/src/coordination/redis/cluster-slots.js';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { DurableEpochStore } from '../../server/src/locks/durable-epoch-store.js';
import { FenceChecker } from '../../server/src/locks/fence-checker.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import type { RedisTestCluster } from '../harness/redis-cluster.js';
import { waitFor } from '../harness/redis-process.js';

/** Registers the epoch scenarios in the current describe block; `get` returns the running cluster. */
export function clusterEpochScenarios(get: () => RedisTestCluster): void {
  const open: RedisCoordinator[] = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
  });
  const cluster = {
    get url(): string {
      return get().url;
    },
    topology: () => get().topology(),
    masterOfSlot: (slot: number) => get().masterOfSlot(slot),
  };

  /** A server's coordinator tracking the epoch in `bucket`, and the losses it reports. */
  async function server(bucket: MemoryBlobStore, checkIntervalMs: number): Promise<{ c: RedisCoordinator; losses: CoordinationLoss[] }> {
    const c = await RedisCoordinator.connect({ url: cluster.url, cluster: true, commandTimeoutMs: 1000 });
    open.push(c);
    const losses: CoordinationLoss[] = [];
    c.onLoss((l) => losses.push(l));
    await c.trackEpoch({ store: new DurableEpochStore(bucket), checkIntervalMs });
    return { c, losses };
  }

  async function grant(c: RedisCoordinator, name: string): Promise<{ leaseId: string; fencingToken: bigint }> {
    const r = await c.tryAcquireLease(name, 30_000, 'h');
    if (!r.granted) throw new Error(`${name} not granted`);
    return r.lease;
  }

  /** A lock name whose keys live on the master on `port` (or, with `other`, on any other master). */
  async function nameOn(port: number, other = false): Promise<string> {
    for (let i = 0; ; i++) {
      const name = `job-${port}-${i}`;
      const master = (await cluster.masterOfSlot(keySlot(`sb:{l:${name}}:lease`))).port;
      if ((master === port) !== other) return name;
    }
  }

  it('seeds a marker in every slot at epoch 0, and grants plain counter tokens', async () => {
    const { c } = await server(new MemoryBlobStore(), 60_000);
    expect(c.currentEpoch).toBe(0);
    expect((await grant(c, 'first')).fencingToken).toBe(1n);
    const masters = (await cluster.topology()).filter((n) => n.role === 'master');
    let markers = 0;
    for (const m of masters) {
      const raw = new Redis(m.port, '127.0.0.1');
      try {
        markers += (await raw.keys('sb:{ep:*}')).length;
        expect(await raw.keys('sb:epoch')).toEqual([]); // the one-server marker is not used
      } finally {
        raw.disconnect();
      }
    }
    expect(markers).toBe(16384);
  });

  it('a shard losing its data is a loss: the stale grant there refuses until the next epoch, whose tokens outrank every earlier one', async () => {
    const bucket = new MemoryBlobStore();
    const stale = await server(bucket, 600_000); // checks only when a grant finds its marker gone
    const victim = (await cluster.topology()).find((n) => n.role === 'master')!.port;
    const [lost, kept] = [await nameOn(victim), await nameOn(victim, true)];
    const before = await grant(stale.c, lost);
    const keptLease = await grant(stale.c, kept);
    const epoch = stale.c.currentEpoch!;

    const raw = new Redis(victim, '127.0.0.1');
    await raw.flushall(); // the shard's master and (replicated) its replica lose everything
    raw.disconnect();

    const after = await grant(stale.c, lost);
    expect(after.fencingToken).toBeGreaterThan(before.fencingToken);
    expect(after.fencingToken).toBe((BigInt(epoch + 1) << 32n) + 1n);
    expect(stale.c.currentEpoch).toBe(epoch + 1);
    expect(stale.losses).toEqual([{ previousEpoch: epoch, epoch: epoch + 1 }]);
    await expect(new FenceChecker(stale.c).check({ name: lost, fencingToken: before.fencingToken })).rejects.toMatchObject({
      reason: 'LOCK_NOT_HELD',
    });
    // The intact shard's lease is still there; its next grant outranks it too.
    await stale.c.releaseLease(kept, keptLease.leaseId);
    expect((await grant(stale.c, kept)).fencingToken).toBeGreaterThan(keptLease.fencingToken);
  });

  it('a watcher notices a shard loss by itself (one probe per master), and a stale server adopts the new epoch at its next grant', async () => {
    const bucket = new MemoryBlobStore();
    const watcher = await server(bucket, 100);
    const stale = await server(bucket, 600_000);
    const epoch = watcher.c.currentEpoch!;
    const masters = (await cluster.topology()).filter((n) => n.role === 'master');
    const victim = masters[masters.length - 1]!.port;
    const name = await nameOn(victim, true); // on an intact shard: the stale server learns through the raised marker
    const before = await grant(stale.c, name);
    await stale.c.releaseLease(name, before.leaseId);

    const raw = new Redis(victim, '127.0.0.1');
    await raw.flushall();
    raw.disconnect();
    await waitFor('the watcher to detect the loss', () => watcher.losses.length === 1, 10_000);
    expect(watcher.losses).toEqual([{ previousEpoch: epoch, epoch: epoch + 1 }]);
    const probe = new Redis(victim, '127.0.0.1');
    expect((await probe.keys('sb:{ep:*}')).length).toBeGreaterThan(5000); // re-seeded
    probe.disconnect();

    expect(stale.c.currentEpoch).toBe(epoch);
    const after = await grant(stale.c, name);
    expect(after.fencingToken).toBe((BigInt(epoch + 1) << 32n) + 1n);
    expect(stale.c.currentEpoch).toBe(epoch + 1);
  });
}
