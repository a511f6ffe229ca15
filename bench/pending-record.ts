/**
 * The cost of the pending-index record (docs/adr/0008), run on demand:
 * `npx tsc -p tsconfig.json && node dist/bench/pending-record.js [--iterations N]`.
 *
 * Two DocumentEngines in this process on the same gofakes3 (S3) and
 * redis-server, each writing its own collection with an equality, a unique
 * and an ordered index: "with" records every write as pending (nextSeq with
 * the id, cleared by the apply script), "without" takes its seq as before
 * the record existed. Puts (updates of 100 documents, ~200 B) alternate
 * between the two, one in flight, so background load hits both alike. Per
 * variant: Put latency p50/p99, Redis round trips per Put (counted on each
 * engine's own connection), Redis commands executed per Put (INFO
 * commandstats, scripts' inner commands included; a separate phase per
 * variant) and S3 requests per Put. Writes bench/results/pending-<ts>.json
 * and .md and prints the table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { startRedis } from '../test/harness/redis-server.js';
import { startGofakes3, repoRoot } from './processes.js';
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';
import { S3BlobStore } from '../server/src/storage/s3/s3-store.js';
import type { BlobStore } from '../server/src/storage/blob-store.js';
import { RedisIndexStore } from '../server/src/index/redis/redis-index-store.js';
import type { IndexStore } from '../server/src/index/index-store.js';
import { IndexWriteHooks } from '../server/src/index/write-hooks.js';
import { DocumentEngine } from '../server/src/engine/document-engine.js';
import { LocalCoordinator } from '../server/src/coordination/local/local-coordinator.js';

type Variant = 'with' | 'without';
const VARIANTS: readonly Variant[] = ['with', 'without'];
const DOCS = 100;
const BUCKET = 'bench-pending';

/** Counts the requests of every method of a BlobStore. */
function countingStore(inner: BlobStore, counts: { n: number }): BlobStore {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof v !== 'function' || !['get', 'head', 'put', 'delete', 'list'].includes(String(prop))) return v;
      return (...args: unknown[]) => {
        counts.n++;
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** The same store taking its seqs without a pending record (the code before ADR 0008). */
function withoutPending(inner: IndexStore): IndexStore {
  return Object.assign(Object.create(inner) as IndexStore, { nextSeq: (c: string) => inner.nextSeq(c) });
}

/** Total calls of every command in INFO commandstats. */
async function redisCalls(raw: Redis): Promise<number> {
  const info = await raw.info('commandstats');
  let sum = 0;
  for (const m of info.matchAll(/cmdstat_[^:]+:calls=(\d+)/g)) sum += Number(m[1]);
  return sum;
}

async function main(): Promise<void> {
  const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1] || 1000);
  const s3 = await startGofakes3(BUCKET);
  const redis = await startRedis();
  const raw = new Redis(redis.url);
  const ctx = { signal: new AbortController().signal };
  try {
    const setups = await Promise.all(
      VARIANTS.map(async (variant) => {
        const conn = new Redis(redis.url);
        const trips = { n: 0 };
        const send = conn.sendCommand.bind(conn);
        conn.sendCommand = ((...a: Parameters<typeof send>) => {
          trips.n++;
          return send(...a);
        }) as typeof conn.sendCommand;
        const indexes = RedisIndexStore.attach(conn);
        const s3Requests = { n: 0 };
        const store = countingStore(
          new S3BlobStore({
            bucket: BUCKET,
            endpoint: `http://127.0.0.1:${s3.port}`,
            forcePathStyle: true,
            accessKeyId: 'x',
            secretAccessKey: 'x',
          }),
          s3Requests,
        );
        const hooks = new IndexWriteHooks(variant === 'with' ? indexes : withoutPending(indexes));
        const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store, hooks });
        const collection = `bench_${variant}`;
        for (const [name, kind, field] of [
          ['by_status', 'equality', 'status'],
          ['by_email', 'unique', 'email'],
          ['by_n', 'ordered', 'n'],
        ] as const) {
          await indexes.createIndex({ collection, name, kind, fields: [field] }, new Date());
          await indexes.setIndexState(collection, name, { state: 'ready' });
        }
        let k = 0;
        const put = () => {
          k++;
          const id = `d${k % DOCS}`;
          return engine.put(ctx, {
            collection,
            id,
            data: { status: ['a', 'b', 'c'][k % 3]!, email: `${id}-${k}@x`, n: k, pad: 'p'.repeat(120) },
          });
        };
        for (let i = 0; i < DOCS; i++) await put(); // every document exists: the measured Puts are updates
        return { variant, conn, trips, s3Requests, put, samples: [] as number[] };
      }),
    );

    // Interleaved latency, rotating which variant goes first.
    for (let i = 0; i < 100 + iterations; i++) {
      for (let j = 0; j < setups.length; j++) {
        const s = setups[(i + j) % setups.length]!;
        const t = performance.now();
        await s.put();
        if (i >= 100) s.samples.push(performance.now() - t);
      }
    }
    const counted = new Map<Variant, { roundTrips: number; redisCommands: number; s3Requests: number }>();
    for (const s of setups) {
      const n = 200;
      const [t0, s0, c0] = [s.trips.n, s.s3Requests.n, await redisCalls(raw)];
      for (let i = 0; i < n; i++) await s.put();
      const c1 = await redisCalls(raw);
      counted.set(s.variant, {
        roundTrips: round((s.trips.n - t0) / n, 2),
        redisCommands: round((c1 - c0 - 1) / n, 2), // minus the first INFO itself
        s3Requests: round((s.s3Requests.n - s0) / n, 2),
      });
    }
    const figures = Object.fromEntries(
      setups.map((s) => [s.variant, { latencyMs: roundSummary(summarize(s.samples)), ...counted.get(s.variant)! }]),
    ) as Record<Variant, { latencyMs: LatencySummary } & { roundTrips: number; redisCommands: number; s3Requests: number }>;
    const result = {
      date: new Date().toISOString(),
      iterations,
      machine: { cpus: cpus().length, loadavg: loadavg().map((l) => round(l, 2)) },
      figures,
      ratioP50: round(figures.with.latencyMs.p50 / figures.without.latencyMs.p50, 3),
      ratioP99: round(figures.with.latencyMs.p99 / figures.without.latencyMs.p99, 3),
    };
    const md = [
      `Pending-index record cost, ${result.date}, ${iterations} interleaved Puts per variant, load ${result.machine.loadavg.join(' / ')} on ${result.machine.cpus} CPUs`,
      '',
      '| Put (update, 3 indexes) on S3 + Redis | p50 ms | p99 ms | Redis round trips / Put | Redis commands / Put | S3 requests / Put |',
      '|---|---:|---:|---:|---:|---:|',
      ...VARIANTS.map((v) => {
        const f = figures[v];
        return `| ${v} pending record | ${f.latencyMs.p50} | ${f.latencyMs.p99} | ${f.roundTrips} | ${f.redisCommands} | ${f.s3Requests} |`;
      }),
      '',
      `Ratio with / without: p50 ${result.ratioP50}, p99 ${result.ratioP99}.`,
      '',
    ].join('\n');
    const dir = join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = result.date.replace(/[:.]/g, '-');
    writeFileSync(join(dir, `pending-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(dir, `pending-${stamp}.md`), md);
    process.stdout.write(md);
    for (const s of setups) s.conn.disconnect();
  } finally {
    raw.disconnect();
    await redis.stop();
    await s3.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
