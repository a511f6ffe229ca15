import { create, type JsonObject } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from '@connectrpc/connect';
import { createClient } from './client.js';
import { SmarterBaseError } from './errors.js';
import { ErrorInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { DocumentSchema, type Document } from './gen/smarterbase/v1/document_pb.js';
import { DocumentService } from './gen/smarterbase/v1/document_service_pb.js';

const info = (reason: string, metadata: Record<string, string> = {}) => [
  { desc: ErrorInfoSchema, value: { reason, domain: 'smarterbase.v1', metadata } },
];

/** A tiny in-memory DocumentService: enough for the wrapper's own logic. */
function fakeStore() {
  const docs = new Map<string, Document>();
  let etagSeq = 0;
  const write = (id: string, data: JsonObject, prev?: Document) => {
    const d = create(DocumentSchema, {
      collection: 'c',
      id,
      data,
      etag: `e${++etagSeq}`,
      version: (prev?.version ?? 0n) + 1n,
      createTime: prev?.createTime ?? timestampFromMs(1_700_000_000_000),
      updateTime: timestampFromMs(1_700_000_000_000 + etagSeq),
      revision: 1_000n + BigInt(etagSeq),
    });
    docs.set(id, d);
    return d;
  };
  const impl: Partial<ServiceImpl<typeof DocumentService>> = {
    get: (req) => {
      const d = docs.get(req.id);
      if (!d) throw new ConnectError('missing', Code.NotFound, undefined, info('DOCUMENT_NOT_FOUND'));
      return { document: d, readRevision: 1_000n + BigInt(etagSeq) };
    },
    put: (req) => ({ document: write(req.id, req.data ?? {}, docs.get(req.id)) }),
    putIfMatch: (req) => {
      const d = docs.get(req.id);
      if (!d) throw new ConnectError('missing', Code.NotFound, undefined, info('DOCUMENT_NOT_FOUND'));
      if (d.etag !== req.etag) throw new ConnectError('stale', Code.Aborted, undefined, info('ETAG_MISMATCH', { currentEtag: d.etag }));
      return { document: write(req.id, req.data ?? {}, d) };
    },
    list: (req) => {
      const ids = [...docs.keys()].sort();
      const start = req.pageToken ? ids.indexOf(req.pageToken) : 0;
      const page = ids.slice(start, start + req.pageSize);
      const next = ids[start + req.pageSize] ?? '';
      return { documents: page.map((id) => docs.get(id)!), nextPageToken: next, readRevision: 1_000n + BigInt(etagSeq) };
    },
  };
  return { docs, impl, write };
}

describe('SmarterBaseClient over an in-memory router', () => {
  it('returns plain objects: number version, Date times, JSON data', async () => {
    const { impl } = fakeStore();
    const client = createClient({ transport: createRouterTransport((r) => r.service(DocumentService, impl)) });
    const doc = await client.put('c', 'a', { s: 'x', n: 1.5, b: true, z: null, l: [1, 'two'], o: { k: 'v' } });
    expect(doc).toEqual({
      collection: 'c',
      id: 'a',
      data: { s: 'x', n: 1.5, b: true, z: null, l: [1, 'two'], o: { k: 'v' } },
      etag: 'e1',
      version: 1,
      createTime: new Date(1_700_000_000_000),
      updateTime: new Date(1_700_000_000_001),
      revision: 1_001n,
    });
  });

  it('exposes each document revision and the readRevision of get and list', async () => {
    const { impl, write } = fakeStore();
    write('a', { v: 1 });
    write('b', { v: 2 });
    const client = createClient({ transport: createRouterTransport((r) => r.service(DocumentService, impl)) });
    const read = await client.getWithReadRevision('c', 'a');
    expect([read.document.id, read.document.revision, read.readRevision]).toEqual(['a', 1_001n, 1_002n]);
    expect((await client.get('c', 'b')).revision).toBe(1_002n);
    const page = await client.list('c', { pageSize: 10 });
    expect(page.documents.map((d) => d.revision)).toEqual([1_001n, 1_002n]);
    expect(page.readRevision).toBe(1_002n);
  });

  it('update() redoes the read-modify-write after an ETAG_MISMATCH', async () => {
    const { impl, write, docs } = fakeStore();
    write('n', { count: 0 });
    const client = createClient({ transport: createRouterTransport((r) => r.service(DocumentService, impl)) });
    let runs = 0;
    const out = await client.update<{ count: number }>('c', 'n', (data) => {
      runs++;
      if (runs === 1) write('n', { count: 10 }, docs.get('n')); // a concurrent writer sneaks in
      return { count: data.count + 1 };
    });
    expect(runs).toBe(2);
    expect(out.data).toEqual({ count: 11 });
    expect(out.version).toBe(3);
  });

  it('update() gives up after maxAttempts with the ETAG_MISMATCH error', async () => {
    const { impl, write, docs } = fakeStore();
    write('n', { count: 0 });
    const client = createClient({ transport: createRouterTransport((r) => r.service(DocumentService, impl)) });
    let runs = 0;
    const p = client.update(
      'c',
      'n',
      (data) => {
        runs++;
        write('n', { count: 99 }, docs.get('n'));
        return data;
      },
      { maxAttempts: 3, initialBackoffMs: 1 },
    );
    await expect(p).rejects.toMatchObject({ code: Code.Aborted, reason: 'ETAG_MISMATCH' });
    expect(runs).toBe(3);
  });

  it('update() does not retry other errors (DOCUMENT_NOT_FOUND)', async () => {
    const { impl } = fakeStore();
    const client = createClient({ transport: createRouterTransport((r) => r.service(DocumentService, impl)) });
    const fn = jest.fn((d: JsonObject) => d);
    await expect(client.update('c', 'missing', fn)).rejects.toBeInstanceOf(SmarterBaseError);
    await expect(client.update('c', 'missing', fn)).rejects.toMatchObject({ reason: 'DOCUMENT_NOT_FOUND', code: Code.NotFound });
    expect(fn).not.toHaveBeenCalled();
  });

  it('update() gives fn a copy, so mutating it in place is safe', async () => {
    const { impl, write, docs } = fakeStore();
    write('n', { list: [1] });
    const client = createClient({ transport: createRouterTransport((r) => r.service(DocumentService, impl)) });
    let runs = 0;
    const out = await client.update<{ list: number[] }>('c', 'n', (data) => {
      runs++;
      data.list.push(2);
      if (runs === 1) write('n', { list: [1] }, docs.get('n'));
      return data;
    });
    expect(out.data).toEqual({ list: [1, 2] });
  });

  it('listAll() follows page tokens until the last page', async () => {
    const { impl, write } = fakeStore();
    for (let i = 0; i < 7; i++) write(`k${i}`, { i });
    const pages: number[] = [];
    const counting: typeof impl = {
      ...impl,
      list: (req, ctx) => {
        pages.push(req.pageSize);
        return impl.list!(req, ctx);
      },
    };
    const client = createClient({ transport: createRouterTransport((r) => r.service(DocumentService, counting)) });
    const ids: string[] = [];
    for await (const d of client.listAll('c', { pageSize: 3 })) ids.push(d.id);
    expect(ids).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
    expect(pages).toEqual([3, 3, 3]);
  });

  it('sends the per-call timeout as the call deadline', async () => {
    let seen: number | undefined;
    const client = createClient({
      timeoutMs: 5000,
      transport: createRouterTransport((r) =>
        r.service(DocumentService, {
          exists: (_req, ctx) => {
            seen = ctx.timeoutMs();
            return { exists: true, etag: 'e' };
          },
        }),
      ),
    });
    expect(await client.exists('c', 'a', { timeoutMs: 1234 })).toBe(true);
    expect(seen).toBeGreaterThan(1000);
    expect(seen).toBeLessThanOrEqual(1234);
    await client.exists('c', 'a');
    expect(seen).toBeGreaterThan(4000);
  });

  it('requires an address or baseUrl for the built-in transports', () => {
    expect(() => createClient({})).toThrow(TypeError);
    expect(() => createClient({ address: '127.0.0.1:1', transport: 'carrier-pigeon' as never })).toThrow(TypeError);
  });
});
