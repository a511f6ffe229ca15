/**
 * The issue-10 rebuild benchmark, run on demand:
 * `npm run build && npm run bench:index-rebuild -- [--docs N] [--concurrency 16,64] [--s3-delay-ms D]`.
 * On one gofakes3 (memory backend) and one redis-server, in process:
 *   1. N documents (default 100,000) are written to S3, and three indexes
 *      (unique, equality, ordered) created and built;
 *   2. per concurrency: Redis restarts empty, then the time from the
 *      reconcile that restores the definitions until every index is READY
 *      (one pass over the collection fills all three), and its rate;
 *   3. the baseline, in the same run at the same concurrency: the raw SDK
 *      LISTing the collection and GETting every document (no decoding, no
 *      Redis), and the ratio rebuild / baseline.
 * With --s3-delay-ms D, the rebuild and the baseline reach S3 through a
 * proxy adding D ms each way (delay-proxy.ts: a remote S3's round trip).
 * Writes bench/results/index-rebuild-<timestamp>.json and prints a table.
 */
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { documentKey } from '../server/src/format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../server/src/format/envelope.js';
import { IndexAdmin } from '../server/src/index/index-admin.js';
import { RedisIndexStore } from '../server/src/index/redis/redis-index-store.js';
import { S3BlobStore } from '../server/src/storage/s3/s3-store.js';
import { startRedis, type RedisTestServer } from '../test/harness/redis-server.js';
import { startDelayProxy } from './delay-proxy.js';
import { repoRoot, startGofakes3 } from './processes.js';
import { round } from './stats.js';

const BUCKET = 'rebuild-bench';
const COLLECTION = 'users';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** Runs `op` on 0..n-1, `width` at a time. */
async function pool(n: number, width: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await op(next++);
    }),
  );
}

/** LIST the collection and GET every document with the raw SDK, `width` GETs at a time; ms. */
async function rawBaseline(s3: S3BlobStore, width: number): Promise<number> {
  const t = performance.now();
  let token: string | undefined;
  do {
    const page = await s3.client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `docs/${COLLECTION}/`, MaxKeys: 500, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).map((o) => o.Key!);
    await pool(keys.length, width, async (i) => {
      const got = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: keys[i] }));
      await got.Body?.transformToByteArray();
    });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return performance.now() - t;
}

/** Restarts Redis empty on its port and waits for the store to answer. */
async function restartEmpty(redis: RedisTestServer, indexes: RedisIndexStore): Promise<RedisTestServer> {
  const port = redis.port;
  await redis.stop();
  const fresh = await startRedis(port);
  for (let i = 0; i < 200; i++) {
    try {
      await indexes.catalog('warmup');
      return fresh;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error('the index store did not reconnect');
}

async function main(): Promise<void> {
  const docs = Number(flag('docs', '100000'));
  const widths = flag('concurrency', '16,64').split(',').map(Number);
  const s3proc = await startGofakes3(BUCKET);
  let redis = await startRedis();
  const delayMs = Number(flag('s3-delay-ms', '0'));
  const proxy = delayMs > 0 ? await startDelayProxy(s3proc.port, delayMs) : undefined;
  const open = (port: number): S3BlobStore =>
    new S3BlobStore({
      bucket: BUCKET,
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      region: 'us-east-1',
      accessKeyId: 'bench',
      secretAccessKey: 'bench',
    });
  const s3 = open(s3proc.port);
  // What the rebuild and the baseline read through: S3 itself, or the delaying proxy.
  const reads = proxy ? open(proxy.port) : s3;
  const indexes = await RedisIndexStore.connect({ url: redis.url });
  const runs: {
    concurrency: number;
    rebuildMs: number;
    docsPerSec: number;
    baselineMs: number;
    baselineDocsPerSec: number;
    ratio: number;
  }[] = [];
  try {
    const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
    const t0 = performance.now();
    await pool(docs, 64, (i) =>
      s3.put(
        documentKey(COLLECTION, `u${String(i).padStart(7, '0')}`),
        encodeEnvelope({ meta, data: { email: `e${i}@x`, city: `c${i % 50}`, age: i % 90 } }),
      ),
    );
    const loadMs = performance.now() - t0;
    const ctx = { signal: new AbortController().signal };
    for (const concurrency of widths) {
      const admin = new IndexAdmin({ indexes, store: reads, build: { concurrency } });
      if (runs.length === 0) {
        await admin.createIndex(ctx, { collection: COLLECTION, name: 'by_email', kind: 'unique', fields: ['email'] });
        await admin.createIndex(ctx, { collection: COLLECTION, name: 'by_city', kind: 'equality', fields: ['city'] });
        await admin.createIndex(ctx, { collection: COLLECTION, name: 'by_age', kind: 'ordered', fields: ['age'] });
        await admin.whenIdle();
      }
      redis = await restartEmpty(redis, indexes);
      const t = performance.now();
      await admin.reconcile();
      await admin.whenIdle();
      const rebuildMs = performance.now() - t;
      const states = (await indexes.catalog(COLLECTION)).indexes.map((i) => i.state);
      await admin.close();
      if (states.length !== 3 || states.some((s) => s !== 'ready')) throw new Error(`indexes not READY: ${states.join(',')}`);
      const baselineMs = await rawBaseline(reads, concurrency);
      runs.push({
        concurrency,
        rebuildMs: round(rebuildMs, 0),
        docsPerSec: round((docs * 1000) / rebuildMs, 0),
        baselineMs: round(baselineMs, 0),
        baselineDocsPerSec: round((docs * 1000) / baselineMs, 0),
        ratio: round(rebuildMs / baselineMs, 2),
      });
    }
    const report = {
      bench: 'index-rebuild',
      date: new Date().toISOString(),
      cpus: cpus().length,
      docs,
      indexes: 3,
      s3OneWayDelayMs: delayMs,
      loadMs: round(loadMs, 0),
      runs,
    };
    const dir = join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `index-rebuild-${report.date.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2) + '\n');
    console.log(
      `index rebuild after Redis restarted empty: ${docs} documents, 3 indexes (gofakes3 + redis-server, S3 delay ${delayMs} ms each way, ${cpus().length} CPUs)`,
    );
    console.log('| concurrency | time to READY (ms) | docs/s | raw LIST+GET (ms) | raw docs/s | ratio |');
    console.log('|---|---|---|---|---|---|');
    for (const r of runs)
      console.log(`| ${r.concurrency} | ${r.rebuildMs} | ${r.docsPerSec} | ${r.baselineMs} | ${r.baselineDocsPerSec} | ${r.ratio} |`);
    console.log(`written ${file}`);
  } finally {
    await indexes.close();
    if (reads !== s3) await reads.close();
    await s3.close();
    await proxy?.close();
    await redis.stop();
    await s3proc.stop();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
