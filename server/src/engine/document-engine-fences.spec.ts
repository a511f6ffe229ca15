import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import type { Lease } from '../coordination/coordinator.js';
import { LocalIndexStore } from '../index/local/local-index-store.js';
import { DbError } from '../errors/db-error.js';
import { IndexWriteHooks } from '../index/write-hooks.js';
import { FenceChecker } from '../locks/fence-checker.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DocumentEngine } from './document-engine.js';
import type { LockGuardInput } from '../api/lock-api.js';
import { systemClock } from '../common/clock.js';

const ctx = { signal: new AbortController().signal };

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

function setup(options: { hooks?: IndexWriteHooks } = {}) {
  let clock = 1_000_000;
  const coordinator = new LocalCoordinator({ clock: { ...systemClock, now: () => clock } });
  const store = new MemoryBlobStore();
  const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, fences: new FenceChecker(coordinator), ...options });
  const grant = async (name: string, ttlMs: number, holder: string): Promise<Lease> => {
    const r = await coordinator.tryAcquireLease(name, ttlMs, holder);
    if (!r.granted) throw new Error('busy');
    return r.lease;
  };
  const advance = (ms: number): void => {
    clock += ms;
  };
  const guard = (lease: Lease, name = 'job'): LockGuardInput => ({ name, fencingToken: lease.fencingToken });
  return { coordinator, store, engine, grant, advance, guard };
}

const doc = { collection: 'jobs', id: 'j1' };

describe('DocumentEngine lock guards (fencing)', () => {
  it("A's lease expires, B acquires: A's guarded put is refused and B's data stays; B's guarded put succeeds", async () => {
    const { engine, grant, advance, guard } = setup();
    const a = await grant('job', 1000, 'A');
    expect(a.fencingToken).toBe(1n);
    await engine.put(ctx, { ...doc, data: { by: 'A', n: 1 }, lockGuard: guard(a) });
    advance(1500); // A pauses past its lease
    const b = await grant('job', 1000, 'B');
    expect(b.fencingToken).toBe(2n);
    const byB = await engine.put(ctx, { ...doc, data: { by: 'B', n: 2 }, lockGuard: guard(b) });
    const e = await errorOf(engine.put(ctx, { ...doc, data: { by: 'A', n: 3 }, lockGuard: guard(a) }));
    expect(e).toMatchObject({
      kind: 'failed_precondition',
      reason: 'LOCK_NOT_HELD',
      metadata: { name: 'job', fencingToken: '1', currentFencingToken: '2' },
    });
    const now = await engine.get(ctx, 'jobs', 'j1');
    expect(now).toMatchObject({ data: { by: 'B', n: 2 }, etag: byB.etag, version: 2 });
    const again = await engine.put(ctx, { ...doc, data: { by: 'B', n: 4 }, lockGuard: guard(b) });
    expect(again.version).toBe(3);
  });

  it('refuses a stale guard on every write path: create-only put, putIfMatch, delete with and without etag', async () => {
    const { engine, store, grant, advance, guard } = setup();
    const a = await grant('job', 1000, 'A');
    advance(1001);
    const b = await grant('job', 1000, 'B');
    const stale = guard(a);
    const created = await engine.put(ctx, { ...doc, data: { by: 'B' }, lockGuard: guard(b) });
    const refused = { kind: 'failed_precondition', reason: 'LOCK_NOT_HELD' };
    expect(await errorOf(engine.put(ctx, { collection: 'jobs', id: 'new', data: {}, createOnly: true, lockGuard: stale }))).toMatchObject(
      refused,
    );
    expect(await store.get('docs/jobs/new')).toBeUndefined();
    expect(await errorOf(engine.putIfMatch(ctx, { ...doc, etag: created.etag, data: { by: 'A' }, lockGuard: stale }))).toMatchObject(
      refused,
    );
    expect(await errorOf(engine.delete(ctx, { ...doc, lockGuard: stale }))).toMatchObject(refused);
    expect(await errorOf(engine.delete(ctx, { ...doc, etag: created.etag, lockGuard: stale }))).toMatchObject(refused);
    expect(await engine.get(ctx, 'jobs', 'j1')).toMatchObject({ data: { by: 'B' }, etag: created.etag });
    expect(await engine.delete(ctx, { ...doc, lockGuard: guard(b) })).toBe(true);
    expect(await engine.delete(ctx, { ...doc, lockGuard: guard(b) })).toBe(false);
    expect(await errorOf(engine.delete(ctx, { ...doc, lockGuard: stale }))).toMatchObject(refused); // absent: still refused
  });

  it('a never-acquired lock (latest fence 0): token 0 passes, token 5 is refused as never granted', async () => {
    const { engine, store } = setup();
    await engine.put(ctx, { ...doc, data: { v: 0 }, lockGuard: { name: 'never', fencingToken: 0n } });
    const e = await errorOf(engine.put(ctx, { ...doc, data: { v: 5 }, lockGuard: { name: 'never', fencingToken: 5n } }));
    expect(e).toMatchObject({ reason: 'LOCK_NOT_HELD', metadata: { name: 'never', fencingToken: '5', currentFencingToken: '0' } });
    expect((await engine.get(ctx, 'jobs', 'j1')).data).toEqual({ v: 0 });
    expect(await store.get('docs/jobs/j1')).toBeDefined();
  });

  it('an expired lease with no successor still passes (equal token = accepted)', async () => {
    const { engine, grant, advance, guard } = setup();
    const a = await grant('job', 1000, 'A');
    advance(5000);
    await expect(engine.put(ctx, { ...doc, data: { late: true }, lockGuard: guard(a) })).resolves.toMatchObject({ version: 1 });
  });

  it('the fast path over a cached version is checked too', async () => {
    const { engine, grant, advance, guard } = setup();
    const a = await grant('job', 1000, 'A');
    await engine.put(ctx, { ...doc, data: { n: 1 }, lockGuard: guard(a) }); // now this process knows the etag
    advance(2000);
    await grant('job', 1000, 'B');
    const e = await errorOf(engine.put(ctx, { ...doc, data: { n: 2 }, lockGuard: guard(a) }));
    expect(e.reason).toBe('LOCK_NOT_HELD');
    expect((await engine.get(ctx, 'jobs', 'j1')).data).toEqual({ n: 1 });
  });

  it('a refused guard releases index reservations (the unique value stays free)', async () => {
    const indexes = new LocalIndexStore();
    const def = { collection: 'jobs', name: 'by_key', fields: ['key'], kind: 'unique' as const };
    await indexes.createIndex(def, new Date());
    await indexes.setIndexState('jobs', 'by_key', { state: 'ready' });
    const { engine } = setup({ hooks: new IndexWriteHooks(indexes) });
    const e = await errorOf(engine.put(ctx, { ...doc, data: { key: 'k1' }, lockGuard: { name: 'job', fencingToken: 9n } }));
    expect(e.reason).toBe('LOCK_NOT_HELD');
    await engine.put(ctx, { collection: 'jobs', id: 'j2', data: { key: 'k1' } }); // would be UNIQUE_VIOLATION if still reserved
    expect(await indexes.ids('jobs', { op: 'eq', index: 'by_key', values: ['k1'] })).toEqual(['j2']);
  });

  it('a malformed guard is invalid; a guard on an engine without a fence checker is refused', async () => {
    const { engine } = setup();
    expect(await errorOf(engine.put(ctx, { ...doc, data: {}, lockGuard: { name: '', fencingToken: 1n } }))).toMatchObject({
      kind: 'invalid',
      field: 'lock_guard.name',
    });
    expect(await errorOf(engine.put(ctx, { ...doc, data: {}, lockGuard: { name: 'x', fencingToken: -1n } }))).toMatchObject({
      kind: 'invalid',
      field: 'lock_guard.fencing_token',
    });
    const plain = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
    expect(await errorOf(plain.put(ctx, { ...doc, data: {}, lockGuard: { name: 'x', fencingToken: 0n } }))).toMatchObject({
      kind: 'invalid',
      field: 'lock_guard',
    });
    await expect(plain.put(ctx, { ...doc, data: {} })).resolves.toMatchObject({ version: 1 });
  });

  it("a successor that acquires and writes after the stale holder's check: the CAS fails, the retry re-checks and refuses", async () => {
    const { coordinator, store, grant, advance, guard } = setup();
    const a = await grant('job', 1000, 'A');
    const engineB = new DocumentEngine({
      coordinator: new LocalCoordinator(),
      store,
      fences: new FenceChecker(coordinator),
      versionCacheEntries: 0,
    });
    await engineB.put(ctx, { ...doc, data: { by: 'nobody' } });
    // A store that, on A's first write of j1 (after A's fence check passed), lets B take over and write first.
    let interleaved = false;
    const racing = Object.create(store) as MemoryBlobStore;
    racing.put = async (key, body, condition, signal) => {
      if (!interleaved && key === 'docs/jobs/j1') {
        interleaved = true;
        advance(2000);
        const b = await grant('job', 1000, 'B');
        await engineB.put(ctx, { ...doc, data: { by: 'B' }, lockGuard: guard(b) });
      }
      return store.put(key, body, condition, signal);
    };
    const engineA = new DocumentEngine({
      coordinator: new LocalCoordinator(),
      store: racing,
      fences: new FenceChecker(coordinator),
      versionCacheEntries: 0,
    });
    const e = await errorOf(engineA.put(ctx, { ...doc, data: { by: 'A' }, lockGuard: guard(a) }));
    expect(interleaved).toBe(true);
    expect(e.reason).toBe('LOCK_NOT_HELD');
    expect((await engineB.get(ctx, 'jobs', 'j1')).data).toEqual({ by: 'B' });
  });
});
