import { setMaxListeners } from 'node:events';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { LocalIndexStore } from '../index/local/local-index-store.js';
import { DbError } from '../errors/db-error.js';
import { IndexWriteHooks } from '../index/write-hooks.js';
import { FenceChecker } from '../locks/fence-checker.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DocumentEngine } from '../engine/document-engine.js';
import type { TxnWrite } from '../api/document-api.js';

const ctx = { signal: new AbortController().signal };
setMaxListeners(200, ctx.signal); // many concurrent calls share this one signal

async function errorOf(p: Promise<unknown>): Promise<DbError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof DbError)) throw new Error(`expected a DbError, got ${String(e)}`);
  return e;
}

function setup() {
  const store = new MemoryBlobStore();
  const coordinator = new LocalCoordinator();
  const indexes = new LocalIndexStore();
  const engine = new DocumentEngine({ store, coordinator, fences: new FenceChecker(coordinator), hooks: new IndexWriteHooks(indexes) });
  return { store, coordinator, indexes, engine };
}

const set = (collection: string, id: string, data: Record<string, unknown>, precondition?: TxnWrite['precondition']): TxnWrite => ({
  collection,
  id,
  op: 'set',
  data: data as TxnWrite['data'],
  ...(precondition ? { precondition } : {}),
});

describe('DocumentEngine.commit', () => {
  test('sets, deletes and checks across collections apply together; results are in request order', async () => {
    const { engine, store } = setup();
    const a = await engine.put(ctx, { collection: 'acc', id: 'a', data: { bal: 10 } });
    await engine.put(ctx, { collection: 'acc', id: 'gone', data: { bal: 1 } });
    const k = await engine.put(ctx, { collection: 'cfg', id: 'k', data: { on: true } });
    const r = await engine.commit(ctx, {
      writes: [
        set('acc', 'a', { bal: 5 }, { etag: a.etag }),
        set('log', 'new', { amount: 5 }, { exists: false }),
        { collection: 'acc', id: 'gone', op: 'delete', precondition: { exists: true } },
        { collection: 'cfg', id: 'k', op: 'check', precondition: { etag: k.etag } },
      ],
    });
    expect(r.results.map((x) => [x.collection, x.id, x.version])).toEqual([
      ['acc', 'a', 2],
      ['log', 'new', 1],
      ['acc', 'gone', 0],
      ['cfg', 'k', 1],
    ]);
    const a2 = await engine.get(ctx, 'acc', 'a');
    expect([a2.data, a2.version, a2.etag]).toEqual([{ bal: 5 }, 2, r.results[0]!.etag]);
    expect((await engine.get(ctx, 'log', 'new')).data).toEqual({ amount: 5 });
    expect((await engine.exists(ctx, 'acc', 'gone')).exists).toBe(false);
    expect((await engine.get(ctx, 'cfg', 'k')).data).toEqual({ on: true });
    expect(r.results[3]!.etag).toBe(k.etag); // a check restores the exact bytes: the etag (a content hash) is unchanged
    // Nothing of the transaction machinery is left behind once the cleanup after the answer ran.
    expect((await engine.drainTransactionCleanup(5000)).abandoned).toBe(0);
    expect((await store.list({ prefix: '_txn/', limit: 10 })).keys).toEqual([]);
    expect(a2.updateTime).toEqual(r.commitTime);
  });

  test('a failed precondition writes nothing and names every failing write', async () => {
    const { engine, store } = setup();
    const a = await engine.put(ctx, { collection: 'acc', id: 'a', data: { bal: 10 } });
    await engine.put(ctx, { collection: 'acc', id: 'b', data: { bal: 0 } });
    const e = await errorOf(
      engine.commit(ctx, {
        writes: [
          set('acc', 'a', { bal: 0 }, { etag: a.etag }),
          set('acc', 'b', { bal: 10 }, { exists: false }),
          set('acc', 'c', { bal: 1 }, { exists: true }),
          set('acc', 'd', { bal: 1 }, { etag: 'nope' }),
        ],
      }),
    );
    expect([e.kind, e.reason]).toEqual(['aborted', 'PRECONDITION_FAILED']);
    expect(e.preconditionViolations?.map((v) => [v.type, v.subject])).toEqual([
      ['NOT_EXISTS', 'writes[1]'],
      ['EXISTS', 'writes[2]'],
      ['ETAG', 'writes[3]'],
    ]);
    expect((await engine.get(ctx, 'acc', 'a')).data).toEqual({ bal: 10 });
    expect((await engine.get(ctx, 'acc', 'a')).etag).toBe(a.etag);
    expect((await engine.exists(ctx, 'acc', 'c')).exists).toBe(false);
    expect((await store.list({ prefix: '_txn/', limit: 10 })).keys).toEqual([]);
  });

  test('malformed requests are INVALID_ARGUMENT naming the field; limits are TRANSACTION_TOO_LARGE', async () => {
    const { engine } = setup();
    const cases: [Promise<unknown>, string, string][] = [
      [engine.commit(ctx, { writes: [] }), 'INVALID_ARGUMENT', 'writes'],
      [engine.commit(ctx, { writes: [set('a', 'x', {}), set('a', 'x', {})] }), 'INVALID_ARGUMENT', 'writes[1]'],
      [engine.commit(ctx, { writes: [set('bad/coll', 'x', {})] }), 'INVALID_COLLECTION', 'writes[0].collection'],
      [engine.commit(ctx, { writes: [set('a', '', {})] }), 'INVALID_ID', 'writes[0].id'],
      [engine.commit(ctx, { writes: [{ collection: 'a', id: 'x', op: 'set' }] }), 'INVALID_ARGUMENT', 'writes[0].set.data'],
      [
        engine.commit(ctx, { writes: [{ collection: 'a', id: 'x', op: 'check', precondition: { etag: '' } }] }),
        'INVALID_ARGUMENT',
        'writes[0].precondition.etag',
      ],
      [engine.commit(ctx, { writes: [set('a', 'x', {})], requestId: 'has space' }), 'INVALID_ARGUMENT', 'request_id'],
      [engine.commit(ctx, { writes: Array.from({ length: 101 }, (_, i) => set('a', `x${i}`, {})) }), 'TRANSACTION_TOO_LARGE', 'writes'],
      [
        engine.commit(ctx, { writes: Array.from({ length: 5 }, (_, i) => set('a', `x${i}`, { s: 'x'.repeat(900_000) })) }),
        'TRANSACTION_TOO_LARGE',
        'writes',
      ],
    ];
    for (const [p, reason, field] of cases) {
      const e = await errorOf(p);
      expect([e.kind, e.reason, e.field]).toEqual(['invalid', reason, field]);
    }
  });

  test('a document over the size limit fails the whole commit before anything is written', async () => {
    const { engine, store } = setup();
    const e = await errorOf(engine.commit(ctx, { writes: [set('a', 'small', { n: 1 }), set('a', 'big', { s: 'x'.repeat(1_100_000) })] }));
    expect(e.reason).toBe('DOCUMENT_TOO_LARGE');
    expect((await store.list({ prefix: '', limit: 10 })).keys).toEqual([]);
  });

  test('request_id: a retry returns the first outcome without writing again; other writes are REQUEST_ID_REUSED', async () => {
    const { engine } = setup();
    const first = await engine.commit(ctx, { requestId: 'r-1', writes: [set('c', 'n', { v: 1 })] });
    await engine.put(ctx, { collection: 'c', id: 'n', data: { v: 99 } });
    const again = await engine.commit(ctx, { requestId: 'r-1', writes: [set('c', 'n', { v: 1 })] });
    expect(again).toEqual(first);
    expect((await engine.get(ctx, 'c', 'n')).data).toEqual({ v: 99 });
    const e = await errorOf(engine.commit(ctx, { requestId: 'r-1', writes: [set('c', 'n', { v: 2 })] }));
    expect([e.kind, e.reason, e.field]).toEqual(['invalid', 'REQUEST_ID_REUSED', 'request_id']);
    // A failed commit is not remembered: after fixing the state its retry runs.
    const failing = { requestId: 'r-2', writes: [set('c', 'm', { v: 1 }, { exists: true })] };
    expect((await errorOf(engine.commit(ctx, failing))).reason).toBe('PRECONDITION_FAILED');
    await engine.put(ctx, { collection: 'c', id: 'm', data: { v: 0 } });
    expect((await engine.commit(ctx, failing)).results[0]!.version).toBe(2);
    // The request is looked up beside the document reads: a retry answers the first outcome even
    // though its preconditions no longer hold of the state it read.
    const create = { requestId: 'r-3', writes: [set('c', 'p', { v: 1 }, { exists: false }), set('c', 'q', { v: 1 }, { exists: false })] };
    const made = await engine.commit(ctx, create);
    expect(await engine.commit(ctx, create)).toEqual(made);
  });

  test('a lock guard older than the lock is LOCK_NOT_HELD and writes nothing', async () => {
    const { engine, coordinator } = setup();
    const a = await coordinator.tryAcquireLease('L', 60_000, 'A');
    if (!a.granted) throw new Error('busy');
    await coordinator.releaseLease('L', a.lease.leaseId);
    const b = await coordinator.tryAcquireLease('L', 60_000, 'B');
    if (!b.granted) throw new Error('busy');
    const e = await errorOf(
      engine.commit(ctx, { writes: [set('c', 'x', { by: 'A' })], lockGuard: { name: 'L', fencingToken: a.lease.fencingToken } }),
    );
    expect(e.reason).toBe('LOCK_NOT_HELD');
    expect((await engine.exists(ctx, 'c', 'x')).exists).toBe(false);
    await engine.commit(ctx, { writes: [set('c', 'x', { by: 'B' })], lockGuard: { name: 'L', fencingToken: b.lease.fencingToken } });
    expect((await engine.get(ctx, 'c', 'x')).data).toEqual({ by: 'B' });
  });

  test('index entries follow the commit; a unique conflict aborts the whole transaction', async () => {
    const { engine, indexes } = setup();
    await indexes.createIndex({ collection: 'u', name: 'email', fields: ['email'], kind: 'unique' }, new Date());
    await indexes.setIndexState('u', 'email', { state: 'ready' });
    await engine.put(ctx, { collection: 'u', id: 'taken', data: { email: 'x@y' } });
    const e = await errorOf(engine.commit(ctx, { writes: [set('u', 'n1', { email: 'a@b' }), set('u', 'n2', { email: 'x@y' })] }));
    expect(e.reason).toBe('UNIQUE_VIOLATION');
    expect((await engine.exists(ctx, 'u', 'n1')).exists).toBe(false);
    await engine.commit(ctx, { writes: [set('u', 'n1', { email: 'a@b' }), { collection: 'u', id: 'taken', op: 'delete' }] });
    expect(await indexes.ids('u', { op: 'all' })).toEqual(['n1']);
    await engine.put(ctx, { collection: 'u', id: 'n3', data: { email: 'x@y' } }); // freed by the committed delete
  });

  test('concurrent transfers between few accounts keep the total (one process, real interleaving)', async () => {
    const { engine } = setup();
    const ids = ['a', 'b', 'c', 'd'];
    for (const id of ids) await engine.put(ctx, { collection: 'acc', id, data: { bal: 100 } });
    let committed = 0;
    await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const from = ids[i % 4]!;
        const to = ids[(i + 1 + (i % 3)) % 4]!;
        for (;;) {
          const [f, t] = [await engine.get(ctx, 'acc', from), await engine.get(ctx, 'acc', to)];
          const amount = 1 + (i % 7);
          try {
            await engine.commit(ctx, {
              writes: [
                set('acc', from, { bal: (f.data.bal as number) - amount }, { etag: f.etag }),
                set('acc', to, { bal: (t.data.bal as number) + amount }, { etag: t.etag }),
              ],
            });
            committed++;
            return;
          } catch (e) {
            if (!(e instanceof DbError) || e.kind !== 'aborted') throw e;
          }
        }
      }),
    );
    expect(committed).toBe(40);
    let total = 0;
    for (const id of ids) total += (await engine.get(ctx, 'acc', id)).data.bal as number;
    expect(total).toBe(400);
  });

  test('a single write without request_id takes the one-write path: the same outcomes as the full protocol, no intent', async () => {
    // Every case runs twice: alone (one conditional write) and with a request_id (the full protocol).
    const outcome = async (full: boolean, build: (e: DocumentEngine) => Promise<TxnWrite>) => {
      const { engine, store } = setup();
      await engine.put(ctx, { collection: 'c', id: 'x', data: { n: 1 } });
      const write = await build(engine);
      const puts: string[] = [];
      const put = store.put.bind(store);
      store.put = (key, body, cond, signal) => (puts.push(key), put(key, body, cond, signal));
      const r = await engine.commit(ctx, { writes: [write], ...(full ? { requestId: `r-${Math.random()}` } : {}) }).then(
        (res) => ({ versions: res.results.map((x) => [x.id, x.version, x.etag === '' ? '' : 'etag']) }),
        (e: DbError) => ({ error: [e.reason, e.preconditionViolations?.map((v) => v.type)] }),
      );
      const state = await engine.exists(ctx, 'c', 'x');
      return {
        r,
        exists: state.exists,
        data: state.exists ? (await engine.get(ctx, 'c', 'x')).data : null,
        touchedTxn: puts.some((k) => k.startsWith('_txn/')),
      };
    };
    const etagOf = async (e: DocumentEngine) => (await e.get(ctx, 'c', 'x')).etag;
    const cases: ((e: DocumentEngine) => Promise<TxnWrite>)[] = [
      async () => set('c', 'x', { n: 2 }),
      async (e) => set('c', 'x', { n: 2 }, { etag: await etagOf(e) }),
      async () => set('c', 'x', { n: 2 }, { etag: 'stale' }),
      async () => set('c', 'x', { n: 2 }, { exists: false }),
      async () => set('c', 'y', { n: 2 }, { exists: true }),
      async () => ({ collection: 'c', id: 'x', op: 'delete', precondition: { exists: true } }),
      async () => ({ collection: 'c', id: 'y', op: 'delete' }),
      async () => ({ collection: 'c', id: 'x', op: 'check', precondition: { exists: true } }),
      async () => ({ collection: 'c', id: 'y', op: 'check', precondition: { exists: true } }),
    ];
    for (const build of cases) {
      const alone = await outcome(false, build);
      const full = await outcome(true, build);
      expect({ ...alone, touchedTxn: undefined }).toEqual({ ...full, touchedTxn: undefined });
      expect(alone.touchedTxn).toBe(false);
      expect(full.touchedTxn).toBe('versions' in full.r); // a failed precondition stops the full protocol before its intent
    }
  });
  test("an engine's failpoint fires only in that engine: an armed error before the commit point fails the Commit, which leaves nothing applied", async () => {
    const { engine, store } = setup();
    const other = new DocumentEngine({ store, coordinator: new LocalCoordinator() });
    engine.failpoints.configure('txn.after-stage=error');
    const writes = [set('acc', 'a', { bal: 1 }), set('acc', 'b', { bal: 2 })];
    const e = await errorOf(engine.commit(ctx, { writes }));
    expect(e).toMatchObject({ kind: 'unavailable', metadata: { failpoint: 'txn.after-stage' } });
    expect(other.failpoints.armedFailpoints().size).toBe(0);
    engine.failpoints.configure('');
    await expect(engine.exists(ctx, 'acc', 'a')).resolves.toMatchObject({ exists: false });
    await other.commit(ctx, { writes });
    await expect(engine.exists(ctx, 'acc', 'b')).resolves.toMatchObject({ exists: true });
  });
});
