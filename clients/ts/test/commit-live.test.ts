/**
 * Transactions (DocumentService.Commit) against a live SmarterBase server,
 * over the gRPC and Connect transports: a set + delete + check commit
 * across two collections is all visible; a stale etag fails with
 * PRECONDITION_FAILED naming writes[i] and writes nothing; a request id
 * replays the first result; a stale lock guard is refused; runTransaction
 * loses no increment under real concurrency. A second server with the
 * failpoint txn.after-commit-point=error proves that the client's own
 * UNAVAILABLE retry re-sends the same request id and commits once. These
 * tests need Commit on the server: they fail (UNIMPLEMENTED) without it.
 */
import { Code, createClient, createRetryInterceptor, isLockNotHeld, isPreconditionFailed, type SmarterBaseClient } from '../src/index.js';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { liveClients, LIVE_TRANSPORTS, startOwnServer, uniqueCollection, useLiveServer, type LiveServer } from './server-fixture.js';
import { rejection } from './expect-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const transports = LIVE_TRANSPORTS;
const liveServer = useLiveServer();

describe.each(transports)('transactions on a live server over %s', (transport) => {
  const connect = liveClients(liveServer, transport, 15_000);
  let db: SmarterBaseClient;
  let colA: string;
  let colB: string;
  beforeAll(() => {
    db = connect();
  });
  beforeEach(() => {
    colA = uniqueCollection(`ts_txa_${transport}`);
    colB = uniqueCollection(`ts_txb_${transport}`);
  });

  it('commits set + delete + check across two collections, all visible, with typed results', async () => {
    const acct = await db.put(colA, 'acct', { balance: 100 });
    await db.put(colA, 'old', { v: 1 });
    const flag = await db.put(colB, 'flag', { on: true });
    const before = Date.now();
    const res = await db
      .transaction()
      .set(colA, 'acct', { balance: 70 }, { ifEtag: acct.etag })
      .set(colB, 'receipt', { amount: 30 }, { ifNotExists: true })
      .delete(colA, 'old', { ifExists: true })
      .check(colB, 'flag', { ifEtag: flag.etag })
      .commit();
    expect(res.requestId).toMatch(UUID);
    expect(res.transactionId).not.toBe('');
    expect(res.commitTime).toBeInstanceOf(Date);
    expect(Math.abs(res.commitTime.getTime() - before)).toBeLessThan(60_000);
    expect(res.results.map((r) => [r.collection, r.id, r.version])).toEqual([
      [colA, 'acct', 2],
      [colB, 'receipt', 1],
      [colA, 'old', 0],
      [colB, 'flag', 1],
    ]);
    expect(res.results[2]!.etag).toBe('');
    expect(res.results[3]!.etag).toBe(flag.etag);

    const [a, r, f] = await Promise.all([db.get(colA, 'acct'), db.get(colB, 'receipt'), db.get(colB, 'flag')]);
    expect(a.data).toEqual({ balance: 70 });
    expect(a.etag).toBe(res.results[0]!.etag);
    expect(r.data).toEqual({ amount: 30 });
    expect(r.etag).toBe(res.results[1]!.etag);
    expect(f).toMatchObject({ data: { on: true }, etag: flag.etag, version: 1 });
    expect(await db.exists(colA, 'old')).toBe(false);
  });

  it('a stale etag fails with PRECONDITION_FAILED naming writes[1] and writes nothing', async () => {
    const v1 = await db.put(colA, 'doc', { v: 1 });
    await db.put(colA, 'doc', { v: 2 }); // v1.etag is now stale
    await db.put(colB, 'victim', { alive: true });
    const err = await rejection(
      db.transaction().set(colB, 'fresh', { v: 1 }).set(colA, 'doc', { v: 3 }, { ifEtag: v1.etag }).delete(colB, 'victim').commit(),
    );
    expect(err.code).toBe(Code.Aborted);
    expect(isPreconditionFailed(err)).toBe(true);
    expect(err.preconditionFailures).toHaveLength(1);
    expect(err.preconditionFailures[0]).toMatchObject({ type: 'ETAG', subject: 'writes[1]' });
    expect(err.preconditionFailures[0]!.description).not.toBe('');
    expect(await db.exists(colB, 'fresh')).toBe(false);
    expect((await db.get(colA, 'doc')).data).toEqual({ v: 2 });
    expect((await db.get(colB, 'victim')).data).toEqual({ alive: true });
  });

  it('ifNotExists and ifExists violations are named too', async () => {
    await db.put(colA, 'taken', {});
    const err = await rejection(
      db.transaction().set(colA, 'taken', { x: 1 }, { ifNotExists: true }).check(colB, 'missing', { ifExists: true }).commit(),
    );
    expect(err.preconditionFailures.map((v) => [v.type, v.subject])).toEqual([
      ['NOT_EXISTS', 'writes[0]'],
      ['EXISTS', 'writes[1]'],
    ]);
    expect((await db.get(colA, 'taken')).data).toEqual({});
  });

  it('a request id replays the first result: same transaction id, written once; other writes → REQUEST_ID_REUSED', async () => {
    const requestId = `ts-req-${uniqueCollection(transport)}`;
    const first = await db.transaction().set(colA, 'once', { n: 1 }, { ifNotExists: true }).commit({ requestId });
    const again = await db.transaction().set(colA, 'once', { n: 1 }, { ifNotExists: true }).commit({ requestId });
    expect(again.transactionId).toBe(first.transactionId);
    expect(again.results).toEqual(first.results);
    expect(await db.get(colA, 'once')).toMatchObject({ version: 1, etag: first.results[0]!.etag });
    const reused = await rejection(db.transaction().set(colA, 'once', { n: 2 }).commit({ requestId }));
    expect(reused.code).toBe(Code.InvalidArgument);
    expect(reused.reason).toBe('REQUEST_ID_REUSED');
  });

  it('a stale lock guard is refused with LOCK_NOT_HELD and nothing is written', async () => {
    const name = uniqueCollection(`ts_txlock_${transport}`);
    const old = await db.acquire(name, { ttlMs: 5000 });
    await db.release(old);
    const current = await db.acquire(name, { ttlMs: 5000 });
    try {
      const err = await rejection(
        db
          .transaction()
          .set(colA, 'guarded', { v: 1 })
          .commit({ lockGuard: { name, fencingToken: old.fencingToken } }),
      );
      expect(isLockNotHeld(err)).toBe(true);
      expect(await db.exists(colA, 'guarded')).toBe(false);
      await db
        .transaction()
        .set(colA, 'guarded', { v: 2 })
        .commit({ lockGuard: { name, fencingToken: current.fencingToken } });
      expect((await db.get(colA, 'guarded')).data).toEqual({ v: 2 });
    } finally {
      await db.release(current);
    }
  });

  it('runTransaction: 8 concurrent clients x 10 increments of a document pair lose no update', async () => {
    await db.transaction().set(colA, 'x', { n: 0 }).set(colB, 'y', { n: 0 }).commit();
    const workers = Array.from({ length: 8 }, () => connect());
    let runs = 0;
    await Promise.all(
      workers.map(async (w) => {
        for (let i = 0; i < 10; i++) {
          await w.runTransaction(
            async (tx) => {
              runs++;
              const [x, y] = await Promise.all([w.get<{ n: number }>(colA, 'x'), w.get<{ n: number }>(colB, 'y')]);
              tx.set(colA, 'x', { n: x.data.n + 1 }, { ifEtag: x.etag }).set(colB, 'y', { n: y.data.n + 1 }, { ifEtag: y.etag });
            },
            { maxAttempts: 200 },
          );
        }
      }),
    );
    const [x, y] = await Promise.all([db.get<{ n: number }>(colA, 'x'), db.get<{ n: number }>(colB, 'y')]);
    expect(x).toMatchObject({ data: { n: 80 }, version: 81 });
    expect(y).toMatchObject({ data: { n: 80 }, version: 81 });
    // The runners really raced: some commits lost and were redone.
    expect(runs).toBeGreaterThan(80);
  }, 120_000);
});

describe('the UNAVAILABLE retry of a commit on a live server (failpoint txn.after-commit-point=error)', () => {
  let server: LiveServer;
  beforeAll(async () => {
    server = await startOwnServer({ SB_FAILPOINTS: 'txn.after-commit-point=error' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('re-sends the same request id and gets the committed result: the transaction applies once', async () => {
    const sent: string[] = [];
    const retries: Code[] = [];
    const retry = createRetryInterceptor({ maxAttempts: 5, initialBackoffMs: 20 }, { onRetry: (_n, err) => retries.push(err.code) });
    const transport = createGrpcTransport({
      baseUrl: `http://${server.grpcAddress}`,
      defaultTimeoutMs: 15_000,
      // Outermost first: record every attempt the retry interceptor makes.
      interceptors: [retry, (next) => async (req) => (sent.push((req.message as { requestId?: string }).requestId ?? '?'), next(req))],
    });
    const db = createClient({ transport });
    const col = uniqueCollection('ts_txfail');
    try {
      const res = await db.transaction().set(col, 'once', { n: 1 }, { ifNotExists: true }).set(col, 'twice', { n: 2 }).commit();
      // The first attempt passed the commit point and then failed with UNAVAILABLE; the retry replayed it.
      expect(retries).toEqual([Code.Unavailable]);
      expect(sent).toHaveLength(2);
      expect(sent[1]).toBe(sent[0]);
      expect(sent[0]).toBe(res.requestId);
      expect(res.requestId).toMatch(UUID);
      expect(res.results.map((r) => [r.id, r.version])).toEqual([
        ['once', 1],
        ['twice', 1],
      ]);
      const [once, twice] = await Promise.all([db.get(col, 'once'), db.get(col, 'twice')]);
      expect(once).toMatchObject({ data: { n: 1 }, version: 1, etag: res.results[0]!.etag });
      expect(twice).toMatchObject({ data: { n: 2 }, version: 1, etag: res.results[1]!.etag });
    } finally {
      db.close();
    }
  }, 60_000);
});
