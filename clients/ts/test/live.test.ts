/**
 * The TypeScript client against a live SmarterBase server, over both the
 * gRPC transport (HTTP/2, gRPC port) and the Connect transport (HTTP/1.1,
 * HTTP port). See server-fixture.ts for how the server is found.
 */
import { Code, isAlreadyExists, isEtagMismatch, isNotFound, type JsonObject, type SmarterBaseClient } from '../src/index.js';
import { liveClients, LIVE_TRANSPORTS, uniqueCollection, useLiveServer } from './server-fixture.js';
import { rejection } from './expect-error.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const transports = LIVE_TRANSPORTS;
const liveServer = useLiveServer();

describe.each(transports)('live server over %s', (transport) => {
  const connect = liveClients(liveServer, transport, 10_000);
  let db: SmarterBaseClient;
  let col: string;
  beforeAll(() => {
    db = connect();
  });
  beforeEach(() => {
    col = uniqueCollection(`ts_${transport}`);
  });

  it('round-trips nested data, numbers, bools, null, lists and unicode', async () => {
    const data: JsonObject = {
      name: 'Zoë 日本語 🚀',
      n: { int: 42, neg: -7, float: 3.25, big: 2 ** 53 - 1, zero: 0 },
      flags: [true, false],
      nothing: null,
      list: [1, 'two', { three: [3] }, [], {}],
      deep: { a: { b: { c: { d: 'e' } } } },
      empty: {},
    };
    const put = await db.put(col, 'doc-ü', data);
    expect(put).toMatchObject({ collection: col, id: 'doc-ü', data, version: 1 });
    expect(put.etag).not.toBe('');
    expect(put.createTime).toBeInstanceOf(Date);
    const got = await db.get(col, 'doc-ü');
    expect(got).toEqual(put);
    expect(await db.exists(col, 'doc-ü')).toBe(true);
    expect(await db.exists(col, 'nope')).toBe(false);
  });

  it('rejects a PutIfMatch with a stale etag: ETAG_MISMATCH carrying the current etag', async () => {
    const v1 = await db.put(col, 'cas', { v: 1 });
    const v2 = await db.putIfMatch(col, 'cas', { v: 2 }, v1.etag);
    expect(v2.version).toBe(2);
    expect(v2.etag).not.toBe(v1.etag);
    const err = await rejection(db.putIfMatch(col, 'cas', { v: 3 }, v1.etag));
    expect(err.code).toBe(Code.Aborted);
    expect(err.reason).toBe('ETAG_MISMATCH');
    expect(isEtagMismatch(err)).toBe(true);
    expect(err.metadata.currentEtag).toBe(v2.etag);
    expect(err.metadata.currentEtag).toBe((await db.get(col, 'cas')).etag);
    expect(err.metadata.expectedEtag).toBe(v1.etag);
    expect((await db.get(col, 'cas')).data).toEqual({ v: 2 });
  });

  it('rejects a create-only write on a taken id with ALREADY_EXISTS', async () => {
    await db.put(col, 'once', { first: true }, { createOnly: true });
    const err = await rejection(db.put(col, 'once', { first: false }, { createOnly: true }));
    expect(err.code).toBe(Code.AlreadyExists);
    expect(err.reason).toBe('DOCUMENT_ALREADY_EXISTS');
    expect(isAlreadyExists(err)).toBe(true);
    const err2 = await rejection(db.create(col, { again: true }, { id: 'once' }));
    expect(err2.reason).toBe('DOCUMENT_ALREADY_EXISTS');
    expect((await db.get(col, 'once')).data).toEqual({ first: true });
  });

  it('assigns increasing UUIDv7 ids on Create without an id', async () => {
    const a = await db.create(col, { k: 'a' });
    const b = await db.create(col, { k: 'b' });
    expect(a.id).toMatch(UUID_V7);
    expect(b.id).toMatch(UUID_V7);
    expect(b.id > a.id).toBe(true);
    expect(a.version).toBe(1);
    expect((await db.get(col, a.id)).data).toEqual({ k: 'a' });
    const named = await db.create(col, { k: 'c' }, { id: 'chosen' });
    expect(named.id).toBe('chosen');
  });

  it('lists 25 documents in 3 pages of at most 10, ascending, each once; keysOnly and listAll agree', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `item-${String(i).padStart(2, '0')}`);
    await Promise.all([...ids].reverse().map((id, i) => db.put(col, id, { i })));
    const seen: string[] = [];
    let pageToken = '';
    let pages = 0;
    do {
      const page = await db.list(col, { pageSize: 10, pageToken });
      expect(page.documents.length).toBeLessThanOrEqual(10);
      for (const d of page.documents) {
        expect(d.collection).toBe(col);
        expect(d.etag).not.toBe('');
      }
      seen.push(...page.documents.map((d) => d.id));
      pageToken = page.nextPageToken;
      pages++;
    } while (pageToken !== '');
    expect(pages).toBe(3);
    expect(seen).toEqual(ids);

    const keys = await db.list(col, { pageSize: 1000, keysOnly: true });
    expect(keys.documents.map((d) => d.id)).toEqual(ids);
    expect(keys.documents[0]).toMatchObject({ data: {}, etag: '', version: 0 });
    expect(keys.nextPageToken).toBe('');

    const all: string[] = [];
    for await (const d of db.listAll(col, { pageSize: 7 })) all.push(d.id);
    expect(all).toEqual(ids);

    const prefixed = await db.list(col, { idPrefix: 'item-1' });
    expect(prefixed.documents.map((d) => d.id)).toEqual(ids.slice(10, 20));
  });

  it('batch-gets found and missing documents in request order', async () => {
    await db.put(col, 'a', { x: 'a' });
    await db.put(col, 'c', { x: 'c' });
    const out: Array<[string, boolean, unknown]> = [];
    for await (const item of db.batchGet(col, ['c', 'missing', 'a', 'c'])) out.push([item.id, item.found, item.document?.data]);
    expect(out).toEqual([
      ['c', true, { x: 'c' }],
      ['missing', false, undefined],
      ['a', true, { x: 'a' }],
      ['c', true, { x: 'c' }],
    ]);
  });

  it('deletes idempotently, and conditionally on an etag', async () => {
    const d = await db.put(col, 'gone', { x: 1 });
    const stale = await rejection(db.delete(col, 'gone', { etag: 'not-the-etag' }));
    expect(stale.reason).toBe('ETAG_MISMATCH');
    expect(await db.delete(col, 'gone', { etag: d.etag })).toBe(true);
    expect(await db.delete(col, 'gone')).toBe(false);
    expect(await db.exists(col, 'gone')).toBe(false);
    expect(await db.delete(col, 'never-was')).toBe(false);
  });

  it('fails a Get of a missing document with NOT_FOUND / DOCUMENT_NOT_FOUND', async () => {
    const err = await rejection(db.get(col, 'ghost'));
    expect(err.code).toBe(Code.NotFound);
    expect(err.reason).toBe('DOCUMENT_NOT_FOUND');
    expect(err.domain).toBe('smarterbase.v1');
    expect(err.metadata).toMatchObject({ collection: col, id: 'ghost' });
    expect(isNotFound(err)).toBe(true);
  });

  it('fails an invalid id with INVALID_ARGUMENT / INVALID_ID and a field violation', async () => {
    const err = await rejection(db.put(col, 'a/b', { x: 1 }));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.reason).toBe('INVALID_ID');
    expect(err.fieldViolations.map((v) => v.field)).toContain('id');
    const err2 = await rejection(db.get(col, '..'));
    expect(err2.reason).toBe('INVALID_ID');
  });

  it('update() counts exactly 80 with 8 concurrent clients x 10 increments', async () => {
    await db.put(col, 'counter', { n: 0 });
    const workers = Array.from({ length: 8 }, () => connect());
    let runs = 0;
    await Promise.all(
      workers.map(async (w) => {
        for (let i = 0; i < 10; i++) {
          await w.update<{ n: number }>(
            col,
            'counter',
            (data) => {
              runs++;
              return { n: data.n + 1 };
            },
            { maxAttempts: 100 },
          );
        }
      }),
    );
    const final = await db.get<{ n: number }>(col, 'counter');
    expect(final.data.n).toBe(80);
    expect(final.version).toBe(81);
    // The writers really raced: some read-modify-writes lost and were redone.
    expect(runs).toBeGreaterThan(80);
  });
});
