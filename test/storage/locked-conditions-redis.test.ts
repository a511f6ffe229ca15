/**
 * LockedConditionsStore across independent instances: 4 stores, each with its
 * own S3 client (gofakes3) and its own Redis connection (real redis-server),
 * as 4 server replicas would have. The inner writes are unconditional, so
 * only the Redis mutex can make these races come out exact.
 */
import { ConditionFailedError, type BlobStore } from '../../server/src/storage/blob-store.js';
import { LockedConditionsStore } from '../../server/src/storage/locked-conditions.js';
import { S3BlobStore } from '../../server/src/storage/s3/s3-store.js';
import { RedisCoordinator } from '../../server/src/coordination/redis/redis-coordinator.js';
import { startS3Server, type S3TestServer } from '../harness/s3-server.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';

const REPLICAS = 4;

describe('LockedConditionsStore over gofakes3 with a RedisCoordinator per replica', () => {
  let s3: S3TestServer;
  let redis: RedisTestServer;
  const closers: Array<() => Promise<void>> = [];
  let replicas: BlobStore[] = [];

  beforeAll(async () => {
    [s3, redis] = await Promise.all([startS3Server('locked'), startRedis()]);
    replicas = await Promise.all(
      Array.from({ length: REPLICAS }, async () => {
        const inner = new S3BlobStore({
          bucket: s3.bucket,
          endpoint: s3.endpoint,
          forcePathStyle: true,
          accessKeyId: 'test',
          secretAccessKey: 'test',
        });
        const coordinator = await RedisCoordinator.connect({ url: redis.url });
        closers.push(
          () => inner.close(),
          () => coordinator.close(),
        );
        return new LockedConditionsStore(inner, coordinator, { waitMs: 20_000 });
      }),
    );
  });

  afterAll(async () => {
    await Promise.all(closers.map((c) => c()));
    await Promise.all([s3?.stop(), redis?.stop()]);
  });

  const at = (i: number): BlobStore => replicas[i % REPLICAS] as BlobStore;
  const settle = <T>(n: number, fn: (i: number) => Promise<T>) => Promise.allSettled(Array.from({ length: n }, (_, i) => fn(i)));
  const wins = (rs: PromiseSettledResult<unknown>[]): number => {
    for (const r of rs) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConditionFailedError);
    return rs.filter((r) => r.status === 'fulfilled').length;
  };

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
});
