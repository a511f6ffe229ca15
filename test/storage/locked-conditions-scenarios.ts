/**
 * LockedConditionsStore across independent instances, written once and run
 * on a single redis-server (locked-conditions-redis.test.ts) and on a Redis
 * Cluster (test/cluster/cluster-stores.test.ts): 4 stores, each with its own
 * S3 client (gofakes3) and its own coordinator connection, as 4 server
 * replicas would have. The inner writes are unconditional, so only the Redis
 * mutex can make these races come out exact.
 */
import type { Coordinator } from '../../server/src/coordination/coordinator.js';
import { ConditionFailedError, type BlobStore } from '../../server/src/storage/blob-store.js';
import { LockedConditionsStore } from '../../server/src/storage/locked-conditions.js';
import { S3BlobStore } from '../../server/src/storage/s3/s3-store.js';
import type { S3TestServer } from '../harness/s3-server.js';

/** How many independent replicas race. */
export const REPLICAS = 4;

/** An S3 client of `s3` (its own connection pool), keys under `prefix`. */
export function s3Client(s3: S3TestServer, prefix = ''): S3BlobStore {
  return new S3BlobStore({
    bucket: s3.bucket,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    accessKeyId: 'test',
    secretAccessKey: 'test',
    ...(prefix !== '' ? { prefix } : {}),
  });
}

/** The winners of a race; every loser must have failed its condition. */
export function wins(rs: PromiseSettledResult<unknown>[]): number {
  for (const r of rs) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConditionFailedError);
  return rs.filter((r) => r.status === 'fulfilled').length;
}

/**
 * Registers the race scenarios in the current describe block. `s3` returns the
 * running S3 server (called in beforeAll); `connect` opens one replica's
 * coordinator connection (closed in afterAll).
 */
export function lockedConditionsScenarios(s3: () => S3TestServer, connect: () => Promise<Coordinator>): void {
  const closers: Array<() => Promise<void>> = [];
  let replicas: BlobStore[] = [];

  beforeAll(async () => {
    replicas = await Promise.all(
      Array.from({ length: REPLICAS }, async () => {
        const inner = s3Client(s3(), 'races/');
        const coordinator = await connect();
        closers.push(
          () => inner.close(),
          () => coordinator.close(),
        );
        return new LockedConditionsStore(inner, coordinator, { waitMs: 20_000 });
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(closers.splice(0).map((c) => c()));
  });

  const at = (i: number): BlobStore => replicas[i % REPLICAS] as BlobStore;
  const settle = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.allSettled(Array.from({ length: n }, (_, i) => fn(i)));

  it('16 creates of one key across replicas → exactly one wins', async () => {
    const rs = await settle(16, (i) => at(i).put('docs/r/create', Buffer.from(`{"w":${i}}`), { ifNoneMatch: true }));
    expect(wins(rs)).toBe(1);
  });

  it('16 updates with one etag across replicas → exactly one wins, and its etag is stored', async () => {
    const base = await at(0).put('docs/r/update', Buffer.from('{"base":1}'));
    const rs = await settle(16, (i) => at(i).put('docs/r/update', Buffer.from(`{"w":${i}}`), { ifMatch: base.etag }));
    expect(wins(rs)).toBe(1);
    const won = rs.find((r) => r.status === 'fulfilled') as PromiseFulfilledResult<{ etag: string }>;
    expect((await at(1).head('docs/r/update'))?.etag).toBe(won.value.etag);
  });

  it('8 conditional deletes racing 8 conditional updates on one etag → exactly one of the 16 succeeds', async () => {
    const base = await at(0).put('docs/r/mixed', Buffer.from('{"base":2}'));
    const rs = await settle<unknown>(16, (i) =>
      i % 2 === 0
        ? at(i).delete('docs/r/mixed', { ifMatch: base.etag })
        : at(i).put('docs/r/mixed', Buffer.from(`{"w":${i}}`), { ifMatch: base.etag }),
    );
    expect(wins(rs)).toBe(1);
  });

  it('a conditional delete with a wrong etag is refused and the object survives (gofakes3 alone would delete it)', async () => {
    const meta = await at(0).put('docs/r/keep', Buffer.from('{"k":1}'));
    await expect(at(1).delete('docs/r/keep', { ifMatch: `${meta.etag}x` })).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await at(2).head('docs/r/keep'))?.etag).toBe(meta.etag);
  });
}
