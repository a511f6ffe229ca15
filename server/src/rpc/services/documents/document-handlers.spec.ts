import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import type { CallContext } from '../../../api/call-context.js';
import type { DocumentApi } from '../../../api/document-api.js';
import { DbError } from '../../../errors/db-error.js';
import { ErrorInfoSchema, PreconditionFailureSchema } from '../../../gen/google/rpc/error_details_pb.js';
import { DocumentService } from '../../../gen/smarterbase/v1/document_service_pb.js';
import type { StoredDocument } from '../../../model/document.js';
import { createDocumentHandlers } from './document-handlers.js';
import { wrapErrors } from '../../decorators/wrap-errors.js';

const doc = (id: string): StoredDocument => ({
  collection: 'c',
  id,
  data: { id },
  etag: `etag-${id}`,
  version: 1,
  createTime: new Date(1000),
  updateTime: new Date(2000),
  revision: 0,
});

/** A fake engine that records what each handler passed it. */
function fakeApi(calls: { method: string; ctx: CallContext; args: unknown[] }[]): DocumentApi {
  const rec = (method: string, ctx: CallContext, ...args: unknown[]) => calls.push({ method, ctx, args });
  return {
    async get(ctx, collection, id) {
      rec('get', ctx, collection, id);
      if (id === 'missing') throw new DbError('not_found', 'DOCUMENT_NOT_FOUND', 'nope', { metadata: { id } });
      return doc(id);
    },
    async *batchGet(ctx, collection, ids) {
      rec('batchGet', ctx, collection, ids);
      for (const id of ids) yield id === 'x' ? { id } : { id, document: doc(id) };
    },
    async put(ctx, input) {
      rec('put', ctx, input);
      return doc(input.id);
    },
    async putIfMatch(ctx, input) {
      rec('putIfMatch', ctx, input);
      return doc(input.id);
    },
    async create(ctx, input) {
      rec('create', ctx, input);
      return doc(input.id ?? 'generated');
    },
    async delete(ctx, input) {
      rec('delete', ctx, input);
      return true;
    },
    async deleteWithRevision(ctx, input) {
      rec('delete', ctx, input);
      return { deleted: true, revision: 42 };
    },
    async exists(ctx, collection, id) {
      rec('exists', ctx, collection, id);
      return id === 'x' ? { exists: false } : { exists: true, etag: 'e' };
    },
    async list(ctx, input) {
      rec('list', ctx, input);
      return { documents: [doc('a'), { collection: 'c', id: 'b' }], nextPageToken: 'next' };
    },
    async batchWrite(ctx, collection, ops) {
      rec('batchWrite', ctx, collection, ops);
      return ops.map((op) =>
        op.id === 'bad'
          ? { id: op.id, error: new DbError('aborted', 'ETAG_MISMATCH', 'changed', { metadata: { id: op.id } }) }
          : op.kind === 'put'
            ? { id: op.id, document: doc(op.id) }
            : { id: op.id, deleted: true },
      );
    },
    async batchExists(ctx, collection, ids) {
      rec('batchExists', ctx, collection, ids);
      return ids.map((id) => (id === 'x' ? { id, exists: false } : { id, exists: true, etag: `etag-${id}` }));
    },
    async batchDelete(ctx, collection, items) {
      rec('batchDelete', ctx, collection, items);
      return items.map((i) => ({ id: i.id, deleted: i.id !== 'gone' }));
    },
    async commit(ctx, input) {
      rec('commit', ctx, input);
      if (input.writes.some((w) => w.id === 'bad')) {
        throw new DbError('aborted', 'PRECONDITION_FAILED', 'failed', {
          preconditionViolations: [{ type: 'EXISTS', subject: 'writes[0]', description: 'c/bad does not exist' }],
        });
      }
      return {
        results: input.writes.map((w) => ({
          collection: w.collection,
          id: w.id,
          etag: w.op === 'delete' ? '' : `etag-${w.id}`,
          version: w.op === 'delete' ? 0 : 2,
        })),
        transactionId: 'tx1',
        commitTime: new Date(3000),
      };
    },
  };
}

function setup() {
  const calls: { method: string; ctx: CallContext; args: unknown[] }[] = [];
  const transport = createRouterTransport((router) => {
    router.service(DocumentService, wrapErrors(DocumentService, createDocumentHandlers(fakeApi(calls))));
  });
  return { calls, client: createClient(DocumentService, transport) };
}

describe('document handlers', () => {
  test('each RPC makes exactly one engine call with the request translated', async () => {
    const { calls, client } = setup();
    await client.put({ collection: 'c', id: 'a', data: { k: 1 }, createOnly: true });
    await client.putIfMatch({ collection: 'c', id: 'a', data: { k: 2 }, etag: 'e1' });
    await client.create({ collection: 'c', data: {} });
    await client.create({ collection: 'c', id: 'given', data: {} });
    expect(await client.delete({ collection: 'c', id: 'a' })).toMatchObject({ deleted: true, revision: 42n });
    await client.delete({ collection: 'c', id: 'a', etag: 'e2' });
    await client.list({ collection: 'c' });
    await client.list({ collection: 'c', pageSize: 5, pageToken: 't', idPrefix: 'p', keysOnly: true });
    expect(calls.map((c) => [c.method, ...c.args])).toEqual([
      ['put', { collection: 'c', id: 'a', data: { k: 1 }, createOnly: true }],
      ['putIfMatch', { collection: 'c', id: 'a', data: { k: 2 }, etag: 'e1' }],
      ['create', { collection: 'c', data: {} }],
      ['create', { collection: 'c', id: 'given', data: {} }],
      ['delete', { collection: 'c', id: 'a' }],
      ['delete', { collection: 'c', id: 'a', etag: 'e2' }],
      ['list', { collection: 'c', pageSize: 0, keysOnly: false }],
      ['list', { collection: 'c', pageSize: 5, pageToken: 't', idPrefix: 'p', keysOnly: true }],
    ]);
  });

  test('responses: documents, exists etag, list page, batch stream', async () => {
    const { client } = setup();
    expect((await client.get({ collection: 'c', id: 'a' })).document).toMatchObject({
      id: 'a',
      etag: 'etag-a',
      version: 1n,
      data: { id: 'a' },
    });
    expect(await client.exists({ collection: 'c', id: 'x' })).toMatchObject({ exists: false, etag: '' });
    expect(await client.exists({ collection: 'c', id: 'y' })).toMatchObject({ exists: true, etag: 'e' });
    const page = await client.list({ collection: 'c' });
    expect(page.documents.map((d) => [d.id, d.etag])).toEqual([
      ['a', 'etag-a'],
      ['b', ''],
    ]);
    expect(page.nextPageToken).toBe('next');
    const items = [];
    for await (const r of client.batchGet({ collection: 'c', ids: ['a', 'x'] })) items.push([r.id, r.found, r.document?.id]);
    expect(items).toEqual([
      ['a', true, 'a'],
      ['x', false, undefined],
    ]);
  });

  test('the CallContext carries the signal and an absolute deadline from the timeout', async () => {
    const { calls, client } = setup();
    const before = Date.now();
    await client.get({ collection: 'c', id: 'a' }, { timeoutMs: 5000 });
    await client.get({ collection: 'c', id: 'a' });
    expect(calls[0]!.ctx.deadlineMs).toBeGreaterThanOrEqual(before + 4000);
    expect(calls[0]!.ctx.deadlineMs).toBeLessThanOrEqual(Date.now() + 5000);
    expect(calls[0]!.ctx.signal).toBeInstanceOf(AbortSignal);
    expect(calls[1]!.ctx.deadlineMs).toBeUndefined();
  });

  test('writes without data are rejected before the engine; DbErrors become coded errors with ErrorInfo', async () => {
    const { calls, client } = setup();
    const e1 = await client.put({ collection: 'c', id: 'a' }).catch((e: unknown) => ConnectError.from(e));
    expect((e1 as ConnectError).code).toBe(Code.InvalidArgument);
    expect(calls).toHaveLength(0);
    const e2 = await client.get({ collection: 'c', id: 'missing' }).catch((e: unknown) => ConnectError.from(e));
    expect((e2 as ConnectError).code).toBe(Code.NotFound);
    expect((e2 as ConnectError).findDetails(ErrorInfoSchema)[0]?.reason).toBe('DOCUMENT_NOT_FOUND');
  });

  test('batch RPCs translate items and per-item outcomes (OK or the error as google.rpc.Status)', async () => {
    const { calls, client } = setup();
    const w = await client.batchWrite({
      collection: 'c',
      writes: [
        { operation: { case: 'put', value: { id: 'a', data: { k: 1 }, createOnly: true } } },
        { operation: { case: 'put', value: { id: 'bad', data: {}, etag: 'e1' } } },
        { operation: { case: 'delete', value: { id: 'd', etag: '' } } },
      ],
    });
    expect(w.results.map((r) => [r.id, r.status?.code, r.document?.id, r.deleted])).toEqual([
      ['a', 0, 'a', false],
      ['bad', Code.Aborted, undefined, false],
      ['d', 0, undefined, true],
    ]);
    expect(w.results[1]!.status?.message).toBe('changed');
    expect(w.results[1]!.status?.details[0]?.typeUrl).toBe('type.googleapis.com/google.rpc.ErrorInfo');
    const ex = await client.batchExists({ collection: 'c', ids: ['x', 'y'] });
    expect(ex.results.map((r) => [r.id, r.exists, r.etag])).toEqual([
      ['x', false, ''],
      ['y', true, 'etag-y'],
    ]);
    const del = await client.batchDelete({ collection: 'c', items: [{ id: 'gone' }, { id: 'b', etag: 'e2' }] });
    expect(del.results.map((r) => [r.id, r.status?.code, r.deleted])).toEqual([
      ['gone', 0, false],
      ['b', 0, true],
    ]);
    expect(calls.map((c) => [c.method, ...c.args])).toEqual([
      [
        'batchWrite',
        'c',
        [
          { kind: 'put', id: 'a', data: { k: 1 }, createOnly: true },
          { kind: 'put', id: 'bad', data: {}, etag: 'e1' },
          { kind: 'delete', id: 'd' },
        ],
      ],
      ['batchExists', 'c', ['x', 'y']],
      ['batchDelete', 'c', [{ id: 'gone' }, { id: 'b', etag: 'e2' }]],
    ]);
  });

  test('a BatchWrite item with neither put nor delete fails the whole request before the engine', async () => {
    const { calls, client } = setup();
    const e = await client
      .batchWrite({ collection: 'c', writes: [{ operation: { case: 'put', value: { id: 'a', data: {} } } }, {}] })
      .catch((err: unknown) => ConnectError.from(err));
    expect((e as ConnectError).code).toBe(Code.InvalidArgument);
    expect(calls).toHaveLength(0);
  });

  test('Commit: writes, preconditions, request id and lock guard are translated; results come back in order', async () => {
    const { calls, client } = setup();
    const r = await client.commit({
      requestId: 'req-1',
      lockGuard: { name: 'L', fencingToken: 7n },
      writes: [
        {
          collection: 'c',
          id: 'a',
          operation: { case: 'set', value: { data: { n: 1 } } },
          precondition: { condition: { case: 'etag', value: 'e1' } },
        },
        {
          collection: 'd',
          id: 'b',
          operation: { case: 'delete', value: {} },
          precondition: { condition: { case: 'exists', value: true } },
        },
        {
          collection: 'c',
          id: 'k',
          operation: { case: 'check', value: {} },
          precondition: { condition: { case: 'exists', value: false } },
        },
      ],
    });
    expect(calls.map((c) => [c.method, ...c.args])).toEqual([
      [
        'commit',
        {
          requestId: 'req-1',
          lockGuard: { name: 'L', fencingToken: 7n },
          writes: [
            { collection: 'c', id: 'a', op: 'set', data: { n: 1 }, precondition: { etag: 'e1' } },
            { collection: 'd', id: 'b', op: 'delete', precondition: { exists: true } },
            { collection: 'c', id: 'k', op: 'check', precondition: { exists: false } },
          ],
        },
      ],
    ]);
    expect(r.transactionId).toBe('tx1');
    expect(r.results.map((x) => [x.collection, x.id, x.etag, x.version])).toEqual([
      ['c', 'a', 'etag-a', 2n],
      ['d', 'b', '', 0n],
      ['c', 'k', 'etag-k', 2n],
    ]);
  });

  test('Commit: a write without operation or a precondition without condition is INVALID_ARGUMENT naming it; a failed precondition carries PreconditionFailure', async () => {
    const { calls, client } = setup();
    const noOp = await client.commit({ writes: [{ collection: 'c', id: 'a' }] }).catch((err: unknown) => ConnectError.from(err));
    expect((noOp as ConnectError).code).toBe(Code.InvalidArgument);
    expect((noOp as ConnectError).rawMessage).toContain('writes[0]');
    const noCond = await client
      .commit({ writes: [{ collection: 'c', id: 'a', operation: { case: 'delete', value: {} }, precondition: {} }] })
      .catch((err: unknown) => ConnectError.from(err));
    expect((noCond as ConnectError).rawMessage).toContain('writes[0].precondition');
    expect(calls).toHaveLength(0);
    const failed = await client
      .commit({ writes: [{ collection: 'c', id: 'bad', operation: { case: 'check', value: {} } }] })
      .catch((err: unknown) => ConnectError.from(err));
    expect((failed as ConnectError).code).toBe(Code.Aborted);
    const pf = (failed as ConnectError).findDetails(PreconditionFailureSchema);
    expect(pf[0]?.violations).toEqual([
      expect.objectContaining({ type: 'EXISTS', subject: 'writes[0]', description: 'c/bad does not exist' }),
    ]);
  });
});
