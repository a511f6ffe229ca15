import { LocalIndexStore } from './local/local-index-store.js';
import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import type { CallContext } from '../api/call-context.js';
import { DbError } from '../errors/db-error.js';
import type { IndexDefinition, IndexState } from '../model/index-def.js';
import type { JsonObject } from '../model/json.js';
import type { BlobStore } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { IndexAdmin } from './index-admin.js';
import type { IndexStore } from './index-store.js';
import { documentKey } from '../format/bucket-layout.js';
import { ManualClock } from '../common/manual-clock.js';

const ctx: CallContext = { signal: new AbortController().signal };

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

/** Writes a stored document (envelope with an optional seq, as the engine writes it). */
async function putDoc(store: BlobStore, collection: string, id: string, data: JsonObject, seq?: number): Promise<void> {
  const body = encodeEnvelope({ meta: { version: 1, createTime: new Date(), updateTime: new Date(), writeId: newWriteId() }, data });
  let bytes = body;
  if (seq !== undefined) {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { smarterbase: Record<string, unknown> };
    parsed.smarterbase.seq = seq;
    bytes = Buffer.from(JSON.stringify(parsed), 'utf8');
  }
  await store.put(documentKey(collection, id), bytes);
}

/** Records every setIndexState the build makes. */
function recording(indexes: IndexStore, log: { state?: IndexState; documentsScanned?: number }[]): IndexStore {
  return Object.assign(Object.create(indexes) as IndexStore, {
    setIndexState: async (c: string, n: string, u: { state?: IndexState; documentsScanned?: number; error?: string }) => {
      log.push({ ...u });
      return indexes.setIndexState(c, n, u);
    },
  });
}

describe('IndexAdmin', () => {
  let indexes: LocalIndexStore;
  let blobs: MemoryBlobStore;
  let admin: IndexAdmin;
  const def = (name: string, kind: IndexDefinition['kind'], ...fields: string[]): IndexDefinition => ({
    collection: 'users',
    name,
    kind,
    fields,
  });

  beforeEach(() => {
    indexes = new LocalIndexStore();
    blobs = new MemoryBlobStore();
    admin = new IndexAdmin({ indexes, store: blobs, clock: new ManualClock({ startMs: 5000 }) });
  });
  afterEach(async () => {
    await admin.close();
  });

  it('lists the collections with index definitions (what the pending sweeper sweeps)', async () => {
    expect(admin.collectionsWithIndexes()).toEqual([]);
    await admin.createIndex(ctx, def('by_age', 'ordered', 'age'));
    expect(admin.collectionsWithIndexes()).toEqual(['users']);
    await admin.dropIndex(ctx, 'users', 'by_age');
    expect(admin.collectionsWithIndexes()).toEqual([]);
  });

  it('makes an index on an empty collection READY at once', async () => {
    const info = await admin.createIndex(ctx, def('by_age', 'ordered', 'age'));
    expect(info).toMatchObject({ name: 'by_age', state: 'ready', documentsScanned: 0, createTime: new Date(5000) });
    expect(await admin.getIndex(ctx, 'users', 'by_age')).toMatchObject({ state: 'ready' });
  });

  it('builds an index over existing documents in the background, with progress, then READY', async () => {
    for (let i = 0; i < 45; i++) await putDoc(blobs, 'users', `u${String(i).padStart(2, '0')}`, { age: i % 5, name: `n${i}` });
    await putDoc(blobs, 'other', 'x', { age: 1 });
    const progress: { state?: IndexState; documentsScanned?: number }[] = [];
    admin = new IndexAdmin({ indexes: recording(indexes, progress), store: blobs, build: { pageSize: 10, concurrency: 4 } });
    const info = await admin.createIndex(ctx, def('by_age', 'equality', 'age'));
    expect(info.state).toBe('building');
    await admin.whenIdle();
    expect(progress.map((p) => p.documentsScanned)).toEqual([10, 20, 30, 40, 45, 45]);
    expect(progress.at(-1)?.state).toBe('ready');
    expect(await admin.getIndex(ctx, 'users', 'by_age')).toMatchObject({ state: 'ready', documentsScanned: 45 });
    expect(await indexes.ids('users', { op: 'eq', index: 'by_age', values: [3] })).toEqual([
      'u03',
      'u08',
      'u13',
      'u18',
      'u23',
      'u28',
      'u33',
      'u38',
      'u43',
    ]);
    expect(await indexes.count('users', { op: 'all' })).toBe(45);
  });

  it('does not undo a newer write: the build applies each document with its stored seq', async () => {
    await putDoc(blobs, 'users', 'a', { age: 1 }, 7);
    await admin.createIndex(ctx, def('by_name', 'equality', 'name'));
    await admin.whenIdle();
    const catalog = await indexes.catalog('users');
    // a write with seq 8 (newer than the stored one the build will read) was applied already
    await indexes.apply('users', 'a', 8, { by_name: ['["new"]'] }, catalog.version);
    await admin.createIndex(ctx, def('by_age', 'equality', 'age'));
    await admin.whenIdle();
    expect(await indexes.ids('users', { op: 'eq', index: 'by_name', values: ['new'] })).toEqual(['a']);
    expect(await indexes.ids('users', { op: 'eq', index: 'by_age', values: [1] })).toEqual([]);
  });

  it('fails the build of a unique index over duplicate values, naming them', async () => {
    await putDoc(blobs, 'users', 'a', { email: 'same' });
    await putDoc(blobs, 'users', 'b', { email: 'same' });
    await admin.createIndex(ctx, def('by_email', 'unique', 'email'));
    await admin.whenIdle();
    const info = await admin.getIndex(ctx, 'users', 'by_email');
    expect(info.state).toBe('failed');
    expect(info.error).toMatch(/by_email.*"a".*"b".*same value/);
  });

  it('returns the existing index for the same definition and rejects another one', async () => {
    const first = await admin.createIndex(ctx, def('by_age', 'ordered', 'age'));
    expect(await admin.createIndex(ctx, def('by_age', 'ordered', 'age'))).toEqual(first);
    expect((await errorOf(admin.createIndex(ctx, def('by_age', 'equality', 'age')))).reason).toBe('INDEX_ALREADY_EXISTS');
    expect((await admin.listIndexes(ctx, 'users')).map((i) => i.name)).toEqual(['by_age']);
  });

  it('drops indexes; unknown ones are INDEX_NOT_FOUND', async () => {
    await admin.createIndex(ctx, def('b', 'equality', 'x'));
    await admin.createIndex(ctx, def('a', 'equality', 'y'));
    expect((await admin.listIndexes(ctx, 'users')).map((i) => i.name)).toEqual(['a', 'b']);
    await admin.dropIndex(ctx, 'users', 'b');
    expect((await admin.listIndexes(ctx, 'users')).map((i) => i.name)).toEqual(['a']);
    expect((await errorOf(admin.dropIndex(ctx, 'users', 'b'))).reason).toBe('INDEX_NOT_FOUND');
    expect((await errorOf(admin.getIndex(ctx, 'users', 'b'))).reason).toBe('INDEX_NOT_FOUND');
  });

  it('stops a build when its index is dropped', async () => {
    for (let i = 0; i < 30; i++) await putDoc(blobs, 'users', `u${i}`, { age: i });
    let gets = 0;
    const counting = Object.assign(Object.create(blobs) as BlobStore, {
      get: (key: string, signal?: AbortSignal) => {
        if (key.startsWith('docs/')) gets++; // document reads of the build, not the durable catalog's
        return blobs.get(key, signal);
      },
    });
    admin = new IndexAdmin({ indexes, store: counting, build: { pageSize: 1, concurrency: 1 } });
    await admin.createIndex(ctx, def('by_age', 'ordered', 'age'));
    await admin.dropIndex(ctx, 'users', 'by_age');
    await admin.whenIdle();
    expect(gets).toBeLessThan(3);
    expect(await admin.listIndexes(ctx, 'users')).toEqual([]);
  });

  it.each<[string, IndexDefinition, string]>([
    ['a bad name', { collection: 'users', name: 'Bad-Name', fields: ['x'], kind: 'equality' }, 'index.name'],
    ['a bad collection', { collection: 'no/slash', name: 'ok', fields: ['x'], kind: 'equality' }, 'index.collection'],
    ['no fields', { collection: 'users', name: 'ok', fields: [], kind: 'equality' }, 'index.fields'],
    ['two fields on an ordered index', { collection: 'users', name: 'ok', fields: ['a', 'b'], kind: 'ordered' }, 'index.fields'],
    ['five fields', { collection: 'users', name: 'ok', fields: ['a', 'b', 'c', 'd', 'e'], kind: 'unique' }, 'index.fields'],
    ['an empty path segment', { collection: 'users', name: 'ok', fields: ['a..b'], kind: 'equality' }, 'index.fields[0]'],
    ['a repeated field', { collection: 'users', name: 'ok', fields: ['a', 'a'], kind: 'equality' }, 'index.fields[1]'],
    ['an unknown kind', { collection: 'users', name: 'ok', fields: ['a'], kind: 'fulltext' as 'equality' }, 'index.kind'],
  ])('rejects %s, naming the field', async (_, bad, field) => {
    const e = await errorOf(admin.createIndex(ctx, bad));
    expect(e.kind).toBe('invalid');
    expect(e.field).toBe(field);
    expect(await indexes.catalog(bad.collection).catch(() => ({ indexes: [] }))).toMatchObject({ indexes: [] });
  });
});
