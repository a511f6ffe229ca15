/**
 * The engine's key guarantees over a store stack, written once and run over
 * every real stack (document-engine-stores.test.ts) and over S3 with a
 * LockedConditionsStore on a Redis Cluster (test/cluster/cluster-stores.test.ts).
 */
import type { Coordinator } from '../../server/src/coordination/coordinator.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { isDbError } from '../../server/src/errors/db-error.js';
import type { BlobStore } from '../../server/src/storage/blob-store.js';
import { LockedConditionsStore } from '../../server/src/storage/locked-conditions.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { s3Client } from '../storage/locked-conditions-scenarios.js';

const ctx = { signal: new AbortController().signal };

/** A store stack: one or more engines over one shared backend, and how to close them. */
export interface EngineStack {
  readonly engines: DocumentEngine[];
  close(): Promise<void>;
}

/**
 * Two engines on separate S3 clients (keys under `prefix`) and coordinator
 * connections from `connect`, each behind a LockedConditionsStore: two server
 * processes on S3 without conditional writes.
 */
export async function lockedS3Engines(s3: S3TestServer, connect: () => Promise<Coordinator>, prefix: string): Promise<EngineStack> {
  const closers: (BlobStore | Coordinator)[] = [];
  const engines: DocumentEngine[] = [];
  for (let i = 0; i < 2; i++) {
    const s3store = s3Client(s3, prefix);
    const coordinator = await connect();
    closers.push(s3store, coordinator);
    const store = new LockedConditionsStore(s3store, coordinator, { waitMs: 30_000 });
    engines.push(new DocumentEngine({ coordinator: new LocalCoordinator(), store, pageTokenSecret: 'k' }));
  }
  return { engines, close: async () => void (await Promise.all(closers.map((c) => c.close()))) };
}

/** Registers the cases in the current describe block; each case runs on a fresh stack from `make`. */
export function documentEngineScenarios(make: () => Promise<EngineStack>): void {
  let stack: EngineStack;
  const engine = (i: number): DocumentEngine => stack.engines[i % stack.engines.length] as DocumentEngine;
  beforeEach(async () => {
    stack = await make();
  });
  afterEach(() => stack.close());

  it('create, get, put, putIfMatch, exists and delete keep versions and etags exact', async () => {
    const v1 = await engine(0).create(ctx, { collection: 'c', id: 'x', data: { n: 1 } });
    expect(v1.version).toBe(1);
    expect(await engine(1).get(ctx, 'c', 'x')).toMatchObject({ data: { n: 1 }, version: 1, etag: v1.etag });
    const v2 = await engine(1).put(ctx, { collection: 'c', id: 'x', data: { n: 1 } });
    expect(v2.version).toBe(2);
    expect(v2.etag).not.toBe(v1.etag);
    const stale = await engine(0)
      .putIfMatch(ctx, { collection: 'c', id: 'x', data: { n: 3 }, etag: v1.etag })
      .catch((e: unknown) => e);
    expect(isDbError(stale, 'ETAG_MISMATCH')).toBe(true);
    const v3 = await engine(0).putIfMatch(ctx, { collection: 'c', id: 'x', data: { n: 3 }, etag: v2.etag });
    expect(v3.version).toBe(3);
    expect(await engine(1).exists(ctx, 'c', 'x')).toEqual({ exists: true, etag: v3.etag });
    expect(await engine(1).delete(ctx, { collection: 'c', id: 'x', etag: v3.etag })).toBe(true);
    expect(await engine(0).delete(ctx, { collection: 'c', id: 'x' })).toBe(false);
  });

  it('16 concurrent unconditional puts after a create: none lost, final version 17', async () => {
    await engine(0).create(ctx, { collection: 'c', id: 'hot', data: { w: -1 } });
    const written = await Promise.all(
      Array.from({ length: 16 }, (_, i) => engine(i).put(ctx, { collection: 'c', id: 'hot', data: { w: i } })),
    );
    expect(written.map((d) => d.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 2));
    expect((await engine(0).get(ctx, 'c', 'hot')).version).toBe(17);
  });

  it('16 concurrent putIfMatch with the same etag: exactly one wins', async () => {
    const v1 = await engine(0).create(ctx, { collection: 'c', id: 'cas', data: {} });
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => engine(i).putIfMatch(ctx, { collection: 'c', id: 'cas', data: { i }, etag: v1.etag })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(isDbError(r.reason, 'ETAG_MISMATCH')).toBe(true);
    expect((await engine(1).get(ctx, 'c', 'cas')).version).toBe(2);
  });

  it('lists a prefix across pages (tokens work on the other engine) and batch-gets in order', async () => {
    const ids = ['p3', 'p1', 'q1', 'p2', 'p\u00e9', 'p0'];
    await Promise.all(ids.map((id) => engine(0).put(ctx, { collection: 'l', id, data: { id } })));
    const seen: string[] = [];
    let pageToken = '';
    let page = 0;
    do {
      const res = await engine(page++).list(ctx, { collection: 'l', idPrefix: 'p', pageSize: 2, pageToken });
      seen.push(...res.documents.map((d) => d.id));
      pageToken = res.nextPageToken;
    } while (pageToken !== '');
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p\u00e9']);
    const got = [];
    for await (const item of engine(1).batchGet(ctx, 'l', ['q1', 'nope', 'p0'])) got.push([item.id, item.document?.version]);
    expect(got).toEqual([
      ['q1', 1],
      ['nope', undefined],
      ['p0', 1],
    ]);
  });
}
