/**
 * Issue 16, "Done when": a store that returns a mismatched body/ETag pair (the
 * previous version's body with the current version's ETag, as versitygw
 * v1.8.0 does under concurrent writes) for the first k reads of a key is fed
 * to every read path — Get, BatchGet, List, Query hits, the transaction
 * reader, PutIfMatch / Put (update) / Delete's own reads, a Commit's reads —
 * through VerifiedReadsStore as main.ts composes it. Every path sees a retry
 * (the torn reads were served and rejected) and never hands out a mismatched
 * pair: the etag returned is the one written with the data returned.
 */
import type { CallContext } from '../../server/src/api/call-context.js';
import { ManualClock, fixedRandom } from '../../server/src/common/manual-clock.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { documentKey } from '../../server/src/format/bucket-layout.js';
import { LocalIndexStore } from '../../server/src/index/local/local-index-store.js';
import type { StoredDocument } from '../../server/src/model/document.js';
import { QueryEngine } from '../../server/src/query/query-engine.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { RetryingBlobStore } from '../../server/src/storage/retrying-store.js';
import { TornReadsStore } from '../../server/src/storage/torn-reads-store.js';
import { md5Hex, VerifiedReadsStore } from '../../server/src/storage/verified-reads.js';

const ctx: CallContext = { signal: new AbortController().signal };
const K = 3; // torn reads per key, below the 5 attempts of VerifiedReadsStore

function setup(verify = true) {
  const torn = new TornReadsStore(new MemoryBlobStore({ etag: md5Hex })); // S3-like: the ETag is the body's MD5
  const mismatches = { value: 0, add: (n = 1) => (mismatches.value += n) };
  const clock = new ManualClock({ autoAdvance: true });
  const verified = verify
    ? new VerifiedReadsStore(torn, { clock, random: fixedRandom(0.5), etagsAreMd5: true, counters: { mismatches } })
    : torn;
  const store = new RetryingBlobStore(verified, { clock, random: fixedRandom(0.5) });
  const engine = new DocumentEngine({ store, coordinator: new LocalCoordinator() });
  const query = new QueryEngine({ store, indexes: new LocalIndexStore(), reader: engine.reader, tokenSecret: 's' });
  /** What was written: etag → the data's n, for every version the engine acknowledged. */
  const written = new Map<string, number>();
  const put = async (id: string, n: number): Promise<StoredDocument> => {
    const doc = await engine.put(ctx, { collection: 'c', id, data: { n } });
    written.set(doc.etag, n);
    return doc;
  };
  /** Two versions of each id (n = 1, then n = 2), then K torn reads of each armed. */
  const seed = async (...ids: string[]): Promise<void> => {
    for (const id of ids) {
      await put(id, 1);
      await put(id, 2);
      torn.tear(documentKey('c', id), K);
    }
  };
  /** The pair handed out is one the engine wrote: its etag belongs to its data. */
  const proven = (doc: { etag: string; data: { n?: unknown } } | undefined): void => {
    expect(doc).toBeDefined();
    expect(written.get(doc!.etag)).toBe(doc!.data.n);
  };
  const retried = (...ids: string[]): void => {
    for (const id of ids) expect(torn.tornServed.get(documentKey('c', id))).toBe(K);
  };
  /** Another server on the same bucket: its version cache is empty, so its writers read first. */
  const other = (): DocumentEngine => new DocumentEngine({ store, coordinator: new LocalCoordinator() });
  return { torn, engine, query, written, put, seed, proven, retried, mismatches, other };
}

describe('every read path proves its etag (VerifiedReadsStore over a store with torn reads)', () => {
  test('control: without verification the torn pair is handed out (the fake really tears)', async () => {
    const { engine, seed, written } = setup(false);
    await seed('a');
    const doc = await engine.get(ctx, 'c', 'a');
    expect(doc.data.n).toBe(1);
    expect(written.get(doc.etag)).toBe(2);
  });

  test('Get', async () => {
    const { engine, seed, proven, retried, mismatches } = setup();
    await seed('a');
    proven(await engine.get(ctx, 'c', 'a'));
    retried('a');
    expect(mismatches.value).toBe(K);
  });

  test('BatchGet', async () => {
    const { engine, seed, proven, retried } = setup();
    await seed('a', 'b');
    for await (const item of engine.batchGet(ctx, 'c', ['a', 'b'])) proven(item.document);
    retried('a', 'b');
  });

  test('List', async () => {
    const { engine, seed, proven, retried } = setup();
    await seed('a', 'b');
    const page = await engine.list(ctx, { collection: 'c', pageSize: 10 });
    expect(page.documents).toHaveLength(2);
    for (const d of page.documents) proven(d as StoredDocument);
    retried('a', 'b');
  });

  test('Query hits', async () => {
    const { query, seed, proven, retried } = setup();
    await seed('a', 'b');
    const it = query.query(ctx, { collection: 'c' });
    let hits = 0;
    for (let r = await it.next(); r.done !== true; r = await it.next()) {
      proven(r.value.document);
      hits++;
    }
    expect(hits).toBe(2);
    retried('a', 'b');
  });

  test('the transaction-aware reader (and readForWrite)', async () => {
    const { engine, seed, written, retried } = setup();
    await seed('a', 'b');
    const a = await engine.reader.read('c', 'a');
    expect(written.get(a!.etag)).toBe(a!.env.data.n);
    const b = await engine.reader.readForWrite('c', 'b');
    expect(written.get(b!.etag)).toBe(b!.env.data.n);
    retried('a', 'b');
  });

  test("PutIfMatch, Put (update) and Delete's own reads: versions continue from the proven version", async () => {
    const { other, seed, written, retried } = setup();
    await seed('a', 'b', 'd');
    const engine = other();
    const current = [...written.entries()].filter(([, n]) => n === 2).map(([etag]) => etag);
    const a = await engine.putIfMatch(ctx, { collection: 'c', id: 'a', data: { n: 3 }, etag: current[0]! });
    expect(a.version).toBe(3); // a read of version 1's body would have written version 2 over version 2
    const b = await engine.put(ctx, { collection: 'c', id: 'b', data: { n: 3 } });
    expect(b.version).toBe(3);
    await expect(engine.delete(ctx, { collection: 'c', id: 'd', etag: current[2]! })).resolves.toBe(true);
    retried('a', 'b', 'd');
  });

  test("a Commit's reads: preconditions and versions are those of the proven version", async () => {
    const { engine, seed, written, retried } = setup();
    await seed('a');
    const etag = [...written.entries()].find(([, n]) => n === 2)![0];
    const result = await engine.commit(ctx, {
      writes: [{ collection: 'c', id: 'a', op: 'set', data: { n: 3 }, precondition: { etag } }],
    });
    expect(result.results[0]).toMatchObject({ version: 3 });
    retried('a');
  });
});
