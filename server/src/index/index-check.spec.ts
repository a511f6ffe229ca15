import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import { documentKey } from '../format/bucket-layout.js';
import { DbError } from '../errors/db-error.js';
import type { JsonObject } from '../model/json.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { indexValues } from './extract-values.js';
import { checkIndexes, type CheckProgress, type IndexCheckInput } from './index-check.js';
import { LocalIndexStore } from './local/local-index-store.js';

const C = 'users';

/** A document in storage (with its seq) and, unless `index` is false, its entries applied. */
async function put(indexes: LocalIndexStore, blobs: MemoryBlobStore, id: string, data: JsonObject, index = true): Promise<number> {
  const seq = await indexes.nextSeq(C);
  const body = encodeEnvelope({ meta: { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() }, data });
  const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { smarterbase: Record<string, unknown> };
  parsed.smarterbase.seq = seq;
  await blobs.put(documentKey(C, id), Buffer.from(JSON.stringify(parsed), 'utf8'));
  if (index) await applyAs(indexes, id, seq, data);
  return seq;
}

/** Applies `data`'s values for `id` (whatever storage holds): a way to corrupt the index on purpose. */
async function applyAs(indexes: LocalIndexStore, id: string, seq: number, data: JsonObject): Promise<void> {
  const catalog = await indexes.catalog(C);
  expect(await indexes.apply(C, id, seq, indexValues(catalog, data), catalog.version)).toBe('applied');
}

async function run(input: Omit<IndexCheckInput, 'collection'>): Promise<CheckProgress[]> {
  const out: CheckProgress[] = [];
  for await (const p of checkIndexes({ ...input, collection: C, pageSize: 2 })) out.push(p);
  return out;
}

describe('checkIndexes', () => {
  let indexes: LocalIndexStore;
  let blobs: MemoryBlobStore;

  beforeEach(async () => {
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
    await put(indexes, blobs, 'a', { status: 'on', email: 'a@x', age: 30 });
    await put(indexes, blobs, 'b', { status: 'off', email: 'b@x', age: 'old' });
    await put(indexes, blobs, 'c', { status: 'on' });
  });

  it('reports zero on a consistent collection, with progress and a final summary', async () => {
    const out = await run({ indexes, store: blobs, repair: false });
    const last = out[out.length - 1] as CheckProgress;
    expect(out.filter((p) => p.done)).toHaveLength(1);
    expect(last).toEqual({
      documentsScanned: 3,
      entriesChecked: 7,
      missing: 0,
      stale: 0,
      repaired: 0,
      skipped: 0,
      done: true,
      samples: [],
    });
    expect(out.length).toBeGreaterThan(2);
  });

  it('finds exactly the injected faults, both ways, and changes nothing without repair', async () => {
    const seqB = (await indexes.heldEntries(C, [{ id: 'b', values: {} }]))[0]?.recordSeq as number;
    await applyAs(indexes, 'b', seqB + 1, { status: 'gone', email: 'b@x', age: 'old' }); // missing off, stale gone
    await applyAs(indexes, 'ghost', 1, { status: 'on', email: 'g@x', age: 5 }); // three stale entries
    await put(indexes, blobs, 'd', { status: 'new', age: 1 }, false); // never applied: two missing
    for (let pass = 0; pass < 2; pass++) {
      const last = (await run({ indexes, store: blobs, repair: false })).pop() as CheckProgress;
      expect(last).toMatchObject({ documentsScanned: 4, missing: 3, stale: 4, repaired: 0 });
      expect([...last.samples].sort()).toEqual(
        [
          'missing by_status ["off"] b',
          'missing by_status ["new"] d',
          'missing by_age n:1 d',
          'stale by_status ["gone"] b',
          'stale by_status ["on"] ghost',
          'stale by_email ["g@x"] ghost',
          'stale by_age n:5 ghost',
        ].sort(),
      );
    }
  });

  it('repairs what it finds, after which a check reports zero and queries answer right', async () => {
    await applyAs(indexes, 'ghost', 1, { status: 'on', email: 'g@x', age: 5 });
    await put(indexes, blobs, 'd', { status: 'new', age: 1 }, false);
    const fixed = (await run({ indexes, store: blobs, repair: true })).pop() as CheckProgress;
    expect(fixed).toMatchObject({ missing: 2, stale: 3, repaired: 2, skipped: 0 });
    const again = (await run({ indexes, store: blobs, repair: false })).pop() as CheckProgress;
    expect(again).toMatchObject({ documentsScanned: 4, missing: 0, stale: 0 });
    expect(await indexes.ids(C, { op: 'eq', index: 'by_status', values: ['on'] })).toEqual(['a', 'c']);
    expect(await indexes.ids(C, { op: 'eq', index: 'by_status', values: ['new'] })).toEqual(['d']);
    expect(await indexes.ids(C, { op: 'eq', index: 'by_email', values: ['g@x'] })).toEqual([]);
  });

  it('checks one index when asked, and refuses an unknown one', async () => {
    await applyAs(indexes, 'ghost', 1, { status: 'on', email: 'g@x', age: 5 });
    const last = (await run({ indexes, store: blobs, repair: false, index: 'by_age' })).pop() as CheckProgress;
    expect(last).toMatchObject({ stale: 1, entriesChecked: 3, samples: ['stale by_age n:5 ghost'] });
    const e = await run({ indexes, store: blobs, repair: false, index: 'nope' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DbError);
    expect((e as DbError).reason).toBe('INDEX_NOT_FOUND');
  });

  it('skips indexes that are not READY', async () => {
    await indexes.createIndex({ collection: C, name: 'by_x', kind: 'equality', fields: ['x'] }, new Date(0));
    await put(indexes, blobs, 'x', { x: 1 }, false);
    const last = (await run({ indexes, store: blobs, repair: false, index: 'by_x' })).pop() as CheckProgress;
    expect(last).toMatchObject({ documentsScanned: 0, missing: 0 });
  });

  it('stops when its signal aborts', async () => {
    const controller = new AbortController();
    const seen: CheckProgress[] = [];
    const e = await (async () => {
      for await (const p of checkIndexes({ indexes, store: blobs, collection: C, repair: false, pageSize: 1, signal: controller.signal })) {
        seen.push(p);
        controller.abort();
      }
    })().catch((x: unknown) => x);
    expect(e).toBeDefined();
    expect(seen).toHaveLength(1);
  });
});
