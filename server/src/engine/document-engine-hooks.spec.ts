import { isDbError } from '../errors/db-error.js';
import { LocalIndexStore } from '../index/local/local-index-store.js';
import { IndexWriteHooks } from '../index/write-hooks.js';
import { PendingSweeper } from '../index/pending-sweeper.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DocumentEngine } from './document-engine.js';
import { decodeEnvelope } from '../format/envelope.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';

const ctx = { signal: new AbortController().signal };

async function setup() {
  const store = new MemoryBlobStore();
  const indexes = new LocalIndexStore();
  const now = new Date();
  for (const def of [
    { collection: 'users', name: 'by_email', fields: ['email'], kind: 'unique' as const },
    { collection: 'users', name: 'by_city', fields: ['city'], kind: 'equality' as const },
  ]) {
    await indexes.createIndex(def, now);
    await indexes.setIndexState(def.collection, def.name, { state: 'ready' });
  }
  const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, hooks: new IndexWriteHooks(indexes) });
  const byCity = (city: string) => indexes.ids('users', { op: 'eq', index: 'by_city', values: [city] });
  return { store, indexes, engine, byCity };
}

describe('DocumentEngine with index hooks', () => {
  it('every write moves the document in the indexes; a delete removes it', async () => {
    const { engine, byCity } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { email: 'a@x', city: 'Oslo' } });
    await engine.create(ctx, { collection: 'users', id: 'u2', data: { email: 'b@x', city: 'Oslo' } });
    expect(await byCity('Oslo')).toEqual(['u1', 'u2']);
    const u1 = await engine.get(ctx, 'users', 'u1');
    await engine.putIfMatch(ctx, { collection: 'users', id: 'u1', etag: u1.etag, data: { email: 'a@x', city: 'Rome' } });
    expect(await byCity('Oslo')).toEqual(['u2']);
    expect(await byCity('Rome')).toEqual(['u1']);
    await engine.put(ctx, { collection: 'users', id: 'u2', data: { email: 'b@x', city: 'Rome' } }); // cached-etag path
    expect(await byCity('Rome')).toEqual(['u1', 'u2']);
    expect(await engine.delete(ctx, { collection: 'users', id: 'u1' })).toBe(true);
    expect(await byCity('Rome')).toEqual(['u2']);
  });

  it('stores a seq in the envelope that grows with every write', async () => {
    const { engine, store } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { city: 'Oslo' } });
    const first = decodeEnvelope((await store.get('docs/users/u1'))!.body, 'k').meta.seq!;
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { city: 'Rome' } });
    const second = decodeEnvelope((await store.get('docs/users/u1'))!.body, 'k').meta.seq!;
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
  });

  it('a unique violation fails with ALREADY_EXISTS / UNIQUE_VIOLATION and writes nothing', async () => {
    const { engine, store } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { email: 'same@x' } });
    const err = await engine.put(ctx, { collection: 'users', id: 'u2', data: { email: 'same@x' } }).catch((e) => e);
    expect(isDbError(err, 'UNIQUE_VIOLATION')).toBe(true);
    expect(err.kind).toBe('already_exists');
    expect(err.metadata).toMatchObject({ index: 'by_email', conflictingId: 'u1' });
    expect(await store.get('docs/users/u2')).toBeUndefined();
  });

  it('a write the store refuses releases its unique reservation', async () => {
    const { engine } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { email: 'one@x' } });
    // Create-only on an existing id fails after reserving 'fresh@x' for u1...
    await expect(engine.put(ctx, { collection: 'users', id: 'u1', data: { email: 'fresh@x' }, createOnly: true })).rejects.toThrow(
      /already exists/,
    );
    // ...and the reservation is gone: another document may take the value.
    await expect(engine.put(ctx, { collection: 'users', id: 'u9', data: { email: 'fresh@x' } })).resolves.toMatchObject({ id: 'u9' });
  });

  it('16 concurrent unique creates of one value: exactly one wins', async () => {
    const { engine } = await setup();
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => engine.create(ctx, { collection: 'users', id: `c${i}`, data: { email: 'race@x' } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(isDbError(r.reason, 'UNIQUE_VIOLATION')).toBe(true);
  });

  it('a delete of a missing document changes no index', async () => {
    const { engine, byCity } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { city: 'Oslo' } });
    expect(await engine.delete(ctx, { collection: 'users', id: 'nope' })).toBe(false);
    expect(await byCity('Oslo')).toEqual(['u1']);
  });

  it('a write that stops between storage and index (failpoint index.before-apply) stays pending until the sweeper repairs it', async () => {
    const { engine, store, indexes, byCity } = await setup();
    await engine.put(ctx, { collection: 'users', id: 'u1', data: { email: 'a@x', city: 'Oslo' } });
    engine.failpoints.configure('index.before-apply=error');
    const e = await engine.put(ctx, { collection: 'users', id: 'u1', data: { email: 'a@x', city: 'Rome' } }).catch((x: unknown) => x);
    expect(isDbError(e) && e.reason).toBe('BACKEND_UNAVAILABLE');
    engine.failpoints.configure('');
    expect((await engine.get(ctx, 'users', 'u1')).data).toEqual({ email: 'a@x', city: 'Rome' });
    expect(await byCity('Rome')).toEqual([]);
    expect((await indexes.pendingWrites('users', 0, 10)).map((p) => p.id)).toEqual(['u1']);
    const sweeper = new PendingSweeper({ indexes, store, collections: () => ['users'], thresholdMs: 0, intervalMs: 1000 });
    expect(await sweeper.sweep()).toEqual({ checked: 1, repaired: 1 });
    expect(await byCity('Rome')).toEqual(['u1']);
    expect(await byCity('Oslo')).toEqual([]);
  });
});
