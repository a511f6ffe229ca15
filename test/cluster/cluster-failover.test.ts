/**
 * Issue 10, "Redis Cluster": one master of a real 3-master cluster is
 * SIGKILLed while two coordinators take and release leases and an index
 * store applies entries; its replica takes over. What must hold:
 * - per lock name, fencing tokens strictly increase across the failover;
 * - every server notices the failover by itself and starts a new epoch, so
 *   every later grant outranks every earlier token;
 * - a holder from before the failover keeps a valid token only while its
 *   lease survived; if the failover lost it, a new grant outranks it and its
 *   token is refused;
 * - an index entry the failover lost (a lagging replica) is restored by
 *   applying the document again (the repair path), with a fresh seq.
 */
import type { CoordinationLoss } from '../../server/src/coordination/coordinator.js';
import { keySlot } from '../../server/src/coordination/redis/cluster-slots.js';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { isDbError } from '../../server/src/errors/db-error.js';
import { indexValues } from '../../server/src/index/extract-values.js';
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import { DurableEpochStore } from '../../server/src/locks/durable-epoch-store.js';
import { FenceChecker } from '../../server/src/locks/fence-checker.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { startRedisCluster, type RedisTestCluster } from '../harness/redis-cluster.js';
import { waitFor } from '../harness/redis-process.js';

jest.setTimeout(90_000);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let cluster: RedisTestCluster;
const servers: { c: RedisCoordinator; losses: CoordinationLoss[] }[] = [];
let indexes: RedisIndexStore;

beforeAll(async () => {
  cluster = await startRedisCluster();
  const bucket = new MemoryBlobStore();
  for (let i = 0; i < 2; i++) {
    const c = await RedisCoordinator.connect({ url: cluster.url, cluster: true, commandTimeoutMs: 1000 });
    const losses: CoordinationLoss[] = [];
    c.onLoss((l) => losses.push(l));
    // Setup, not the property under test: a fresh cluster under CI load may time out a first command (1 s).
    for (let attempt = 1; ; attempt++) {
      try {
        await c.trackEpoch({ store: new DurableEpochStore(bucket), checkIntervalMs: 200 });
        break;
      } catch (e) {
        if (attempt >= 5) throw e;
        await sleep(500);
      }
    }
    servers.push({ c, losses });
  }
  indexes = await RedisIndexStore.connect({ url: cluster.url, cluster: true, commandTimeoutMs: 1000 });
});

afterAll(async () => {
  for (const s of servers) await s.c.close();
  await indexes?.close();
  await cluster?.stop();
});

/** `fn` retried while it fails unavailable (a master is down until its replica takes over). */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!isDbError(e) || e.kind !== 'unavailable' || i > 400) throw e;
      await sleep(25);
    }
  }
}

it('a master failover under load loses no fencing guarantee and no index entry the repair path cannot restore', async () => {
  const [a, b] = [servers[0]!.c, servers[1]!.c];
  const held = 'held-across-failover';
  const victim = (await cluster.masterOfSlot(keySlot(`sb:{l:${held}}:lease`))).port;
  const first = await a.tryAcquireLease(held, 60_000, 'old-holder');
  if (!first.granted) throw new Error('not granted');
  const epochBefore = a.currentEpoch!;

  // Index: one collection (one slot, on the master to be killed) with an equality index.
  let collection = '';
  for (let i = 0; collection === ''; i++) {
    if ((await cluster.masterOfSlot(keySlot(`sb:{ix:failover-${i}}:cat`))).port === victim) collection = `failover-${i}`;
  }
  const def = { collection, name: 'by_k', kind: 'equality' as const, fields: ['k'] };
  await indexes.createIndex(def, new Date(0));
  await indexes.setIndexState(collection, 'by_k', { state: 'ready' });
  const catalog = await indexes.catalog(collection);
  const values = indexValues(catalog, { k: 'v' });
  const applyDoc = async (id: string): Promise<void> => {
    const seq = await indexes.nextSeq(collection);
    expect(await indexes.apply(collection, id, seq, values, catalog.version)).toBe('applied');
  };

  let stop = false;
  const tokens = new Map<string, bigint[]>();
  const lockWorker = async (w: number): Promise<void> => {
    const name = `load-${w}`;
    const seen: bigint[] = [];
    tokens.set(name, seen);
    for (let i = 0; !stop; i++) {
      const c = servers[i % 2]!.c;
      const r = await retrying(() => c.tryAcquireLease(name, 5_000, `w${w}`)).catch(() => undefined);
      if (r === undefined || !r.granted) continue;
      seen.push(r.lease.fencingToken);
      await retrying(() => c.releaseLease(name, r.lease.leaseId)).catch(() => undefined);
    }
  };
  const acked: string[] = [];
  const indexWorker = async (): Promise<void> => {
    for (let i = 0; !stop; i++) {
      const id = `d${i}`;
      if (
        await retrying(() => applyDoc(id)).then(
          () => true,
          () => false,
        )
      )
        acked.push(id);
    }
  };
  const load = [...Array.from({ length: 6 }, (_, w) => lockWorker(w)), indexWorker()];

  await sleep(1000);
  const promoted = await cluster.killMasterAndAwaitFailover(victim);
  expect(promoted).not.toBe(victim);
  await waitFor('both servers to notice the failover', () => servers.every((s) => s.losses.length > 0), 20_000);
  await sleep(1000);
  stop = true;
  await Promise.all(load);

  // Tokens strictly increase per name, across the failover; grants after it are in a newer epoch.
  for (const [name, seen] of tokens) {
    expect(seen.length).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) if (seen[i]! <= seen[i - 1]!) throw new Error(`${name}: token ${seen[i]} after ${seen[i - 1]}`);
  }
  for (const s of servers) expect(s.c.currentEpoch).toBeGreaterThan(epochBefore);
  const after = await retrying(() => b.tryAcquireLease('after-failover', 5_000, 'new'));
  expect(after.granted && after.lease.fencingToken > BigInt(epochBefore + 1) << 32n).toBe(true);

  // The pre-failover holder: still valid only if its lease survived; if lost, a new grant outranks it and it is refused.
  const fences = new FenceChecker(b);
  const retry = await retrying(() => b.tryAcquireLease(held, 5_000, 'new-holder'));
  if (retry.granted) {
    expect(retry.lease.fencingToken).toBeGreaterThan(first.lease.fencingToken);
    await expect(fences.check({ name: held, fencingToken: first.lease.fencingToken })).rejects.toMatchObject({ reason: 'LOCK_NOT_HELD' });
  } else {
    expect(await retrying(() => b.latestFence(held))).toBe(first.lease.fencingToken);
    expect(retry.holder).toBe('old-holder');
  }

  // Index entries: whatever the failover lost comes back by applying the document again.
  const present = new Set(await retrying(() => indexes.ids(collection, { op: 'eq', index: 'by_k', values: ['v'] })));
  const missing = acked.filter((id) => !present.has(id));
  for (const id of missing) await retrying(() => applyDoc(id));
  const repaired = new Set(await retrying(() => indexes.ids(collection, { op: 'eq', index: 'by_k', values: ['v'] })));
  expect(acked.filter((id) => !repaired.has(id))).toEqual([]);
  expect(acked.length).toBeGreaterThan(10);
  console.log(
    `failover: ${acked.length} index writes acknowledged, ${missing.length} lost and re-applied; epochs ${epochBefore} → ${a.currentEpoch}`,
  );
});
