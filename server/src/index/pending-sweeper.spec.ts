import { ManualClock } from '../common/manual-clock.js';
import { documentKey } from '../format/bucket-layout.js';
import { encodeEnvelope } from '../format/envelope.js';
import type { JsonObject } from '../model/json.js';
import { InMemoryMetrics } from '../observability/in-memory-metrics.js';
import { createMetrics, METRIC_NAMES } from '../observability/metrics.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { indexValues } from './extract-values.js';
import { LocalIndexStore } from './local/local-index-store.js';
import { PendingSweeper, type PendingSweeperOptions } from './pending-sweeper.js';
import { IndexWriteHooks } from './write-hooks.js';

const C = 'users';
const THRESHOLD = 1000;

describe('PendingSweeper', () => {
  let clock: ManualClock;
  let indexes: LocalIndexStore;
  let store: MemoryBlobStore;
  let hooks: IndexWriteHooks;
  const eq = (index: string, value: string | number): Promise<string[]> => indexes.ids(C, { op: 'eq', index, values: [value] });
  const sweeper = (o: Partial<PendingSweeperOptions> = {}): PendingSweeper =>
    new PendingSweeper({ indexes, store, collections: () => [C], thresholdMs: THRESHOLD, intervalMs: 500, clock, ...o });

  /** A write as the engine does it, minus the apply (the writer died after storage accepted it). */
  async function writeWithoutApply(id: string, data: JsonObject | null): Promise<number> {
    const p = await hooks.prepare(C, id, data);
    if (data === null) await store.delete(documentKey(C, id));
    else await store.put(documentKey(C, id), encodeEnvelope({ meta: meta(p.seq), data }));
    return p.seq;
  }

  async function writeFully(id: string, data: JsonObject): Promise<void> {
    const p = await hooks.prepare(C, id, data);
    await store.put(documentKey(C, id), encodeEnvelope({ meta: meta(p.seq), data }));
    await hooks.commit(p);
  }

  function meta(seq: number) {
    return { version: 1, createTime: clock.date(), updateTime: clock.date(), writeId: `w${seq}`, seq };
  }

  beforeEach(async () => {
    clock = new ManualClock();
    indexes = new LocalIndexStore({ clock });
    store = new MemoryBlobStore();
    hooks = new IndexWriteHooks(indexes);
    for (const [name, kind, field] of [
      ['status', 'equality', 'status'],
      ['email', 'unique', 'email'],
      ['n', 'ordered', 'n'],
    ] as const) {
      await indexes.createIndex({ collection: C, name, kind, fields: [field] }, clock.date());
      await indexes.setIndexState(C, name, { state: 'ready' });
    }
  });

  it('applies the stored state of a write whose apply never ran once its record is older than the threshold', async () => {
    await writeFully('a', { status: 'old', email: 'a@old', n: 1 });
    await writeWithoutApply('a', { status: 'new', email: 'a@new', n: 2 });
    await writeWithoutApply('b', { status: 'new', email: 'b@new', n: 3 });
    expect(await eq('status', 'new')).toEqual([]);

    clock.advance(THRESHOLD - 1);
    expect(await sweeper().sweep()).toEqual({ checked: 0, repaired: 0 });
    expect(await eq('status', 'old')).toEqual(['a']);

    clock.advance(1);
    expect(await sweeper().sweep()).toEqual({ checked: 2, repaired: 2 });
    expect(await eq('status', 'new')).toEqual(['a', 'b']);
    expect(await eq('status', 'old')).toEqual([]);
    expect(await eq('email', 'a@new')).toEqual(['a']);
    expect(await eq('email', 'a@old')).toEqual([]);
    expect(await indexes.ids(C, { op: 'range', index: 'n', range: { type: 'number', lower: { value: 2, inclusive: true } } })).toEqual([
      'a',
      'b',
    ]);
    expect(await indexes.pendingWrites(C, 0, 10)).toEqual([]);
  });

  it('removes the entries of a delete that landed without its apply', async () => {
    await writeFully('a', { status: 'on', email: 'a@x', n: 1 });
    await writeWithoutApply('a', null);
    clock.advance(THRESHOLD);
    expect(await sweeper().sweep()).toEqual({ checked: 1, repaired: 1 });
    expect(await eq('status', 'on')).toEqual([]);
    expect(await eq('email', 'a@x')).toEqual([]);
  });

  it('leaves the index as it is for a write that never reached storage, and for a stored state newer than the record', async () => {
    await writeFully('a', { status: 'on', email: 'a@x', n: 1 });
    await hooks.prepare(C, 'a', { status: 'lost' }); // the write failed: storage still holds the first version
    const older = await indexes.nextSeq(C, 'b'); // a record whose write lost to a newer one applied without replacing it
    const newer = await indexes.nextSeq(C);
    await store.put(documentKey(C, 'b'), encodeEnvelope({ meta: meta(newer), data: { status: 'second' } }));
    const catalog = await indexes.catalog(C);
    expect(await indexes.apply(C, 'b', newer, indexValues(catalog, { status: 'second' }), catalog.version)).toBe('applied');
    expect((await indexes.pendingWrites(C, 0, 10)).map((p) => [p.id, p.seq]).sort()).toEqual([
      ['a', expect.any(Number)],
      ['b', older],
    ]);
    clock.advance(THRESHOLD);
    expect(await sweeper().sweep()).toEqual({ checked: 2, repaired: 0 });
    expect(await eq('status', 'on')).toEqual(['a']);
    expect(await eq('status', 'second')).toEqual(['b']);
    expect(await indexes.pendingWrites(C, 0, 10)).toEqual([]);
  });

  it('keeps one record per document, the latest write; its apply clears it', async () => {
    await writeWithoutApply('a', { status: 'first' });
    await writeFully('a', { status: 'second' }); // it read the first version, so its apply covers the document
    expect(await indexes.pendingWrites(C, 0, 10)).toEqual([]);
  });

  it('counts repairs by collection', async () => {
    const metrics = new InMemoryMetrics();
    try {
      await writeWithoutApply('a', { status: 'on' });
      clock.advance(THRESHOLD);
      await sweeper({ repairs: createMetrics(metrics.meter).index.repairs }).sweep();
      expect(await metrics.value(METRIC_NAMES.indexRepairs, { collection: C })).toBe(1);
    } finally {
      await metrics.shutdown();
    }
  });

  it('sweeps every interval once started, until closed', async () => {
    const s = sweeper();
    s.start();
    await writeWithoutApply('a', { status: 'on' });
    clock.advance(THRESHOLD);
    await until(
      async () => (await eq('status', 'on')).length === 1,
      () => clock.advance(500),
    );
    await s.close();
    await writeWithoutApply('b', { status: 'on' });
    clock.advance(10 * THRESHOLD);
    await flush();
    expect(await eq('status', 'on')).toEqual(['a']);
  });
});

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function until(cond: () => Promise<boolean>, step: () => void): Promise<void> {
  for (let i = 0; i < 10; i++) {
    step();
    await flush();
    if (await cond()) return;
  }
  throw new Error('condition never held');
}
