/**
 * IndexAdmin with hashed indexes (hashValues, index/value-hash.ts): created
 * only with a key, a definition of its own, built, restored and rebuilt with
 * hashed values, and looked up by eq through the same encoding.
 */
import type { CallContext } from '../api/call-context.js';
import type { RebuildIndexesProgress } from '../api/query-api.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { DocumentEngine } from '../engine/document-engine.js';
import { DbError } from '../errors/db-error.js';
import { documentKey } from '../format/bucket-layout.js';
import type { IndexDefinition } from '../model/index-def.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DurableCatalog } from './durable-catalog.js';
import { IndexAdmin } from './index-admin.js';
import type { IndexStore } from './index-store.js';
import { LocalIndexStore } from './local/local-index-store.js';
import { setIndexHashKey } from './value-hash.js';
import { IndexWriteHooks } from './write-hooks.js';

const ctx: CallContext = { signal: new AbortController().signal };
const C = 'users';
const BY_EMAIL: IndexDefinition = { collection: C, name: 'by_email', fields: ['email'], kind: 'unique', hashValues: true };

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

/** Every value the store holds for the index. */
async function storedValues(indexes: IndexStore, index: string): Promise<string[]> {
  const out = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await indexes.scanEntries(C, index, cursor, 100);
    for (const e of page.entries) out.add(e.value);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return [...out].sort();
}

async function drain(gen: AsyncGenerator<RebuildIndexesProgress, void, undefined>): Promise<RebuildIndexesProgress[]> {
  const out: RebuildIndexesProgress[] = [];
  for await (const p of gen) out.push(p);
  return out;
}

describe('IndexAdmin with hashed index values', () => {
  let store: MemoryBlobStore;
  let indexes: LocalIndexStore;
  let admin: IndexAdmin;
  let engine: DocumentEngine;

  beforeEach(() => {
    setIndexHashKey(Buffer.alloc(32, 1));
    store = new MemoryBlobStore();
    indexes = new LocalIndexStore();
    admin = new IndexAdmin({ indexes, store });
    engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, hooks: new IndexWriteHooks(indexes) });
  });
  afterEach(async () => {
    await admin.close();
    setIndexHashKey(undefined);
  });

  it('without a key, CreateIndex with hashValues is FAILED_PRECONDITION / ENCRYPTION_NOT_CONFIGURED and creates nothing', async () => {
    setIndexHashKey(undefined);
    const e = await errorOf(admin.createIndex(ctx, BY_EMAIL));
    expect(e).toMatchObject({
      kind: 'failed_precondition',
      reason: 'ENCRYPTION_NOT_CONFIGURED',
      metadata: { setting: 'SB_INDEX_HASH_KEY_FILE' },
    });
    expect((await indexes.catalog(C)).indexes).toEqual([]);
    expect(await new DurableCatalog(store).all()).toEqual([]);
  });

  it('an ordered index cannot hash (INVALID_ARGUMENT on index.hashValues)', async () => {
    const e = await errorOf(admin.createIndex(ctx, { collection: C, name: 'by_age', fields: ['age'], kind: 'ordered', hashValues: true }));
    expect(e).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'index.hashValues' });
  });

  it('a definition differing only in hashValues is another definition (INDEX_ALREADY_EXISTS); the same one is idempotent', async () => {
    await admin.createIndex(ctx, BY_EMAIL);
    expect(await admin.createIndex(ctx, BY_EMAIL)).toMatchObject({ name: 'by_email', hashValues: true });
    const e = await errorOf(admin.createIndex(ctx, { ...BY_EMAIL, hashValues: false }));
    expect(e.reason).toBe('INDEX_ALREADY_EXISTS');
  });

  it('writes store hashed values only, eq finds them, and the unique constraint holds', async () => {
    await admin.createIndex(ctx, BY_EMAIL);
    await engine.put(ctx, { collection: C, id: 'a', data: { email: 'ann@example.com' } });
    await engine.put(ctx, { collection: C, id: 'b', data: { email: 'bob@example.com' } });
    const values = await storedValues(indexes, 'by_email');
    expect(values).toHaveLength(2);
    for (const v of values) expect(v).toMatch(/^h:/);
    expect(values.join()).not.toContain('example');
    expect(await indexes.ids(C, { op: 'eq', index: 'by_email', values: ['bob@example.com'] })).toEqual(['b']);
    const dup = await errorOf(engine.put(ctx, { collection: C, id: 'c', data: { email: 'ann@example.com' } }));
    expect(dup.reason).toBe('UNIQUE_VIOLATION');
  });

  it('builds over existing documents, and a restore after the index store was lost rebuilds it hashed', async () => {
    await engine.put(ctx, { collection: C, id: 'a', data: { email: 'ann@example.com' } });
    await admin.createIndex(ctx, BY_EMAIL);
    await admin.whenIdle();
    expect(await indexes.ids(C, { op: 'eq', index: 'by_email', values: ['ann@example.com'] })).toEqual(['a']);
    expect(await new DurableCatalog(store).of(C)).toEqual([BY_EMAIL]);

    const after = new LocalIndexStore();
    const restarted = new IndexAdmin({ indexes: after, store });
    try {
      await restarted.restore(ctx);
      await restarted.whenIdle();
      expect(await restarted.getIndex(ctx, C, 'by_email')).toMatchObject({ state: 'ready', hashValues: true });
      expect(await storedValues(after, 'by_email')).toEqual(await storedValues(indexes, 'by_email'));
      expect(await after.ids(C, { op: 'eq', index: 'by_email', values: ['ann@example.com'] })).toEqual(['a']);
    } finally {
      await restarted.close();
    }
  });

  it('a restore (start-up) without the key refuses the hashed index: FAILED_PRECONDITION', async () => {
    await admin.createIndex(ctx, BY_EMAIL);
    setIndexHashKey(undefined);
    const restarted = new IndexAdmin({ indexes: new LocalIndexStore(), store });
    try {
      expect(await errorOf(restarted.restore(ctx))).toMatchObject({ reason: 'ENCRYPTION_NOT_CONFIGURED', metadata: { index: 'by_email' } });
    } finally {
      await restarted.close();
    }
  });

  it('a server without the key refuses writes to the collection before storing anything, and eq lookups', async () => {
    await admin.createIndex(ctx, BY_EMAIL);
    setIndexHashKey(undefined);
    const e = await errorOf(engine.put(ctx, { collection: C, id: 'a', data: { email: 'ann@example.com' } }));
    expect(e).toMatchObject({ kind: 'failed_precondition', reason: 'ENCRYPTION_NOT_CONFIGURED', metadata: { index: 'by_email' } });
    expect(await store.get(documentKey(C, 'a'))).toBeUndefined();
    expect(await errorOf(indexes.ids(C, { op: 'eq', index: 'by_email', values: ['ann@example.com'] }))).toMatchObject({
      reason: 'ENCRYPTION_NOT_CONFIGURED',
    });
  });

  it('after a key change, RebuildIndexes makes lookups under the new key work again', async () => {
    await admin.createIndex(ctx, BY_EMAIL);
    await engine.put(ctx, { collection: C, id: 'a', data: { email: 'ann@example.com' } });
    const before = await storedValues(indexes, 'by_email');
    setIndexHashKey(Buffer.alloc(32, 2));
    expect(await indexes.ids(C, { op: 'eq', index: 'by_email', values: ['ann@example.com'] })).toEqual([]);
    const out = await drain(admin.rebuildIndexes(ctx, { collection: C }));
    expect(out.at(-1)?.results).toMatchObject([{ name: 'by_email', outcome: 'swapped' }]);
    expect(await indexes.ids(C, { op: 'eq', index: 'by_email', values: ['ann@example.com'] })).toEqual(['a']);
    const now = await storedValues(indexes, 'by_email');
    expect(now).toHaveLength(1);
    expect(now[0]).toMatch(/^h:/);
    expect(now).not.toEqual(before);
  });
});
