/**
 * Lock-mode conditional Put against the raw SDK (issue 11, item 3), run on
 * demand: `npm run -s bench:lock-put` (after `npm run -s build`).
 *
 * In one process, on one gofakes3 and one redis-server, sequential 1 KB
 * writes of one key each, in interleaved rounds of ROUND calls per side:
 *   - raw: @aws-sdk/client-s3 PutObject with If-Match (the etag of the
 *     previous write): the floor of a conditional write;
 *   - warm: LockedConditionsStore over S3BlobStore and a RedisCoordinator,
 *     put with ifMatch whose etag the memo beside the mutex holds
 *     (docs/adr/0010-etag-beside-the-write-lock.md): acquire + PUT + release;
 *   - cold: the same with the memo deleted from Redis before each call
 *     (untimed), as before the memo existed: acquire + HEAD + PUT + release.
 * Once on loopback and once with S3 behind bench/delay-proxy.ts (5 ms each way
 * ≈ 10 ms RTT; Redis stays on loopback, as a Redis beside the server would).
 * Writes bench/results/lock-put-<timestamp>.json and .md and prints the table.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { RedisCoordinator } from '../server/src/coordination/redis/redis-coordinator.js';
import { LockedConditionsStore } from '../server/src/storage/locked-conditions.js';
import { S3BlobStore } from '../server/src/storage/s3/s3-store.js';
import { startRedis } from '../test/harness/redis-server.js';
import { startDelayProxy } from './delay-proxy.js';
import { repoRoot, startGofakes3 } from './processes.js';
import { BENCH_S3_ENV, benchS3Client } from './smarterbase-server.js';
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';

const ITERATIONS = Number(process.env.LOCK_PUT_ITERATIONS ?? 400);
const DELAYED_ITERATIONS = Number(process.env.LOCK_PUT_DELAYED_ITERATIONS ?? 150);
const WARMUP = 20;
const ROUND = 25;
const BUCKET = 'sb-bench';
const ONE_WAY_DELAYS_MS = [0, 5];

type Op = () => Promise<unknown>;

/** A distinct 1 KB body per call (the engine's bodies are distinct per write, blob-store.ts). */
function bodyOf(i: number): Uint8Array {
  return Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(1000) }).slice(0, 1024));
}

/** Times `n` calls per side, the sides alternating every ROUND calls; returns ms samples per side. */
async function interleaved(sides: Record<string, { op: Op; before?: Op }>, n: number): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
  for (let done = 0; done < n; done += ROUND) {
    for (const [name, side] of Object.entries(sides)) {
      for (let i = 0; i < Math.min(ROUND, n - done); i++) {
        await side.before?.();
        const t = performance.now();
        await side.op();
        out[name]!.push(performance.now() - t);
      }
    }
  }
  return out;
}

/** One network: raw, warm and cold p50s. */
async function scenario(oneWayDelayMs: number, redisUrl: string): Promise<Record<string, unknown>> {
  const s3server = await startGofakes3(BUCKET);
  const proxy = oneWayDelayMs > 0 ? await startDelayProxy(s3server.port, oneWayDelayMs) : undefined;
  const endpoint = `http://127.0.0.1:${proxy?.port ?? s3server.port}`;
  const raw = benchS3Client(endpoint);
  const inner = new S3BlobStore({
    bucket: BUCKET,
    endpoint,
    forcePathStyle: true,
    region: BENCH_S3_ENV.AWS_REGION,
    accessKeyId: BENCH_S3_ENV.AWS_ACCESS_KEY_ID,
    secretAccessKey: BENCH_S3_ENV.AWS_SECRET_ACCESS_KEY,
    maxAttempts: 1,
  });
  const coordinator = await RedisCoordinator.connect({ url: redisUrl });
  const redis = new Redis(redisUrl);
  const store = new LockedConditionsStore(inner, coordinator);
  try {
    let n = 0;
    let rawEtag = (await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'raw', Body: bodyOf(n++) }))).ETag;
    let warmEtag = (await store.put('warm', bodyOf(n++))).etag;
    let coldEtag = (await store.put('cold', bodyOf(n++))).etag;
    const sides = {
      raw: {
        op: async () => {
          rawEtag = (await raw.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'raw', Body: bodyOf(n++), IfMatch: rawEtag }))).ETag;
        },
      },
      warm: {
        op: async () => {
          warmEtag = (await store.put('warm', bodyOf(n++), { ifMatch: warmEtag })).etag;
        },
      },
      cold: {
        before: () => redis.del('sb:{m:blob:cold}:memo'),
        op: async () => {
          coldEtag = (await store.put('cold', bodyOf(n++), { ifMatch: coldEtag })).etag;
        },
      },
    };
    await interleaved(sides, WARMUP);
    const samples = await interleaved(sides, oneWayDelayMs === 0 ? ITERATIONS : DELAYED_ITERATIONS);
    const s: Record<string, LatencySummary> = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, roundSummary(summarize(v))]));
    return {
      label: oneWayDelayMs === 0 ? 'loopback' : `rtt ${2 * oneWayDelayMs}ms`,
      oneWayDelayMs,
      raw: s.raw,
      warm: s.warm,
      cold: s.cold,
      warmOverRawP50: round(s.warm!.p50 / s.raw!.p50),
      coldOverRawP50: round(s.cold!.p50 / s.raw!.p50),
    };
  } finally {
    redis.disconnect();
    await coordinator.close();
    await inner.close();
    raw.destroy();
    await proxy?.close();
    await s3server.stop();
  }
}

async function main(): Promise<void> {
  const redis = await startRedis();
  try {
    const scenarios = [];
    for (const d of ONE_WAY_DELAYS_MS) scenarios.push(await scenario(d, redis.url));
    const result = {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version, loadavg1: round(loadavg()[0]!, 2) },
      parameters: { iterations: ITERATIONS, delayedIterations: DELAYED_ITERATIONS, warmup: WARMUP, round: ROUND, bodyBytes: 1024 },
      scenarios,
    };
    const lines = [
      `Lock-mode conditional Put vs raw SDK PutObject If-Match (p50 / p99 ms; ${result.when}, load ${result.machine.loadavg1})`,
      '',
      '| network | raw SDK PUT If-Match | lock, memo warm (PUT) | lock, memo cold (HEAD + PUT) | warm / raw | cold / raw |',
      '|---|---|---|---|---|---|',
      ...scenarios.map((x) => {
        const f = (v: unknown): string => `${(v as LatencySummary).p50.toFixed(2)} / ${(v as LatencySummary).p99.toFixed(2)}`;
        return `| ${String(x.label)} | ${f(x.raw)} | ${f(x.warm)} | ${f(x.cold)} | ${String(x.warmOverRawP50)} | ${String(x.coldOverRawP50)} |`;
      }),
    ];
    const dir = join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stem = join(dir, `lock-put-${result.when.replace(/[:.]/g, '-')}`);
    writeFileSync(`${stem}.json`, JSON.stringify(result, null, 2));
    writeFileSync(`${stem}.md`, `${lines.join('\n')}\n`);
    console.log(lines.join('\n'));
    console.log(`written: ${stem}.json, ${stem}.md`);
  } finally {
    await redis.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
