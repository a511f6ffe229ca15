import type { CoordinationLoss } from '../coordinator.js';
import type { EpochRecord, EpochStore } from '../epoch-store.js';
import { MAX_EPOCH, RedisEpoch, epochBase, epochOfToken, type EpochMarker } from './redis-epoch.js';

/** A tick between steps, so concurrent syncs interleave at every await. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Redis's marker key: a value that a "restart" wipes. */
class FakeMarker implements EpochMarker {
  value: number | undefined;
  async get(): Promise<number | undefined> {
    await tick();
    return this.value;
  }
  async setIfMissing(epoch: number): Promise<boolean> {
    await tick();
    if (this.value !== undefined) return false;
    this.value = epoch;
    return true;
  }
}

/** The durable record with compare-and-swap on a version counter. */
class FakeStore implements EpochStore {
  record: EpochRecord | undefined;
  writes = 0;
  private version = 0;
  async read(): Promise<EpochRecord | undefined> {
    await tick();
    return this.record;
  }
  async replace(epoch: number, expected: string | undefined): Promise<boolean> {
    await tick();
    if (this.record?.version !== expected) return false;
    this.writes++;
    this.record = { epoch, version: `v${++this.version}` };
    return true;
  }
}

function tracker(marker: FakeMarker, store: FakeStore): { epoch: RedisEpoch; losses: CoordinationLoss[] } {
  const epoch = new RedisEpoch(marker, store);
  const losses: CoordinationLoss[] = [];
  epoch.onLoss((l) => losses.push(l));
  return { epoch, losses };
}

describe('RedisEpoch', () => {
  it('starts a fresh deployment at epoch 0: creates the record, seeds the marker, reports no loss', async () => {
    const marker = new FakeMarker();
    const store = new FakeStore();
    const { epoch, losses } = tracker(marker, store);
    expect(epoch.current).toBeUndefined();
    await expect(epoch.sync()).resolves.toBe(0);
    expect([epoch.current, marker.value, store.record?.epoch, losses]).toEqual([0, 0, 0, []]);
  });

  it('adopts the marker in Redis without writing storage', async () => {
    const marker = new FakeMarker();
    marker.value = 7;
    const store = new FakeStore();
    const { epoch } = tracker(marker, store);
    await expect(epoch.sync()).resolves.toBe(7);
    expect(store.writes).toBe(0);
  });

  it('detects a lost marker, bumps the durable epoch, re-seeds the marker and reports the loss once', async () => {
    const marker = new FakeMarker();
    const store = new FakeStore();
    const { epoch, losses } = tracker(marker, store);
    await epoch.sync();
    marker.value = undefined; // Redis restarted empty
    await expect(epoch.sync()).resolves.toBe(1);
    expect([marker.value, store.record?.epoch, losses]).toEqual([1, 1, [{ previousEpoch: 0, epoch: 1 }]]);
    await epoch.sync();
    expect(losses).toHaveLength(1);
  });

  it('reports a loss another server noticed first (the marker moved on)', async () => {
    const marker = new FakeMarker();
    const store = new FakeStore();
    const { epoch, losses } = tracker(marker, store);
    await epoch.sync();
    marker.value = 5;
    await expect(epoch.sync()).resolves.toBe(5);
    expect(losses).toEqual([{ previousEpoch: 0, epoch: 5 }]);
  });

  it('three servers detecting one loss at once agree on one epoch above every earlier one', async () => {
    const marker = new FakeMarker();
    const store = new FakeStore();
    const servers = [tracker(marker, store), tracker(marker, store), tracker(marker, store)];
    await Promise.all(servers.map((s) => s.epoch.sync()));
    expect(servers.map((s) => s.epoch.current)).toEqual([0, 0, 0]);
    for (let loss = 1; loss <= 5; loss++) {
      const before = servers[0]!.epoch.current!;
      marker.value = undefined;
      const after = await Promise.all(servers.map((s) => s.epoch.sync()));
      expect(new Set(after).size).toBe(1);
      expect(after[0]).toBeGreaterThan(before);
      expect(store.record!.epoch).toBeGreaterThanOrEqual(after[0]!);
      for (const s of servers) expect(s.losses.at(-1)).toEqual({ previousEpoch: before, epoch: after[0] });
    }
  });

  it('never moves backwards when storage lost its record (bumps above the epoch it knew)', async () => {
    const marker = new FakeMarker();
    const store = new FakeStore();
    const { epoch } = tracker(marker, store);
    marker.value = 3;
    await epoch.sync();
    marker.value = undefined;
    await expect(epoch.sync()).resolves.toBe(4);
  });

  it('shares one check between concurrent callers', async () => {
    const marker = new FakeMarker();
    const store = new FakeStore();
    const { epoch } = tracker(marker, store);
    const [a, b] = [epoch.sync(), epoch.sync()];
    expect(a).toBe(b);
    await a;
    expect(store.writes).toBe(1);
  });

  it('refuses an epoch beyond MAX_EPOCH (tokens would lose exactness)', async () => {
    const marker = new FakeMarker();
    const store = new FakeStore();
    store.record = { epoch: MAX_EPOCH, version: 'v0' };
    const { epoch } = tracker(marker, store);
    await expect(epoch.sync()).rejects.toMatchObject({ kind: 'internal' });
  });

  it('gives up as unavailable when the marker never settles', async () => {
    const marker = new FakeMarker();
    marker.setIfMissing = async () => false; // something keeps wiping it
    const { epoch } = tracker(marker, new FakeStore());
    await expect(epoch.sync()).rejects.toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
  });
});

describe('epoch bits of fencing tokens', () => {
  it('puts the epoch above 32 counter bits and keeps every token of MAX_EPOCH below 2^53', () => {
    expect(epochBase(0)).toBe(0n);
    expect(epochBase(1) + 1n).toBe(4294967297n);
    expect(epochOfToken(epochBase(9) + 12n)).toBe(9);
    expect(epochOfToken(5n)).toBe(0);
    expect(epochBase(MAX_EPOCH) + 0xffffffffn).toBeLessThan(2n ** 53n);
  });
});
