import { fixedRandom, ManualClock } from '../common/manual-clock.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { documentKey } from '../format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import type { JsonObject } from '../model/json.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { indexValues } from './extract-values.js';
import { DriftMonitor, type DriftMonitorOptions, type DriftRun } from './index-drift-monitor.js';
import { LocalIndexStore } from './local/local-index-store.js';

const C = 'users';

async function put(indexes: LocalIndexStore, blobs: MemoryBlobStore, id: string, data: JsonObject, index = true): Promise<void> {
  const seq = await indexes.nextSeq(C);
  const body = encodeEnvelope({ meta: { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() }, data });
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { smarterbase: Record<string, unknown> };
  parsed.smarterbase.seq = seq;
  await blobs.put(documentKey(C, id), Buffer.from(JSON.stringify(parsed), 'utf8'));
  if (index) await applyAs(indexes, id, seq, data);
}

async function applyAs(indexes: LocalIndexStore, id: string, seq: number, data: JsonObject): Promise<void> {
  const catalog = await indexes.catalog(C);
  await indexes.apply(C, id, seq, indexValues(catalog, data), catalog.version);
}

describe('DriftMonitor', () => {
  let indexes: LocalIndexStore;
  let blobs: MemoryBlobStore;
  let clock: ManualClock;
  const repaired = new Map<string, number>();
  const monitor = (o: Partial<DriftMonitorOptions> = {}): DriftMonitor =>
    new DriftMonitor({
      indexes,
      store: blobs,
      collections: () => [C],
      clock,
      random: fixedRandom([0.1, 0.7, 0.4, 0.9]),
      intervalMs: 60_000,
      sample: 100,
      repairThreshold: 0,
      repairs: { cell: (key: string) => ({ add: (n = 1) => void repaired.set(key, (repaired.get(key) ?? 0) + n), value: 0 }) },
      ...o,
    });

  beforeEach(async () => {
    repaired.clear();
    clock = new ManualClock();
    indexes = new LocalIndexStore();
    blobs = new MemoryBlobStore();
    for (const [name, kind, field] of [
      ['by_status', 'equality', 'status'],
      ['by_email', 'unique', 'email'],
      ['by_age', 'ordered', 'age'],
    ] as const) {
      await indexes.createIndex({ collection: C, name, kind, fields: [field] }, new Date(0));
      await indexes.setIndexState(C, name, { state: 'ready' });
    }
    for (let i = 0; i < 20; i++)
      await put(indexes, blobs, `u${String(i).padStart(2, '0')}`, { status: i % 2 ? 'on' : 'off', email: `${i}@x`, age: i });
  });

  it('reports zero drift on a consistent collection and repairs nothing', async () => {
    const m = monitor();
    expect(await m.runOnce()).toEqual([{ collection: C, missing: 0, stale: 0, repaired: 0 }]);
    expect(m.lastDrift().get(C)).toEqual({ missing: 0, stale: 0 });
    expect(repaired.size).toBe(0);
  });

  it('finds exactly the injected faults, repairs exactly those documents, then finds none', async () => {
    await applyAs(indexes, 'ghost', 1, { status: 'on', email: 'g@x', age: 99 }); // 3 stale entries
    await put(indexes, blobs, 'new', { status: 'new', age: 5 }, false); // 2 missing entries
    const m = monitor();
    expect(await m.runOnce()).toEqual([{ collection: C, missing: 2, stale: 3, repaired: 2 }]);
    expect(m.lastDrift().get(C)).toEqual({ missing: 2, stale: 3 });
    expect(repaired.get(C)).toBe(2);
    expect(await m.runOnce()).toEqual([{ collection: C, missing: 0, stale: 0, repaired: 0 }]);
    expect(await indexes.ids(C, { op: 'eq', index: 'by_status', values: ['new'] })).toEqual(['new']);
    expect(await indexes.ids(C, { op: 'eq', index: 'by_email', values: ['g@x'] })).toEqual([]);
  });

  it('leaves drift at or below the threshold unrepaired (and exported)', async () => {
    await applyAs(indexes, 'ghost', 1, { status: 'on', email: 'g@x', age: 99 });
    const m = monitor({ repairThreshold: 3 });
    expect(await m.runOnce()).toEqual([{ collection: C, missing: 0, stale: 3, repaired: 0 }]);
    expect(await m.runOnce()).toEqual([{ collection: C, missing: 0, stale: 3, repaired: 0 }]);
  });

  it('samples at most `sample` documents of a larger collection', async () => {
    await put(indexes, blobs, 'new', { status: 'new' }, false);
    const runs = await monitor({ sample: 5, repairThreshold: 1_000 }).runOnce();
    expect((runs?.[0]?.missing ?? 0) <= 1).toBe(true);
  });

  it('continues each collection where its last sample stopped listing', async () => {
    const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
    for (let i = 0; i < 1_500; i++) await blobs.put(documentKey(C, `v${String(i).padStart(4, '0')}`), encodeEnvelope({ meta, data: {} }));
    const read: string[][] = [];
    const get = blobs.get.bind(blobs);
    blobs.get = async (key, signal) => {
      read[read.length - 1]?.push(key);
      return get(key, signal);
    };
    const m = monitor({ sample: 50, repairThreshold: 1_000 });
    for (let run = 0; run < 2; run++) {
      read.push([]);
      await m.runOnce();
    }
    // The first 1,000 keys are u00–u19 and v0000–v0979; the second sample lists the 520 after them.
    const ids = (keys: string[]) => keys.map((k) => k.slice(k.lastIndexOf('/') + 1)).filter((id) => id.startsWith('v'));
    expect(ids(read[0]!).every((id) => id < 'v0980')).toBe(true);
    expect(ids(read[1]!).length).toBeGreaterThan(0);
    expect(ids(read[1]!).every((id) => id >= 'v0980')).toBe(true);
  });

  it('runs on its clock, every interval, until closed', async () => {
    const seen: (readonly DriftRun[] | undefined)[] = [];
    const m = monitor({ onRun: (r) => seen.push(r) });
    m.start();
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 100 && clock.pending() === 0; i++) await new Promise((r) => setImmediate(r));
    };
    await settle();
    expect(seen).toHaveLength(0);
    clock.advance(60_000);
    await new Promise((r) => setImmediate(r));
    await settle();
    expect(seen).toHaveLength(1);
    await m.close();
  });

  it('runs on its clock without an onRun callback too (the gauge reads lastDrift)', async () => {
    await applyAs(indexes, 'ghost', 1, { status: 'on', email: 'g@x', age: 99 });
    const m = monitor({ repairThreshold: 1_000 });
    m.start();
    for (let i = 0; i < 100 && clock.pending() === 0; i++) await new Promise((r) => setImmediate(r));
    clock.advance(60_000);
    for (let i = 0; i < 100 && m.lastDrift().get(C) === undefined; i++) await new Promise((r) => setImmediate(r));
    expect(m.lastDrift().get(C)).toEqual({ missing: 0, stale: 3 });
    await m.close();
  });

  it('runs one at a time across servers: a second monitor skips while the lease is held', async () => {
    const coordinator = new LocalCoordinator({ clock });
    const a = monitor({ coordinator });
    const b = monitor({ coordinator });
    expect(await a.runOnce()).toHaveLength(1);
    expect(await b.runOnce()).toBeUndefined();
    clock.advance(60_000);
    expect(await b.runOnce()).toHaveLength(1);
    await coordinator.close();
  });
});
