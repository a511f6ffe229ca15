import { LocalIndexStore } from './local/local-index-store.js';
import { DbError } from '../errors/db-error.js';
import type { IndexKind } from '../model/index-def.js';
import type { IndexStore } from './index-store.js';
import { IndexWriteHooks, type IndexLog } from './write-hooks.js';
import { InMemoryMetrics } from '../observability/in-memory-metrics.js';
import { createMetrics, METRIC_NAMES } from '../observability/metrics.js';

async function define(store: IndexStore, name: string, kind: IndexKind, field: string): Promise<void> {
  await store.createIndex({ collection: 'users', name, kind, fields: [field] }, new Date());
  await store.setIndexState('users', name, { state: 'ready' });
}

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

describe('IndexWriteHooks', () => {
  let store: LocalIndexStore;
  let hooks: IndexWriteHooks;
  const eq = (index: string, value: string): Promise<string[]> => store.ids('users', { op: 'eq', index, values: [value] });

  beforeEach(async () => {
    store = new LocalIndexStore();
    hooks = new IndexWriteHooks(store);
    await define(store, 'status', 'equality', 'status');
    await define(store, 'email', 'unique', 'email');
  });

  it('indexes a committed write, replaces it, and removes a deleted document', async () => {
    const p1 = await hooks.prepare('users', 'a', { status: 'on', email: 'a@x' });
    await hooks.commit(p1);
    expect(await eq('status', 'on')).toEqual(['a']);
    const p2 = await hooks.prepare('users', 'a', { status: 'off', email: 'a@x' });
    expect(p2.seq).toBeGreaterThan(p1.seq);
    await hooks.commit(p2);
    expect(await eq('status', 'on')).toEqual([]);
    expect(await eq('status', 'off')).toEqual(['a']);
    const p3 = await hooks.prepare('users', 'a', null);
    await hooks.commit(p3);
    expect(await eq('status', 'off')).toEqual([]);
    expect(await eq('email', 'a@x')).toEqual([]);
    expect(hooks.stats()).toEqual({ commitFailures: 0, staleCommits: 0, catalogRetries: 0 });
  });

  it('fails the second holder of a unique value with UNIQUE_VIOLATION, before any write', async () => {
    await hooks.commit(await hooks.prepare('users', 'a', { email: 'same' }));
    const e = await errorOf(hooks.prepare('users', 'b', { email: 'same' }));
    expect(e.kind).toBe('already_exists');
    expect(e.reason).toBe('UNIQUE_VIOLATION');
    expect(e.metadata).toEqual({ collection: 'users', index: 'email', conflictingId: 'a' });
    // the holder itself may rewrite it
    await hooks.commit(await hooks.prepare('users', 'a', { email: 'same', status: 'x' }));
    expect(await eq('email', 'same')).toEqual(['a']);
  });

  it('lets exactly one of concurrent prepares of one unique value through', async () => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => hooks.prepare('users', `u${i}`, { email: 'hot' })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as DbError).reason).toBe('UNIQUE_VIOLATION');
  });

  it('frees the reservation of an aborted write', async () => {
    const p = await hooks.prepare('users', 'a', { email: 'e' });
    await expect(hooks.prepare('users', 'b', { email: 'e' })).rejects.toThrow(/already held/);
    await hooks.abort(p);
    await hooks.commit(await hooks.prepare('users', 'b', { email: 'e' }));
    expect(await eq('email', 'e')).toEqual(['b']);
  });

  it('recomputes the values when the catalog changed between prepare and commit', async () => {
    const p = await hooks.prepare('users', 'a', { status: 'on', team: 'red' });
    await define(store, 'team', 'equality', 'team');
    await hooks.commit(p);
    expect(await eq('team', 'red')).toEqual(['a']);
    expect(hooks.stats().catalogRetries).toBe(1);
  });

  it('ignores a commit overtaken by a newer write of the same document', async () => {
    const older = await hooks.prepare('users', 'a', { status: 'old' });
    const newer = await hooks.prepare('users', 'a', { status: 'new' });
    await hooks.commit(newer);
    await hooks.commit(older);
    expect(await eq('status', 'new')).toEqual(['a']);
    expect(await eq('status', 'old')).toEqual([]);
    expect(hooks.stats().staleCommits).toBe(1);
  });

  it('logs and counts a failing commit instead of throwing', async () => {
    const warnings: unknown[] = [];
    const log: IndexLog = { warn: (obj) => warnings.push(obj), info: () => undefined };
    const failing = new IndexWriteHooks(
      Object.assign(Object.create(store) as IndexStore, {
        apply: () => Promise.reject(new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'redis down')),
      }),
      { log },
    );
    const p = await failing.prepare('users', 'a', { status: 'on' });
    await expect(failing.commit(p)).resolves.toBeUndefined();
    expect(failing.stats().commitFailures).toBe(1);
    expect(warnings).toEqual([expect.objectContaining({ collection: 'users', id: 'a', seq: p.seq })]);
  });

  it('counts each failed apply once in the apply-failures metric, by collection', async () => {
    const metrics = new InMemoryMetrics();
    try {
      let down = true;
      const flaky = Object.assign(Object.create(store) as IndexStore, {
        apply: (...a: Parameters<IndexStore['apply']>) => (down ? Promise.reject(new Error('redis down')) : store.apply(...a)),
        applyMany: (...a: Parameters<IndexStore['applyMany']>) => (down ? Promise.reject(new Error('redis down')) : store.applyMany(...a)),
      });
      const counted = new IndexWriteHooks(flaky, { applyFailures: createMetrics(metrics.meter).index.applyFailures });
      await counted.commit(await counted.prepare('users', 'a', { status: 'on' }));
      await counted.commit(await counted.prepare('users', 'b', { status: 'on' }));
      const [s1, s2] = [await store.nextSeq('orders'), await store.nextSeq('orders')];
      await counted.applyCommitted([
        { collection: 'orders', id: 'o1', seq: s1, data: { n: 1 } },
        { collection: 'orders', id: 'o2', seq: s2, data: null },
      ]);
      down = false;
      await counted.commit(await counted.prepare('users', 'c', { status: 'on' }));
      expect(await metrics.value(METRIC_NAMES.indexApplyFailures, { collection: 'users' })).toBe(2);
      expect(await metrics.value(METRIC_NAMES.indexApplyFailures, { collection: 'orders' })).toBe(2);
      expect(await metrics.points(METRIC_NAMES.indexApplyFailures)).toHaveLength(2);
      expect(counted.stats().commitFailures).toBe(4);
    } finally {
      await metrics.shutdown();
    }
  });

  it('releases its reservations when taking the sequence number fails', async () => {
    const broken = new IndexWriteHooks(
      Object.assign(Object.create(store) as IndexStore, {
        nextSeq: () => Promise.reject(new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'redis down')),
      }),
    );
    expect((await errorOf(broken.prepare('users', 'a', { email: 'e' }))).reason).toBe('BACKEND_UNAVAILABLE');
    await hooks.commit(await hooks.prepare('users', 'b', { email: 'e' }));
    expect(await eq('email', 'e')).toEqual(['b']);
  });

  it('records a write as pending when it takes its seq; the apply of commit clears it, a failed write leaves it', async () => {
    const p1 = await hooks.prepare('users', 'a', { status: 'on' });
    const p2 = await hooks.prepare('users', 'b', { status: 'on' });
    expect((await store.pendingWrites('users', 0, 10)).map((p) => [p.id, p.seq]).sort()).toEqual([
      ['a', p1.seq],
      ['b', p2.seq],
    ]);
    await hooks.commit(p1);
    await hooks.abort(p2); // the write may have landed (a timeout): the sweeper checks storage
    expect((await store.pendingWrites('users', 0, 10)).map((p) => p.id)).toEqual(['b']);
  });

  it('records nothing pending for a collection without indexes', async () => {
    await hooks.prepare('plain', 'a', { x: 1 });
    expect(await store.pendingWrites('plain', 0, 10)).toEqual([]);
  });
});
