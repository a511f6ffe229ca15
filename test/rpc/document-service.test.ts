/** Every DocumentService RPC, and its error details, over gRPC (grpc-js port) and Connect JSON (HTTP/1.1). */
import { Code, ConnectError, type Client } from '@connectrpc/connect';
import { BadRequestSchema, ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import type { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { startFixture, type RpcFixture } from './rpc-fixture.js';

let fx: RpcFixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx.server.shutdown(1000);
});

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected the call to fail');
}

function errorInfo(e: ConnectError) {
  const infos = e.findDetails(ErrorInfoSchema);
  expect(infos).toHaveLength(1);
  expect(infos[0]!.domain).toBe('smarterbase.v1');
  return infos[0]!;
}

describe.each(['grpc', 'connect'] as const)('DocumentService over %s', (transport) => {
  let c: Client<typeof DocumentService>;
  const col = `col-${transport}`;
  beforeAll(() => {
    c = fx[transport];
  });

  test('Put then Get returns the data, etag, version and timestamps', async () => {
    const put = await c.put({ collection: col, id: 'a', data: { name: 'Ada', n: 1, tags: ['x'], nested: { ok: true, nil: null } } });
    expect(put.document?.version).toBe(1n);
    expect(put.document?.etag).not.toBe('');
    expect(put.document?.createTime).toBeDefined();
    const got = await c.get({ collection: col, id: 'a' });
    expect(got.document?.data).toEqual({ name: 'Ada', n: 1, tags: ['x'], nested: { ok: true, nil: null } });
    expect(got.document?.etag).toBe(put.document?.etag);
    const again = await c.put({ collection: col, id: 'a', data: { name: 'Ada', n: 2 } });
    expect(again.document?.version).toBe(2n);
  });

  test('PutIfMatch with the current etag writes; with a stale one fails ABORTED / ETAG_MISMATCH with currentEtag', async () => {
    const first = await c.put({ collection: col, id: 'cas', data: { v: 1 } });
    const second = await c.putIfMatch({ collection: col, id: 'cas', data: { v: 2 }, etag: first.document!.etag });
    expect(second.document?.version).toBe(2n);
    const e = await failure(c.putIfMatch({ collection: col, id: 'cas', data: { v: 3 }, etag: first.document!.etag }));
    expect(e.code).toBe(Code.Aborted);
    const info = errorInfo(e);
    expect(info.reason).toBe('ETAG_MISMATCH');
    expect(info.metadata['currentEtag']).toBe(second.document!.etag);
  });

  test('Get of a missing document is NOT_FOUND / DOCUMENT_NOT_FOUND', async () => {
    const e = await failure(c.get({ collection: col, id: 'missing' }));
    expect(e.code).toBe(Code.NotFound);
    expect(errorInfo(e).reason).toBe('DOCUMENT_NOT_FOUND');
  });

  test('create-only Put and Create of a taken id are ALREADY_EXISTS / DOCUMENT_ALREADY_EXISTS', async () => {
    await c.create({ collection: col, id: 'taken', data: {} });
    for (const call of [
      c.put({ collection: col, id: 'taken', data: {}, createOnly: true }),
      c.create({ collection: col, id: 'taken', data: {} }),
    ]) {
      const e = await failure(call);
      expect(e.code).toBe(Code.AlreadyExists);
      expect(errorInfo(e).reason).toBe('DOCUMENT_ALREADY_EXISTS');
    }
  });

  test('an invalid id is INVALID_ARGUMENT / INVALID_ID with a BadRequest field violation', async () => {
    const e = await failure(c.get({ collection: col, id: '../etc' }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(errorInfo(e).reason).toBe('INVALID_ID');
    const bad = e.findDetails(BadRequestSchema);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.fieldViolations[0]!.field).toBe('id');
  });

  test('a write without data is INVALID_ARGUMENT with field "data"', async () => {
    const e = await failure(c.put({ collection: col, id: 'nodata' }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(errorInfo(e).reason).toBe('INVALID_ARGUMENT');
    expect(e.findDetails(BadRequestSchema)[0]!.fieldViolations[0]!.field).toBe('data');
  });

  test('Create without an id assigns one', async () => {
    const r = await c.create({ collection: col, data: { k: 1 } });
    expect(r.document?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.document?.version).toBe(1n);
  });

  test('Exists reports the etag; Delete with a stale etag is ABORTED, then deletes', async () => {
    const put = await c.put({ collection: col, id: 'del', data: { a: 1 } });
    expect(await c.exists({ collection: col, id: 'del' })).toMatchObject({ exists: true, etag: put.document!.etag });
    const e = await failure(c.delete({ collection: col, id: 'del', etag: 'stale' }));
    expect(e.code).toBe(Code.Aborted);
    expect(errorInfo(e).reason).toBe('ETAG_MISMATCH');
    expect((await c.delete({ collection: col, id: 'del', etag: put.document!.etag })).deleted).toBe(true);
    expect((await c.delete({ collection: col, id: 'del' })).deleted).toBe(false);
    expect(await c.exists({ collection: col, id: 'del' })).toMatchObject({ exists: false, etag: '' });
  });

  test('BatchGet streams one answer per id in request order', async () => {
    const bcol = `${col}-batch`;
    await c.put({ collection: bcol, id: 'b1', data: { i: 1 } });
    await c.put({ collection: bcol, id: 'b3', data: { i: 3 } });
    const got: { id: string; found: boolean; data?: unknown }[] = [];
    for await (const r of c.batchGet({ collection: bcol, ids: ['b3', 'b2', 'b1'] })) {
      got.push({ id: r.id, found: r.found, data: r.document?.data });
    }
    expect(got).toEqual([
      { id: 'b3', found: true, data: { i: 3 } },
      { id: 'b2', found: false, data: undefined },
      { id: 'b1', found: true, data: { i: 1 } },
    ]);
  });

  test('List pages through a collection in id order, keys-only and by prefix', async () => {
    const lcol = `${col}-list`;
    for (const id of ['p1', 'p2', 'p3', 'q1']) await c.put({ collection: lcol, id, data: { id } });
    const page1 = await c.list({ collection: lcol, pageSize: 2 });
    expect(page1.documents.map((d) => d.id)).toEqual(['p1', 'p2']);
    expect(page1.documents[0]!.data).toEqual({ id: 'p1' });
    const page2 = await c.list({ collection: lcol, pageSize: 2, pageToken: page1.nextPageToken });
    expect(page2.documents.map((d) => d.id)).toEqual(['p3', 'q1']);
    expect(page2.nextPageToken).toBe('');
    const keys = await c.list({ collection: lcol, idPrefix: 'p', keysOnly: true });
    expect(keys.documents.map((d) => [d.id, d.etag, d.data])).toEqual([
      ['p1', '', undefined],
      ['p2', '', undefined],
      ['p3', '', undefined],
    ]);
    const e = await failure(c.list({ collection: lcol, pageToken: 'garbage' }));
    expect(e.code).toBe(Code.InvalidArgument);
    expect(errorInfo(e).reason).toBe('INVALID_PAGE_TOKEN');
  });
});
