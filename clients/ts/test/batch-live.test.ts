/**
 * Batch calls against a live SmarterBase server, over the gRPC and Connect
 * transports: batchWrite with per-item failures (create-only conflict, stale
 * etag) in request order while the other items apply, batchExists order
 * with missing ids, batchDelete with one stale etag. These tests need the
 * BatchWrite / BatchExists / BatchDelete RPCs: they fail (UNIMPLEMENTED) on
 * a server without them.
 */
import { Code, del, isAlreadyExists, isEtagMismatch, put, type SmarterBaseClient } from '../src/index.js';
import { liveClients, LIVE_TRANSPORTS, uniqueCollection, useLiveServer } from './server-fixture.js';

const transports = LIVE_TRANSPORTS;
const liveServer = useLiveServer();

describe.each(transports)('batch calls on a live server over %s', (transport) => {
  const connect = liveClients(liveServer, transport, 15_000);
  let db: SmarterBaseClient;
  let col: string;
  beforeAll(() => {
    db = connect();
  });
  beforeEach(() => {
    col = uniqueCollection(`ts_batch_${transport}`);
  });

  it('batchWrite: 5 puts, a create-only conflict and a stale-etag put, per-item results in order', async () => {
    await db.put(col, 'taken', { v: 'original' });
    const cas1 = await db.put(col, 'cas', { v: 1 });
    await db.put(col, 'cas', { v: 2 }); // cas1.etag is now stale
    const res = await db.batchWrite(col, [
      put('p1', { n: 1 }),
      put('p2', { n: 2 }),
      put('taken', { v: 'overwritten?' }, { createOnly: true }),
      put('p3', { n: 3 }),
      put('cas', { v: 'stale write' }, { etag: cas1.etag }),
      put('p4', { n: 4 }),
      put('p5', { n: 5 }),
    ]);
    expect(res.map((r) => r.id)).toEqual(['p1', 'p2', 'taken', 'p3', 'cas', 'p4', 'p5']);
    expect(res.map((r) => r.ok)).toEqual([true, true, false, true, false, true, true]);

    const conflict = res[2]!.error!;
    expect(conflict.code).toBe(Code.AlreadyExists);
    expect(conflict.reason).toBe('DOCUMENT_ALREADY_EXISTS');
    expect(isAlreadyExists(conflict)).toBe(true);
    const stale = res[4]!.error!;
    expect(stale.code).toBe(Code.Aborted);
    expect(stale.reason).toBe('ETAG_MISMATCH');
    expect(isEtagMismatch(stale)).toBe(true);
    const current = await db.get(col, 'cas');
    expect(stale.metadata.currentEtag).toBe(current.etag);
    expect(current.data).toEqual({ v: 2 });
    expect((await db.get(col, 'taken')).data).toEqual({ v: 'original' });

    for (const r of res) {
      if (!r.ok) continue;
      expect(r.error).toBeUndefined();
      expect(r.document).toMatchObject({ collection: col, id: r.id, version: 1 });
      expect(r.document!.etag).not.toBe('');
      const stored = await db.get(col, r.id);
      expect(stored.data).toEqual({ n: Number(r.id.slice(1)) });
      expect(stored.etag).toBe(r.document!.etag);
    }
  });

  it('batchWrite mixes deletes with puts', async () => {
    await db.put(col, 'gone', { v: 1 });
    const res = await db.batchWrite(col, [del('gone'), put('new', { v: 2 }), del('never-existed')]);
    expect(res.map((r) => [r.id, r.ok, r.deleted])).toEqual([
      ['gone', true, true],
      ['new', true, false],
      ['never-existed', true, false],
    ]);
    expect(await db.exists(col, 'gone')).toBe(false);
    expect((await db.get(col, 'new')).data).toEqual({ v: 2 });
  });

  it('batchExists answers in request order, missing ids included, with current etags', async () => {
    const a = await db.put(col, 'a', { v: 1 });
    const c = await db.put(col, 'c', { v: 3 });
    const res = await db.batchExists(col, ['c', 'missing-1', 'a', 'missing-2']);
    expect(res).toEqual([
      { id: 'c', exists: true, etag: c.etag },
      { id: 'missing-1', exists: false, etag: '' },
      { id: 'a', exists: true, etag: a.etag },
      { id: 'missing-2', exists: false, etag: '' },
    ]);
  });

  it('batchDelete deletes the others and refuses the stale etag with ETAG_MISMATCH', async () => {
    const x = await db.put(col, 'x', { v: 1 });
    const y1 = await db.put(col, 'y', { v: 1 });
    const y2 = await db.put(col, 'y', { v: 2 });
    await db.put(col, 'z', { v: 1 });
    const res = await db.batchDelete(col, [del('x', { etag: x.etag }), del('y', { etag: y1.etag }), del('z'), del('absent')]);
    expect(res.map((r) => [r.id, r.ok, r.deleted])).toEqual([
      ['x', true, true],
      ['y', false, false],
      ['z', true, true],
      ['absent', true, false],
    ]);
    const err = res[1]!.error!;
    expect(err.code).toBe(Code.Aborted);
    expect(err.reason).toBe('ETAG_MISMATCH');
    expect(err.metadata.currentEtag).toBe(y2.etag);
    expect(await db.batchExists(col, ['x', 'y', 'z'])).toEqual([
      { id: 'x', exists: false, etag: '' },
      { id: 'y', exists: true, etag: y2.etag },
      { id: 'z', exists: false, etag: '' },
    ]);
  });
});
