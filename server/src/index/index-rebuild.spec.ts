import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import { documentKey } from '../format/bucket-layout.js';
import { DbError } from '../errors/db-error.js';
import type { RebuildIndexesProgress } from '../api/query-api.js';
import { systemClock } from '../common/clock.js';
import { shadowIndexName, visibleIndexes } from '../model/index-def.js';
import type { JsonObject } from '../model/json.js';
import type { ListOptions, ListPage } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { checkIndexes } from './index-check.js';
import { indexValues } from './extract-values.js';
import { rebuildIndexes, type IndexRebuildInput } from './index-rebuild.js';
import { LocalIndexStore } from './local/local-index-store.js';
import { IndexWriteHooks } from './write-hooks.js';

const C = 'users';

/** A blob store whose second listing page waits for open(): the rebuild is paused mid-way there. */
class GatedStore extends MemoryBlobStore {
  private lists = 0;
  private release?: () => void;
  private readonly gate = new Promise<void>((r) => (this.release = r));
  /** Resolves when the rebuild waits at the gate. */
  readonly reached: Promise<void>;
  private arrive?: () => void;
  constructor() {
    super();
    this.reached = new Promise<void>((r) => (this.arrive = r));
  }
  override async list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    if (options.startAfter !== undefined && ++this.lists === 1) {
      this.arrive?.();
      await this.gate;
    }
    return super.list(options, signal);
  }
  open(): void {
    this.release?.();
  }
}

async function errorOf(p: Promise<unknown>): Promise<DbError | undefined> {
  return p.then(
    () => undefined,
    (x: unknown) => (x instanceof DbError ? x : Promise.reject(x)),
  );
}

describe('rebuildIndexes (online, into a shadow swapped in atomically)', () => {
  let indexes: LocalIndexStore;
  let blobs: GatedStore;
  let hooks: IndexWriteHooks;

  /** A write through the write hooks, as the engine does it: prepare, store with seq, apply. */
  async function put(id: string, data: JsonObject): Promise<void> {
    const p = await hooks.prepare(C, id, data);
    await store(id, data, p.seq);
    await hooks.commit(p);
  }

  /** The document in storage only (its index entries are not applied). */
  async function store(id: string, data: JsonObject, seq?: number): Promise<void> {
    const s = seq ?? (await indexes.nextSeq(C));
    const body = encodeEnvelope({ meta: { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() }, data });
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { smarterbase: Record<string, unknown> };
    parsed.smarterbase.seq = s;
    await blobs.put(documentKey(C, id), Buffer.from(JSON.stringify(parsed), 'utf8'));
  }

  const eq = (index: string, value: string): Promise<string[]> => indexes.ids(C, { op: 'eq', index, values: [value] });

  function start(extra: Partial<IndexRebuildInput> = {}): { all: Promise<RebuildIndexesProgress[]> } {
    const out: RebuildIndexesProgress[] = [];
    const all = (async () => {
      for await (const p of rebuildIndexes({
        indexes,
        store: blobs,
        clock: systemClock,
        collection: C,
        build: { pageSize: 2 },
        ...extra,
      })) {
        out.push(p);
      }
      return out;
    })();
    return { all };
  }

  beforeEach(async () => {
    indexes = new LocalIndexStore();
    blobs = new GatedStore();
    hooks = new IndexWriteHooks(indexes, { expected: { definitionsFor: async () => [], requestReconcile: () => undefined } });
    for (const [name, kind, field] of [
      ['by_status', 'equality', 'status'],
      ['by_email', 'unique', 'email'],
    ] as const) {
      await indexes.createIndex({ collection: C, name, kind, fields: [field] }, new Date(0));
      await indexes.setIndexState(C, name, { state: 'ready' });
    }
    for (let i = 0; i < 6; i++) await put(`d${i}`, { status: i % 2 === 0 ? 'on' : 'off', email: `${i}@x` });
  });

  it('keeps the live index serving meanwhile, takes in writes made during the build, and restores lost entries', async () => {
    // Lose d0's and d2's status entries (a corruption the rebuild must undo); their records stay as they were.
    const cat0 = await indexes.catalog(C);
    for (const [id, email] of [
      ['d0', '0@x'],
      ['d2', '2@x'],
    ]) {
      const held = (await indexes.heldEntries(C, [{ id, values: {} }]))[0];
      const values = indexValues(cat0, { status: 'on', email });
      const repair = { id, expectedRecordSeq: held?.recordSeq as number, seq: held?.recordSeq as number, values, remove: {} };
      expect(await indexes.repairEntries(C, { ...repair, values: { by_email: values.by_email ?? [] } }, cat0.version)).toBe('repaired');
    }
    expect(await eq('by_status', 'on')).toEqual(['d4']);
    const run = start({ index: 'by_status' });
    await blobs.reached;
    // Mid-build: the shadow exists but is hidden from the planner's view, and the live index still answers.
    const cat = await indexes.catalog(C);
    expect(cat.indexes.map((i) => i.name)).toContain(shadowIndexName('by_status'));
    expect(visibleIndexes(cat.indexes).map((i) => [i.name, i.state])).toEqual([
      ['by_email', 'ready'],
      ['by_status', 'ready'],
    ]);
    // (Documents the build has scanned are re-applied to every index, so the live one may already have d0 back.)
    expect(await eq('by_status', 'on')).toContain('d4');
    await put('w1', { status: 'on', email: 'w1@x' });
    await put('d4', { status: 'off', email: '4@x' });
    expect(await eq('by_status', 'on')).toContain('w1');
    expect(await eq('by_status', 'on')).not.toContain('d4');
    expect(await eq('by_status', 'on')).not.toContain('d2');
    blobs.open();
    const out = await run.all;
    const last = out[out.length - 1] as RebuildIndexesProgress;
    expect(out.filter((p) => !p.done).length).toBeGreaterThan(0);
    expect(out.filter((p) => p.done)).toHaveLength(1);
    expect(last.results.map((r) => [r.name, r.outcome])).toEqual([['by_status', 'swapped']]);
    expect(await eq('by_status', 'on')).toEqual(['d0', 'd2', 'w1']);
    expect(await eq('by_status', 'off')).toEqual(['d1', 'd3', 'd4', 'd5']);
    const after = await indexes.catalog(C);
    expect(after.indexes.map((i) => [i.name, i.state])).toEqual([
      ['by_email', 'ready'],
      ['by_status', 'ready'],
    ]);
    let summary;
    for await (const p of checkIndexes({ indexes, store: blobs, collection: C, repair: false })) summary = p;
    expect(summary).toMatchObject({ missing: 0, stale: 0, done: true });
  });

  it('keeps a unique index checked throughout: a duplicate is refused, never INDEX_NOT_READY', async () => {
    const run = start({ index: 'by_email' });
    await blobs.reached;
    const dup = await errorOf(put('z', { email: '1@x' }));
    expect([dup?.reason, dup?.metadata]).toEqual(['UNIQUE_VIOLATION', { collection: C, index: 'by_email', conflictingId: 'd1' }]);
    await expect(put('n1', { email: 'new@x' })).resolves.toBeUndefined();
    blobs.open();
    const last = (await run.all).pop() as RebuildIndexesProgress;
    expect(last.results).toEqual([{ name: 'by_email', outcome: 'swapped', documentsScanned: 7 }]);
    expect((await errorOf(put('z2', { email: 'new@x' })))?.reason).toBe('UNIQUE_VIOLATION');
    expect(await eq('by_email', 'new@x')).toEqual(['n1']);
  });

  it('leaves the live index as it was when the build fails, and says why', async () => {
    await store('dup', { status: 'on', email: '3@x' }); // in storage only: the live index never saw it
    const last = (await (blobs.open(), start({ index: 'by_email' })).all).pop() as RebuildIndexesProgress;
    expect(last.results).toHaveLength(1);
    expect(last.results[0]).toMatchObject({ name: 'by_email', outcome: 'failed' });
    expect(last.results[0]?.error).toMatch(/^unique index by_email: documents "(d3|dup)" and "(d3|dup)" hold the same value$/);
    expect((await indexes.catalog(C)).indexes.map((i) => [i.name, i.state])).toEqual([
      ['by_email', 'ready'],
      ['by_status', 'ready'],
    ]);
    expect(await eq('by_email', '3@x')).toEqual(['d3']);
  });

  it('a cancelled rebuild drops its copy and leaves the live index as it was', async () => {
    const controller = new AbortController();
    const run = start({ index: 'by_status', signal: controller.signal });
    await blobs.reached;
    controller.abort();
    blobs.open();
    const last = (await run.all).pop() as RebuildIndexesProgress;
    expect(last.results).toMatchObject([{ name: 'by_status', outcome: 'aborted', error: 'cancelled' }]);
    expect((await indexes.catalog(C)).indexes.map((i) => i.name)).toEqual(['by_email', 'by_status']);
    expect(await eq('by_status', 'on')).toEqual(['d0', 'd2', 'd4']);
  });

  it('reports an index dropped meanwhile as dropped, skips a BUILDING one, and refuses an unknown name', async () => {
    const run = start({ index: 'by_status' });
    await blobs.reached;
    await indexes.dropIndex(C, shadowIndexName('by_status'));
    await indexes.dropIndex(C, 'by_status');
    blobs.open();
    expect(((await run.all).pop() as RebuildIndexesProgress).results).toMatchObject([{ name: 'by_status', outcome: 'dropped' }]);
    await indexes.createIndex({ collection: C, name: 'by_age', kind: 'ordered', fields: ['age'] }, new Date(0));
    const skipped = (await start({ index: 'by_age' }).all).pop() as RebuildIndexesProgress;
    expect(skipped.results).toMatchObject([{ name: 'by_age', outcome: 'skipped' }]);
    expect((await errorOf(start({ index: 'nope' }).all))?.reason).toBe('INDEX_NOT_FOUND');
    expect((await indexes.catalog(C)).indexes.map((i) => i.name)).toEqual(['by_age', 'by_email']);
  });

  it('swapShadow refuses a shadow that is not READY', async () => {
    await indexes.createIndex({ collection: C, name: shadowIndexName('by_status'), kind: 'equality', fields: ['status'] }, new Date(0));
    expect(await indexes.swapShadow(C, 'by_status', shadowIndexName('by_status'))).toBe(false);
    expect(await indexes.swapShadow(C, 'nope', shadowIndexName('by_status'))).toBe(false);
  });
});
