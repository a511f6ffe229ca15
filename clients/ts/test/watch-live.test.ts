/**
 * Revisions and Watch against a real server (the embedded default: local
 * coordination, in-memory storage, started by this file): every read carries a
 * readRevision and every document its revision; a watch from a list's
 * readRevision sees the later writes in order, a 2-document commit in one
 * batch; and a revision the server no longer keeps (SB_FEED_RETAIN_COUNT=2)
 * surfaces as a RevisionCompactedError.
 */
import { createClient, isRevisionCompacted, type SmarterBaseClient, type WatchBatch } from '../src/index.js';
import { startOwnServer, uniqueCollection, type LiveServer } from './server-fixture.js';

/** Collects the change batches (progress skipped) of a watch until `count` arrived. */
async function changeBatches(db: SmarterBaseClient, collection: string, after: bigint, count: number): Promise<WatchBatch[]> {
  const out: WatchBatch[] = [];
  for await (const batch of db.watch(collection, { afterRevision: after, progressIntervalMs: 200 })) {
    if (batch.progress) continue;
    out.push(batch);
    if (out.length === count) break;
  }
  return out;
}

/** Starts an embedded-default server with `env`, returns a client of it, and stops both after the file. */
function useEmbeddedServer(env: Record<string, string>): () => SmarterBaseClient {
  let server: LiveServer | undefined;
  let db: SmarterBaseClient | undefined;
  beforeAll(async () => {
    server = await startOwnServer({ SB_COORDINATION: 'local', ...env });
    db = createClient({ address: server.grpcAddress, transport: 'grpc', timeoutMs: 10_000 });
  });
  afterAll(async () => {
    db?.close();
    await server?.stop();
  });
  return () => db!;
}

describe('revisions and watch on the embedded default', () => {
  const client = useEmbeddedServer({});

  it('every read has a readRevision and every document its revision', async () => {
    const db = client();
    const col = uniqueCollection('ts_rev');
    const put = await db.put(col, 'a', { v: 1 });
    expect(put.revision).toBeGreaterThan(0n);
    const next = await db.putIfMatch(col, 'a', { v: 2 }, put.etag);
    expect(next.revision).toBeGreaterThan(put.revision);
    const created = await db.create(col, { v: 3 }, { id: 'b' });
    expect(created.revision).toBeGreaterThan(next.revision);

    const got = await db.getWithReadRevision(col, 'a');
    expect(got.document).toEqual(next);
    expect(got.readRevision).toBeGreaterThanOrEqual(created.revision);
    expect(await db.get(col, 'a')).toEqual(next);

    const page = await db.list(col);
    expect(page.documents.map((d) => [d.id, d.revision])).toEqual([
      ['a', next.revision],
      ['b', created.revision],
    ]);
    expect(page.readRevision).toBeGreaterThanOrEqual(created.revision);

    const items = [];
    for await (const item of db.batchGet(col, ['a', 'missing'])) items.push(item);
    expect(items.map((i) => [i.id, i.document?.revision])).toEqual([
      ['a', next.revision],
      ['missing', undefined],
    ]);
    for (const i of items) expect(i.readRevision).toBeGreaterThanOrEqual(created.revision);

    const q = db.query(col);
    const docs = await q.toArray();
    expect(docs.map((d) => d.revision)).toEqual([next.revision, created.revision]);
    expect(q.readRevision).toBeGreaterThanOrEqual(created.revision);
  });

  it('a watch from a read on a quiet collection first yields a progress mark at the read revision (caught up)', async () => {
    const db = client();
    const col = uniqueCollection('ts_quiet');
    await db.put(col, 'a', { v: 1 });
    const from = (await db.list(col)).readRevision;
    for await (const batch of db.watch(col, { afterRevision: from, progressIntervalMs: 200 })) {
      expect([batch.progress, batch.revision]).toEqual([true, from]);
      break;
    }
  });

  it('watches from a list readRevision: put, delete and a 2-document commit, in order, the commit in one batch', async () => {
    const db = client();
    const col = uniqueCollection('ts_watch');
    const before = await db.put(col, 'old', { v: 0 });
    const page = await db.list(col);
    expect(page.documents.map((d) => d.revision)).toEqual([before.revision]);
    const from = page.readRevision;
    expect(from).toBeGreaterThanOrEqual(before.revision);

    const watching = changeBatches(db, col, from, 3);
    const put = await db.put(col, 'a', { v: 1 });
    expect(await db.delete(col, 'old')).toBe(true);
    const commit = await db.commit([
      { op: 'set', collection: col, id: 'c', data: { v: 3 } },
      { op: 'set', collection: col, id: 'd', data: { v: 4 } },
    ]);
    const batches = await watching;

    expect(batches.map((b) => b.changes.map((c) => [c.type, c.id]))).toEqual([
      [['put', 'a']],
      [['delete', 'old']],
      [
        ['put', 'c'],
        ['put', 'd'],
      ],
    ]);
    const revisions = batches.map((b) => b.revision);
    expect(revisions[0]).toBeGreaterThan(from);
    expect(revisions[1]).toBeGreaterThan(revisions[0]);
    expect(revisions[2]).toBeGreaterThan(revisions[1]);
    expect(batches.map((b) => b.transactionId)).toEqual(['', '', commit.transactionId]);
    expect(commit.transactionId).not.toBe('');

    const [putChange] = batches[0].changes;
    expect(putChange.revision).toBe(put.revision);
    expect(putChange.document?.revision).toBe(put.revision);
    expect(putChange.previousRevision).toBe(0n);
    const [deleteChange] = batches[1].changes;
    expect(deleteChange.revision).toBe(batches[1].revision);
    expect(deleteChange.previousRevision).toBe(before.revision);
    expect(deleteChange.document).toBeUndefined();
    for (const c of batches[2].changes) {
      expect(c.revision).toBeGreaterThanOrEqual(batches[2].revision);
      expect(c.document?.revision).toBe(c.revision);
    }
    const smallest = batches[2].changes.map((c) => c.revision).reduce((a, b) => (b < a ? b : a));
    expect(smallest).toBe(batches[2].revision);
    const stored = await db.get(col, 'd');
    expect(stored.revision).toBe(batches[2].changes[1].revision);
  });
  it('initialSnapshot yields the documents, then complete; includePrevious and deleteWithRevision match the changes', async () => {
    const db = client();
    const col = uniqueCollection('ts_snap');
    const a1 = await db.put(col, 'a', { v: 1 });
    await db.put(col, 'b', { v: 1 });
    const state = new Map<string, unknown>();
    const stream = db.watch(col, { initialSnapshot: true, includePrevious: true, progressIntervalMs: 200 });
    let deleted: { deleted: boolean; revision: bigint } | undefined;
    const changes: WatchBatch[] = [];
    for await (const batch of stream) {
      if (batch.kind === 'snapshot') for (const d of batch.documents) state.set(d.id, d.data);
      if (batch.kind === 'snapshotComplete') {
        expect(state).toEqual(
          new Map([
            ['a', { v: 1 }],
            ['b', { v: 1 }],
          ]),
        );
        await db.put(col, 'a', { v: 2 });
        deleted = await db.deleteWithRevision(col, 'b');
      }
      if (batch.kind === 'changes') changes.push(batch);
      if (changes.length === 2) break;
    }
    expect(deleted?.deleted).toBe(true);
    const [put, del] = changes.map((b) => b.changes[0]);
    expect(put.previousDocument).toMatchObject({ etag: a1.etag, data: { v: 1 }, revision: a1.revision });
    expect(del.revision).toBe(deleted!.revision);
    expect(del.previousDocument?.data).toEqual({ v: 1 });
    expect(await db.deleteWithRevision(col, 'b')).toEqual({ deleted: false, revision: 0n });
  });
});

describe('REVISION_COMPACTED on a server keeping 2 events per collection', () => {
  const client = useEmbeddedServer({ SB_FEED_RETAIN_COUNT: '2' });

  it('a watch from a read older than the retained history fails with RevisionCompactedError', async () => {
    const db = client();
    const col = uniqueCollection('ts_compacted');
    await db.put(col, 'first', { v: 0 });
    const from = (await db.list(col)).readRevision;
    let last = 0n;
    for (let i = 1; i <= 5; i++) last = (await db.put(col, `doc${i}`, { v: i })).revision;

    let caught: unknown;
    try {
      for await (const batch of db.watch(col, { afterRevision: from })) throw new Error(`unexpected batch at ${batch.revision}`);
    } catch (e) {
      caught = e;
    }
    expect(isRevisionCompacted(caught)).toBe(true);
    if (!isRevisionCompacted(caught)) return;
    expect(caught.reason).toBe('REVISION_COMPACTED');
    expect(caught.requestedRevision).toBe(from);
    expect(caught.oldestRevision).toBeGreaterThan(from);
    expect(caught.currentRevision).toBe(last);
    expect(caught.metadata.collection).toBe(col);
  });
});
