import type { Cluster } from 'ioredis';
import { ClusterEpochMarker } from './cluster-epoch-marker.js';
import { SLOT_COUNT, slotMarkerKey } from './cluster-slots.js';

/** A fake cluster of three masters: CLUSTER SLOTS, GET and the raise script over one key-value map. */
function fakeCluster(): { cluster: Cluster; kv: Map<string, string>; raises: () => number; ids: string[] } {
  const kv = new Map<string, string>();
  const ids = ['a', 'b', 'c'];
  let raises = 0;
  const fake = {
    call: async () => [
      [0, 5460, ['127.0.0.1', 7000, ids[0]]],
      [5461, 10922, ['127.0.0.1', 7001, ids[1]]],
      [10923, 16383, ['127.0.0.1', 7002, ids[2]]],
    ],
    get: async (k: string) => kv.get(k) ?? null,
    sbEpochRaise: async (k: string, epoch: string) => {
      raises++;
      const m = kv.get(k);
      if (m === undefined || Number(m) < Number(epoch)) kv.set(k, epoch);
      return 1;
    },
  };
  return { cluster: fake as unknown as Cluster, kv, raises: () => raises, ids };
}

const direct = <T>(_op: string, send: () => Promise<T>): Promise<T> => send();

describe('ClusterEpochMarker', () => {
  it('is missing until seeded, then reads the epoch; seeding raises every slot and never lowers one', async () => {
    const { cluster, kv, raises } = fakeCluster();
    const marker = new ClusterEpochMarker(cluster, 'sb:', direct);
    expect(await marker.get()).toBeUndefined();
    await marker.setIfMissing(3);
    expect(raises()).toBe(SLOT_COUNT);
    expect(kv.size).toBe(SLOT_COUNT);
    expect(await marker.get()).toBe(3);
    kv.set(slotMarkerKey('sb:', 7), '9');
    await marker.setIfMissing(4);
    expect(kv.get(slotMarkerKey('sb:', 7))).toBe('9');
    expect(kv.get(slotMarkerKey('sb:', 8))).toBe('4');
  });

  it("sees a master's lost markers through its probe (the first slot it serves)", async () => {
    const { cluster, kv } = fakeCluster();
    const marker = new ClusterEpochMarker(cluster, 'sb:', direct);
    await marker.setIfMissing(1);
    kv.delete(slotMarkerKey('sb:', 5461));
    expect(await marker.get()).toBeUndefined();
  });

  it('reads a marker a grant found missing until it is present again', async () => {
    const { cluster, kv } = fakeCluster();
    const marker = new ClusterEpochMarker(cluster, 'sb:', direct);
    await marker.setIfMissing(1);
    const key = slotMarkerKey('sb:', 42);
    kv.delete(key);
    expect(await marker.get()).toBe(1); // the probes do not cover slot 42
    marker.suspect(key);
    expect(await marker.get()).toBeUndefined();
    await marker.setIfMissing(2);
    expect(await marker.get()).toBe(2);
    kv.delete(key);
    expect(await marker.get()).toBe(2); // no longer suspected
  });

  it('reports a failover (another master serves a probe slot) as a loss, once', async () => {
    const { cluster, ids } = fakeCluster();
    const marker = new ClusterEpochMarker(cluster, 'sb:', direct);
    await marker.setIfMissing(1);
    expect(await marker.get()).toBe(1);
    ids[1] = 'promoted-replica-of-b';
    expect(await marker.get()).toBeUndefined();
    expect(await marker.get()).toBe(1);
  });
});
