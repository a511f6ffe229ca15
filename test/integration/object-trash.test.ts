/**
 * ADR 0013 §8 on a real S3 server (versitygw) + Redis, across server
 * processes: replaced and deleted object data waits behind a trash marker for
 * SB_OBJECT_GRACE_MS, then the trash sweep deletes it; the orphan scan
 * removes data nothing names.
 *
 * Servers A and B serve the calls; their sweeps tick only hourly, so nothing
 * is swept while the first scenarios run and "the old data is still there"
 * does not depend on timing. Then a server K, armed to pause right after a
 * trash marker lands (failpoint objects.after-trash-marker), takes an
 * overwrite and a delete and is SIGKILLed there. Last, a sweeper server C
 * (trash sweep every 200 ms, orphan scan every second with no margin beyond
 * its 5 s SB_UPLOAD_MAX_AGE_MS, grace 10 min for its own writes) is started,
 * and the bucket is checked from outside with the raw S3 client.
 */
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { BucketView } from '../harness/object-bucket.js';
import { download, grpcObjectClient, TestBody, uploadMessages, type ObjectClient } from '../harness/object-client.js';
import { waitFor } from '../harness/redis-process.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startVersitygw } from '../harness/versitygw.js';
import { sharedStackEnv } from '../harness/stack-env.js';

const MiB = 1024 * 1024;
const HOUR = '3600000';

jest.setTimeout(180_000);

describe('object trash and orphan data on S3 (versitygw) + Redis, across server processes', () => {
  let s3: S3TestServer | undefined;
  let redis: RedisTestServer | undefined;
  let servers: ServerProcess[] = [];
  let bucket: BucketView;
  let a: ObjectClient;
  let b: ObjectClient;
  let env: Record<string, string> = {};
  const small = (text: string) => uploadMessages({ collection: 'trash', id: text.split(' ')[0]! }, [Buffer.from(text)]);

  beforeAll(async () => {
    s3 = await startVersitygw('objects-trash');
    redis = await startRedis();
    env = {
      ...sharedStackEnv({ s3: s3, redis: redis }),
      // A and B never sweep during the test (their first tick is an hour away); C does it (below).
      SB_OBJECT_GRACE_MS: '1000',
      SB_OBJECT_TRASH_SWEEP_MS: HOUR,
    };
    const started = await Promise.allSettled([0, 1].map(() => startServer(env)));
    servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    a = grpcObjectClient(servers[0]!.grpcUrl);
    b = grpcObjectClient(servers[1]!.grpcUrl);
    bucket = new BucketView(s3);
  });

  afterAll(async () => {
    bucket?.close();
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
    await redis?.stop();
    await s3?.stop();
  });

  /** Starts a download on B, reads its metadata and first data message, runs `meanwhile`, then reads the rest; the SHA-256 of all bytes. */
  async function slowDownload(id: string, meanwhile: () => Promise<void>): Promise<{ sha256: string; bytes: number }> {
    const it = b.download({ collection: 'trash', id })[Symbol.asyncIterator]();
    const hash = createHash('sha256');
    let bytes = 0;
    // The metadata message, then messages until the first data arrived: the server is now reading the old data.
    while (bytes === 0) {
      const next = await it.next();
      if (next.done === true) throw new Error('the download ended early');
      hash.update(next.value.data);
      bytes += next.value.data.byteLength;
    }
    await meanwhile();
    for (let next = await it.next(); next.done !== true; next = await it.next()) {
      hash.update(next.value.data);
      bytes += next.value.data.byteLength;
    }
    return { sha256: hash.digest('hex'), bytes };
  }

  let replacedKey = '';
  /** The data keys named before K and C wrote: k1's and k2's first versions, p's first version. */
  let kept: { k1: string; k2: string; p: string[] } | undefined;

  it('an overwrite while a slow download of the old version runs: the download ends OK with the old bytes, the old data stays (marked)', async () => {
    const old = new TestBody(32 * MiB);
    await a.upload(uploadMessages({ collection: 'trash', id: 'x' }, old.chunks()));
    [replacedKey] = await bucket.keys('_objdata/trash/x/');
    const got = await slowDownload('x', async () => {
      await a.upload(small('x the new version'));
      // No server sweeps yet, so this holds whatever the timing: the old version's data is still in the bucket.
      expect(await bucket.keys('_objdata/trash/x/')).toHaveLength(2);
    });
    expect(got).toEqual({ sha256: old.sha256(), bytes: 32 * MiB });
    expect((await download(a, { collection: 'trash', id: 'x' }, true)).body?.toString()).toBe('x the new version');
    expect((await bucket.keys('_objtrash/')).length).toBe(1);
  });

  it('a delete while a slow download runs: the download ends OK with the old bytes', async () => {
    const old = new TestBody(24 * MiB);
    await a.upload(uploadMessages({ collection: 'trash', id: 'y' }, old.chunks()));
    const got = await slowDownload('y', async () => {
      expect((await a.deleteObject({ collection: 'trash', id: 'y' })).deleted).toBe(true);
      expect(await bucket.keys('_objdata/trash/y/')).toHaveLength(1);
    });
    expect(got).toEqual({ sha256: old.sha256(), bytes: 24 * MiB });
    expect((await bucket.keys('_objtrash/')).length).toBe(2);
  });

  it('a server SIGKILLed between the trash marker and the pointer move (overwrite and delete) leaves the objects as they were', async () => {
    const k1 = (await a.upload(small('k1 first'))).object!;
    await a.upload(small('k2 first'));
    await a.upload(small('p first'));
    kept = {
      k1: (await bucket.keys('_objdata/trash/k1/'))[0]!,
      k2: (await bucket.keys('_objdata/trash/k2/'))[0]!,
      p: await bucket.keys('_objdata/trash/p/'),
    };
    const k = await startServer({ ...env, SB_FAILPOINTS: 'objects.after-trash-marker=pause' });
    servers.push(k);
    const kc = grpcObjectClient(k.grpcUrl);
    const calls = [
      kc.upload(small('k1 second')).catch((e: unknown) => e),
      kc.deleteObject({ collection: 'trash', id: 'k2' }).catch((e: unknown) => e),
    ];
    // Both calls hold at the failpoint once their markers landed (2 markers before, 4 then).
    await waitFor('both markers of K', async () => (await bucket.keys('_objtrash/')).length === 4, 60_000, 100);
    await k.stop('SIGKILL');
    for (const r of await Promise.all(calls)) expect(r).toBeInstanceOf(Error);
    expect((await a.statObject({ collection: 'trash', id: 'k1' })).object?.etag).toBe(k1.etag);
    expect((await a.statObject({ collection: 'trash', id: 'k2' })).object).toBeDefined();
    // The current data and K's new data, which no pointer names (an orphan for the scan); k2's data untouched.
    expect(await bucket.keys('_objdata/trash/k1/')).toEqual(expect.arrayContaining([kept!.k1]));
    expect(await bucket.keys('_objdata/trash/k1/')).toHaveLength(2);
    expect(await bucket.keys('_objdata/trash/k2/')).toEqual([kept!.k2]);
  });

  it('the sweeps: due trash deleted, markers of moves that never happened dropped, orphans removed; named and pending-marked data kept', async () => {
    const c = await startServer({
      ...env,
      SB_OBJECT_GRACE_MS: '600000',
      SB_OBJECT_TRASH_SWEEP_MS: '200',
      SB_OBJECT_ORPHAN_SCAN_MS: '1000',
      SB_OBJECT_ORPHAN_MARGIN_MS: '0',
      SB_UPLOAD_MAX_AGE_MS: '5000',
    });
    servers.push(c);
    const cc = grpcObjectClient(c.grpcUrl);
    // Through C (grace 10 min): p's first version is named only by a pending marker from now on.
    await cc.upload(small('p second'));
    // Debris a crash could leave, written past the server with a version id of an hour ago.
    const orphan = `_objdata/trash/orphan/${uuidv7({ msecs: Date.now() - 3_600_000 })}`;
    await bucket.put(orphan, Buffer.from('left behind'));
    // Hang guard, not a timing claim: C's rounds run every 200 ms and 1 s; K's orphan must first be 5 s old.
    await waitFor(
      'the trash sweep and the orphan scan',
      async () =>
        !(await bucket.keys('_objdata/trash/orphan/')).includes(orphan) &&
        (await bucket.keys('_objdata/trash/k1/')).length === 1 &&
        (await bucket.keys('_objdata/trash/y/')).length === 0 &&
        (await bucket.keys('_objtrash/')).length === 1,
      90_000,
      200,
    );
    const x = await bucket.keys('_objdata/trash/x/');
    expect(x).toHaveLength(1);
    expect(x).not.toContain(replacedKey);
    // K's markers were dropped, the data their pointers still name kept; K's unnamed new data went to the orphan scan.
    expect(await bucket.keys('_objdata/trash/k1/')).toEqual([kept!.k1]);
    expect(await bucket.keys('_objdata/trash/k2/')).toEqual([kept!.k2]);
    expect((await download(cc, { collection: 'trash', id: 'k1' }, true)).body?.toString()).toBe('k1 first');
    expect((await download(cc, { collection: 'trash', id: 'k2' }, true)).body?.toString()).toBe('k2 first');
    // p: the first version (pending marker, due in 10 min) and the current one both stay through the scans.
    const p = await bucket.keys('_objdata/trash/p/');
    expect(p).toHaveLength(2);
    expect(p).toEqual(expect.arrayContaining(kept!.p));
    expect((await download(cc, { collection: 'trash', id: 'p' }, true)).body?.toString()).toBe('p second');
    expect(await bucket.keys('_objdata/trash/orphan/')).toEqual([]);
    expect(await bucket.openUploads('_objdata/')).toEqual([]);
  });
});
