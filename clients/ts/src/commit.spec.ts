import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from '@connectrpc/connect';
import { createClient } from './client.js';
import { isPreconditionFailed, isTransactionContention } from './errors.js';
import { ErrorInfoSchema, PreconditionFailureSchema, RetryInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { DocumentSchema } from './gen/smarterbase/v1/document_pb.js';
import { DocumentService, type CommitRequest, type CommitResponse } from './gen/smarterbase/v1/document_service_pb.js';
import { createRetryInterceptor } from './retry.js';
import { runTransaction, Transaction, type CommitOptions, type TransactionWriteSpec } from './commit.js';
import { rejection } from '../test/expect-error.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const info = (reason: string, metadata: Record<string, string> = {}) => ({
  desc: ErrorInfoSchema,
  value: { reason, domain: 'smarterbase.v1', metadata },
});
const contention = () =>
  new ConnectError('busy', Code.Aborted, undefined, [
    info('TRANSACTION_CONTENTION'),
    { desc: RetryInfoSchema, value: { retryDelay: { seconds: 0n, nanos: 2_000_000 } } },
  ]);
const unavailable = () => new ConnectError('down', Code.Unavailable, undefined, [info('BACKEND_UNAVAILABLE')]);

/**
 * An in-memory DocumentService with Get and an all-or-nothing Commit
 * (preconditions, request_id records) — enough to run transactions against.
 * `failNext` makes the next Commits throw the given errors first.
 */
function fakeServer() {
  const docs = new Map<string, { data: Record<string, unknown>; etag: string; version: number }>();
  const records = new Map<string, { body: string; res: CommitResponse }>();
  const requests: CommitRequest[] = [];
  const failNext: ConnectError[] = [];
  let txSeq = 0;
  let etagSeq = 0;
  const key = (c: string, id: string) => `${c}/${id}`;
  const impl: Partial<ServiceImpl<typeof DocumentService>> = {
    get(req) {
      const d = docs.get(key(req.collection, req.id));
      if (!d) throw new ConnectError('not found', Code.NotFound, undefined, [info('DOCUMENT_NOT_FOUND')]);
      return {
        document: create(DocumentSchema, {
          collection: req.collection,
          id: req.id,
          data: structuredClone(d.data) as never,
          etag: d.etag,
          version: BigInt(d.version),
        }),
      };
    },
    commit(req) {
      requests.push(req);
      const injected = failNext.shift();
      if (injected) throw injected;
      const body = JSON.stringify(
        req.writes.map((w) => [
          w.collection,
          w.id,
          w.operation.case,
          w.operation.case === 'set' ? w.operation.value.data : null,
          w.precondition?.condition,
        ]),
      );
      const prior = records.get(req.requestId);
      if (prior) {
        if (prior.body !== body) throw new ConnectError('reused', Code.InvalidArgument, undefined, [info('REQUEST_ID_REUSED')]);
        return prior.res;
      }
      const violations = req.writes.flatMap((w, i) => {
        const cur = docs.get(key(w.collection, w.id));
        const c = w.precondition?.condition;
        const subject = `writes[${i}]`;
        if (c?.case === 'etag' && cur?.etag !== c.value) return [{ type: 'ETAG', subject, description: `${w.id} has another etag` }];
        if (c?.case === 'exists' && c.value && !cur) return [{ type: 'EXISTS', subject, description: `${w.id} does not exist` }];
        if (c?.case === 'exists' && !c.value && cur) return [{ type: 'NOT_EXISTS', subject, description: `${w.id} exists` }];
        return [];
      });
      if (violations.length > 0) {
        throw new ConnectError('preconditions failed', Code.Aborted, undefined, [
          info('PRECONDITION_FAILED', { failed: String(violations.length) }),
          { desc: PreconditionFailureSchema, value: { violations } },
        ]);
      }
      const results = req.writes.map((w) => {
        const k = key(w.collection, w.id);
        const cur = docs.get(k);
        if (w.operation.case === 'set') {
          const next = {
            data: structuredClone(w.operation.value.data) as Record<string, unknown>,
            etag: `e${++etagSeq}`,
            version: (cur?.version ?? 0) + 1,
          };
          docs.set(k, next);
          return { collection: w.collection, id: w.id, etag: next.etag, version: BigInt(next.version) };
        }
        if (w.operation.case === 'delete') docs.delete(k);
        const after = w.operation.case === 'check' ? cur : undefined;
        return { collection: w.collection, id: w.id, etag: after?.etag ?? '', version: BigInt(after?.version ?? 0) };
      });
      const res = { results, transactionId: `tx-${++txSeq}`, commitTime: timestampFromMs(1_700_000_000_123) } as unknown as CommitResponse;
      records.set(req.requestId, { body, res });
      return res;
    },
  };
  return { docs, requests, failNext, impl };
}

function setup(retry = false) {
  const server = fakeServer();
  const interceptors = retry ? [createRetryInterceptor({ maxAttempts: 4 }, { sleep: async () => undefined })] : [];
  const transport = createRouterTransport((r) => r.service(DocumentService, server.impl), { transport: { interceptors } });
  return { ...server, db: createClient({ transport }) };
}

describe('Transaction builder', () => {
  it('sends set / delete / check with their conditions, in order, with a UUID request id and the lock guard', async () => {
    const { db, requests } = setup();
    const res = await db
      .transaction()
      .set('a', '1', { n: 1 })
      .set('a', '2', { n: 2 }, { ifNotExists: true })
      .delete('b', '1', { ifEtag: 'e0' })
      .check('b', '2', { ifNotExists: true })
      .commit({ lockGuard: { name: 'L', fencingToken: 7n } })
      .catch((e: unknown) => e);
    // b/1 does not exist, so the etag condition fails: nothing is written.
    expect(isPreconditionFailed(res)).toBe(true);
    const req = requests[0]!;
    expect(req.requestId).toMatch(UUID);
    expect(req.lockGuard).toMatchObject({ name: 'L', fencingToken: 7n });
    expect(
      req.writes.map((w) => [w.collection, w.id, w.operation.case, w.precondition?.condition.case, w.precondition?.condition.value]),
    ).toEqual([
      ['a', '1', 'set', undefined, undefined],
      ['a', '2', 'set', 'exists', false],
      ['b', '1', 'delete', 'etag', 'e0'],
      ['b', '2', 'check', 'exists', false],
    ]);
    expect(req.writes[0]!.operation.value).toMatchObject({ data: { n: 1 } });
  });

  it('decodes the results, transaction id and commit time', async () => {
    const { db } = setup();
    await db.transaction().set('a', 'x', { v: 0 }).commit();
    const x = await db.get('a', 'x');
    const res = await db
      .transaction()
      .set('a', 'x', { v: 1 }, { ifEtag: x.etag })
      .delete('b', 'y')
      .check('a', 'z', { ifNotExists: true })
      .commit({ requestId: 'my-req' });
    expect(res.results).toEqual([
      { collection: 'a', id: 'x', etag: expect.stringMatching(/^e/), version: 2 },
      { collection: 'b', id: 'y', etag: '', version: 0 },
      { collection: 'a', id: 'z', etag: '', version: 0 },
    ]);
    expect(res.transactionId).toBe('tx-2');
    expect(res.commitTime).toEqual(new Date(1_700_000_000_123));
    expect(res.requestId).toBe('my-req');
  });

  it('refuses a second write to one document, a check without condition and malformed conditions', () => {
    const tx = new Transaction({ commit: async () => Promise.reject(new Error('unused')) });
    tx.set('a', '1', {});
    tx.set('b', '1', {}); // same id, other collection: fine
    expect(() => tx.delete('a', '1')).toThrow(/writes\[0\] already writes/);
    expect(() => tx.check('a', '2', undefined as never)).toThrow(TypeError);
    expect(() => tx.check('a', '2', {} as never)).toThrow(TypeError);
    expect(() => tx.check('a', '2', { ifEtag: '' })).toThrow(TypeError);
    expect(() => tx.check('a', '2', { ifExists: false } as never)).toThrow(TypeError);
    expect(() => tx.check('a', '2', { ifEtag: 'e', ifExists: true } as never)).toThrow(TypeError);
    expect(tx.size).toBe(2);
  });

  it('copies data when added, and seals after commit', async () => {
    const seen: TransactionWriteSpec[][] = [];
    const tx = new Transaction({
      commit: async (w) => (seen.push([...w]), { results: [], transactionId: 't', commitTime: new Date(0), requestId: 'r' }),
    });
    const data = { n: 1 };
    tx.set('a', '1', data);
    data.n = 2;
    await tx.commit();
    expect(seen[0]![0]).toMatchObject({ op: 'set', data: { n: 1 } });
    expect(() => tx.set('a', '2', {})).toThrow(/already committed/);
  });

  it('keeps one request id per Transaction (a re-commit returns the first result) and a new one per Transaction', async () => {
    const { db, requests, docs } = setup();
    const tx = db.transaction().set('a', '1', { n: 1 }, { ifNotExists: true });
    const first = await tx.commit();
    const again = await tx.commit(); // ifNotExists would now fail if it ran again
    expect(again.transactionId).toBe(first.transactionId);
    expect(requests[1]!.requestId).toBe(requests[0]!.requestId);
    expect(tx.requestId).toBe(requests[0]!.requestId);
    expect(docs.get('a/1')!.version).toBe(1);
    await db.transaction().set('a', '2', {}).commit();
    expect(requests[2]!.requestId).not.toBe(requests[0]!.requestId);
  });

  it('client.commit() takes plain write objects and generates a request id per call', async () => {
    const { db, requests } = setup();
    const writes: TransactionWriteSpec[] = [{ op: 'set', collection: 'a', id: '1', data: { k: true } }];
    await db.commit(writes);
    await db.commit(writes);
    expect(requests[0]!.requestId).toMatch(UUID);
    expect(requests[1]!.requestId).not.toBe(requests[0]!.requestId);
    await expect(db.commit([{ op: 'check', collection: 'a', id: '1' } as never])).rejects.toThrow(TypeError);
    await expect(db.commit([{ op: 'put', collection: 'a', id: '1' } as never])).rejects.toThrow(TypeError);
  });
});

describe('commit errors and retry', () => {
  it('a failed precondition rejects with PRECONDITION_FAILED naming writes[i], and writes nothing', async () => {
    const { db, docs } = setup();
    const a = await db.transaction().set('a', '1', { v: 1 }).commit();
    await db.transaction().set('a', '1', { v: 2 }).commit(); // a.results[0].etag is now stale
    const err = await rejection(
      db
        .transaction()
        .set('b', 'new', { v: 1 })
        .set('a', '1', { v: 3 }, { ifEtag: a.results[0]!.etag })
        .check('a', 'gone', { ifExists: true })
        .commit(),
    );
    expect(err.code).toBe(Code.Aborted);
    expect(err.reason).toBe('PRECONDITION_FAILED');
    expect(isPreconditionFailed(err)).toBe(true);
    expect(err.preconditionFailures).toEqual([
      { type: 'ETAG', subject: 'writes[1]', description: '1 has another etag' },
      { type: 'EXISTS', subject: 'writes[2]', description: 'gone does not exist' },
    ]);
    expect(docs.has('b/new')).toBe(false);
    expect(docs.get('a/1')!.data).toEqual({ v: 2 });
  });

  it('the UNAVAILABLE retry re-sends the commit with the same request id', async () => {
    const { db, requests, failNext } = setup(true);
    failNext.push(unavailable(), unavailable());
    const res = await db.transaction().set('a', '1', { n: 1 }).commit();
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.requestId)).size).toBe(1);
    expect(requests[0]!.requestId).toMatch(UUID);
    expect(res.requestId).toBe(requests[0]!.requestId);
    expect(res.transactionId).toBe('tx-1');
  });

  it('decodes TRANSACTION_CONTENTION with its retry delay', async () => {
    const { db, failNext } = setup();
    failNext.push(contention());
    const err = await rejection(db.transaction().set('a', '1', {}).commit());
    expect(isTransactionContention(err)).toBe(true);
    expect(err.retryDelayMs).toBe(2);
    expect(err.preconditionFailures).toEqual([]);
  });
});

describe('runTransaction', () => {
  const fast = { initialBackoffMs: 1, maxBackoffMs: 5 } as const;

  it('re-runs fn after PRECONDITION_FAILED and TRANSACTION_CONTENTION and returns its value', async () => {
    const { db, failNext } = setup();
    await db.commit([{ op: 'set', collection: 'c', id: 'n', data: { n: 0 } }]);
    let sneaky = true;
    failNext.push(contention());
    const run = await db.runTransaction(async (tx, attempt) => {
      const cur = await db.get<{ n: number }>('c', 'n');
      if (sneaky && attempt === 2) {
        sneaky = false;
        await db.commit([{ op: 'set', collection: 'c', id: 'n', data: { n: 100 } }]); // makes cur.etag stale
      }
      tx.set('c', 'n', { n: cur.data.n + 1 }, { ifEtag: cur.etag });
      return cur.data.n + 1;
    }, fast);
    expect(run.attempts).toBe(3); // 1: contention, 2: stale etag, 3: ok
    expect(run.value).toBe(101);
    expect(run.commit?.results[0]?.version).toBe(3);
    expect((await db.get('c', 'n')).data).toEqual({ n: 101 });
  });

  it('throws other errors at once, and the last retryable one after maxAttempts', async () => {
    const { db, failNext, requests } = setup();
    await expect(db.runTransaction(() => 'read only', fast)).resolves.toEqual({ value: 'read only', commit: undefined, attempts: 1 });
    expect(requests).toHaveLength(0); // no writes → no commit
    const boom = new Error('app bug');
    await expect(db.runTransaction(() => Promise.reject(boom), fast)).rejects.toBe(boom);
    failNext.push(contention(), contention(), contention());
    const err = await rejection(db.runTransaction((tx) => void tx.set('a', '1', {}), { ...fast, maxAttempts: 3 }));
    expect(isTransactionContention(err)).toBe(true);
    expect(requests).toHaveLength(3);
  });

  it('loses no increment with 8 concurrent runners x 10 increments on a document pair', async () => {
    const { db } = setup();
    await db.commit([
      { op: 'set', collection: 'c', id: 'x', data: { n: 0 } },
      { op: 'set', collection: 'd', id: 'y', data: { n: 0 } },
    ]);
    let retries = 0;
    const worker = async () => {
      for (let i = 0; i < 10; i++) {
        const run = await db.runTransaction(
          async (tx) => {
            const [x, y] = await Promise.all([db.get<{ n: number }>('c', 'x'), db.get<{ n: number }>('d', 'y')]);
            tx.set('c', 'x', { n: x.data.n + 1 }, { ifEtag: x.etag }).set('d', 'y', { n: y.data.n + 1 }, { ifEtag: y.etag });
          },
          { ...fast, maxAttempts: 200 },
        );
        retries += run.attempts - 1;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    expect((await db.get('c', 'x')).data).toEqual({ n: 80 });
    expect((await db.get('d', 'y')).data).toEqual({ n: 80 });
    expect(retries).toBeGreaterThan(0); // the runners really raced
  });

  it('passes timeoutMs and lockGuard to the commit', async () => {
    const seen: (CommitOptions | undefined)[] = [];
    const target = {
      commit: async (_w: readonly TransactionWriteSpec[], o?: CommitOptions) => (
        seen.push(o),
        { results: [], transactionId: 't', commitTime: new Date(0), requestId: o!.requestId! }
      ),
    };
    await runTransaction(
      () => new Transaction(target),
      (tx) => void tx.delete('a', '1'),
      { timeoutMs: 1234, lockGuard: { name: 'L', fencingToken: 1n } },
    );
    expect(seen[0]).toMatchObject({ timeoutMs: 1234, lockGuard: { name: 'L', fencingToken: 1n }, requestId: expect.stringMatching(UUID) });
  });
});
