/**
 * The cost of the drift monitor (issue 10), run on demand:
 * `npm run build && npm run bench:index-drift -- [--docs N] [--samples 100,1000,all] [--rounds R] [--rounds-whole W] [--ids v7|v4] [--fault-every K]`.
 *
 * On one gofakes3 (memory backend) and one redis-server, in this process:
 * N documents (default 10,000; ids as the server makes them, UUIDv7, or
 * random v4 with --ids v4) with a unique, an equality and an ordered index,
 * built. Then per sample size, a DriftMonitor (its real code: runOnce,
 * without the lease) is timed for R rounds (W for a sample of the whole
 * collection, default 3), each followed by the baseline:
 * the raw SDK GetObject of exactly the documents that run read, 16 at a
 * time (the monitor's read concurrency), so background noise hits both
 * alike. Per round: wall time, this process's CPU time, S3 requests by
 * operation (counted at the BlobStore), Redis round trips (counted on the
 * store's connection) and commands executed (INFO commandstats, scripts'
 * inner commands included). Twice: on a clean index, and on a faulty one —
 * before each round, for every K-th document (default 20), its entries are
 * deleted, and a stale entry set is added for a document that does not
 * exist (a delete whose index apply was lost) — so the run finds and
 * repairs. Writes bench/results/index-drift-<ts>.json and .md.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { setMaxListeners } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import { systemClock, systemRandom } from '../server/src/common/clock.js';
import { documentKey } from '../server/src/format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../server/src/format/envelope.js';
import { IndexAdmin } from '../server/src/index/index-admin.js';
import { DriftMonitor } from '../server/src/index/index-drift-monitor.js';
import { RedisIndexStore } from '../server/src/index/redis/redis-index-store.js';
import type { BlobStore } from '../server/src/storage/blob-store.js';
import { S3BlobStore } from '../server/src/storage/s3/s3-store.js';
import { startRedis } from '../test/harness/redis-server.js';
import { faultPlan, setEntries, type BenchDoc } from './drift-faults.js';
import { formatDriftTable, summarizeDrift, type DriftRound, type DriftSummary, type RawRound } from './drift-report.js';
import { repoRoot, startGofakes3 } from './processes.js';
import { round } from './stats.js';

const BUCKET = 'drift-bench';
const C = 'users';
/** settle()'s read concurrency (index-settle.ts), used by the baseline too. */
const WIDTH = 16;

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

/** S3 requests by operation, and the distinct keys read, of a BlobStore. */
function countingStore(inner: BlobStore): { store: BlobStore; ops: Record<string, number>; gets: Set<string>; reset(): void } {
  const c = { ops: {} as Record<string, number>, gets: new Set<string>() };
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      const op = String(prop);
      if (typeof v !== 'function' || !['get', 'head', 'put', 'delete', 'list'].includes(op)) return v;
      return (...args: unknown[]) => {
        c.ops[op] = (c.ops[op] ?? 0) + 1;
        if (op === 'get') c.gets.add(args[0] as string);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return {
    store,
    get ops() {
      return c.ops;
    },
    gets: c.gets,
    reset() {
      c.ops = {};
      c.gets.clear();
    },
  };
}

/** Total calls of every command in INFO commandstats. */
async function redisCalls(raw: Redis): Promise<number> {
  const info = await raw.info('commandstats');
  let sum = 0;
  for (const m of info.matchAll(/cmdstat_[^:]+:calls=(\d+)/g)) sum += Number(m[1]);
  return sum;
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

async function main(): Promise<void> {
  const n = Number(flag('docs', '10000'));
  const rounds = Number(flag('rounds', '5'));
  const roundsWhole = Number(flag('rounds-whole', '3')); // a sample of the whole collection takes seconds per round
  const every = Number(flag('fault-every', '20'));
  const idKind = flag('ids', 'v7');
  const samples = flag('samples', '100,1000,all')
    .split(',')
    .map((s) => (s === 'all' ? n : Number(s)));
  setMaxListeners(1024); // as main.ts: the monitor's reads share one abort signal, 16 at a time
  const load0 = loadavg().map((l) => round(l, 2));
  const s3proc = await startGofakes3(BUCKET);
  const redis = await startRedis();
  const s3 = new S3BlobStore({
    bucket: BUCKET,
    endpoint: `http://127.0.0.1:${s3proc.port}`,
    forcePathStyle: true,
    region: 'us-east-1',
    accessKeyId: 'bench',
    secretAccessKey: 'bench',
  });
  const conn = new Redis(redis.url);
  const trips = { n: 0 };
  const send = conn.sendCommand.bind(conn);
  conn.sendCommand = ((...a: Parameters<typeof send>) => {
    trips.n++;
    return send(...a);
  }) as typeof conn.sendCommand;
  const indexes = RedisIndexStore.attach(conn);
  const raw = new Redis(redis.url);
  const counted = countingStore(s3);
  const summaries: DriftSummary[] = [];
  const ctx = { signal: new AbortController().signal };
  try {
    const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
    const docs: BenchDoc[] = Array.from({ length: n }, (_, i) => ({
      id: idKind === 'v4' ? uuidv4() : uuidv7(),
      data: { email: `e${i}@x`, city: `c${i % 50}`, age: i % 90, name: `user ${i}`, pad: 'p'.repeat(120) },
    }));
    const t0 = performance.now();
    await pool(n, 64, (i) => s3.put(documentKey(C, docs[i]!.id), encodeEnvelope({ meta, data: docs[i]!.data })));
    const admin = new IndexAdmin({ indexes, store: s3 });
    await admin.createIndex(ctx, { collection: C, name: 'by_email', kind: 'unique', fields: ['email'] });
    await admin.createIndex(ctx, { collection: C, name: 'by_city', kind: 'equality', fields: ['city'] });
    await admin.createIndex(ctx, { collection: C, name: 'by_age', kind: 'ordered', fields: ['age'] });
    await admin.whenIdle();
    await admin.close();
    const catalog = await indexes.catalog(C);
    if (catalog.indexes.some((i) => i.state !== 'ready')) throw new Error('indexes not READY');
    const setupMs = performance.now() - t0;
    const plan = faultPlan(docs, every);

    const ours = async (monitor: DriftMonitor): Promise<DriftRound> => {
      counted.reset();
      const [trips0, c0] = [trips.n, await redisCalls(raw)];
      const cpu0 = process.cpuUsage();
      const t = performance.now();
      const runs = await monitor.runOnce();
      const wallMs = performance.now() - t;
      const cpu = process.cpuUsage(cpu0);
      const redisTrips = trips.n - trips0;
      const c1 = await redisCalls(raw);
      const r = runs?.[0];
      if (r === undefined) throw new Error('the monitor did not run');
      return {
        wallMs,
        cpuMs: (cpu.user + cpu.system) / 1000,
        docs: counted.gets.size,
        s3: { ...counted.ops },
        redisTrips,
        redisCommands: c1 - c0 - 1, // minus the first INFO itself
        missing: r.missing,
        stale: r.stale,
        repaired: r.repaired,
      };
    };
    const baseline = async (keys: readonly string[]): Promise<RawRound> => {
      const cpu0 = process.cpuUsage();
      const t = performance.now();
      for (let i = 0; i < keys.length; i += WIDTH) {
        await Promise.all(
          keys.slice(i, i + WIDTH).map(async (key) => {
            try {
              const got = await s3.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
              await got.Body?.transformToByteArray();
            } catch (e) {
              if ((e as { name?: string }).name !== 'NoSuchKey') throw e; // an absent document: read like the monitor reads it
            }
          }),
        );
      }
      const wallMs = performance.now() - t;
      const cpu = process.cpuUsage(cpu0);
      return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, gets: keys.length };
    };

    for (const sample of samples) {
      const monitor = new DriftMonitor({
        indexes,
        store: counted.store,
        collections: () => [C],
        clock: systemClock,
        random: systemRandom,
        intervalMs: 300_000,
        sample,
        repairThreshold: 0,
      });
      for (const index of ['clean', 'faulty'] as const) {
        const o: DriftRound[] = [];
        const b: RawRound[] = [];
        const over = new Set<string>();
        const first = summaries.length === 0;
        for (let r = first ? -1 : 0; r < (sample >= n ? roundsWhole : rounds); r++) {
          if (index === 'faulty') await setEntries(indexes, C, catalog, plan.corrupt, WIDTH);
          const got = await ours(monitor);
          const keys = [...counted.gets];
          const base = await baseline(keys);
          if (r < 0) continue; // warm-up, once: connections opened, scripts loaded
          o.push(got);
          b.push(base);
          for (const k of keys) over.add(k);
        }
        if (index === 'faulty') await setEntries(indexes, C, catalog, plan.heal, WIDTH);
        const s = { ...summarizeDrift(sample, index, o, b), docsOverRounds: over.size };
        summaries.push(s);
        console.log(`sample ${sample}, ${index}: ${s.docs} docs read, ${s.runMs} ms/run, ratio ${s.wallRatio}`);
      }
      await monitor.close();
    }
    const result = {
      bench: 'index-drift',
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, loadavgStart: load0, loadavgEnd: loadavg().map((l) => round(l, 2)) },
      docs: n,
      ids: idKind === 'v4' ? 'uuid v4 (random)' : 'uuid v7 (time-ordered, as the server makes them)',
      indexes: ['unique', 'equality', 'ordered'],
      rounds,
      roundsWhole,
      faultyDocsPerRound: plan.corrupt.length / 2,
      setupMs: round(setupMs, 0),
      summaries,
    };
    const md = [
      `Drift monitor cost, ${result.date}: ${n} documents (${result.ids}), 3 indexes, gofakes3 + redis-server,`,
      `${rounds} interleaved rounds per row (ours, raw, ours, raw…), ${result.machine.cpus} CPUs, load ${load0.join(' / ')} → ${result.machine.loadavgEnd.join(' / ')}.`,
      `Faulty: before each round ${result.faultyDocsPerRound} documents lose their 3 entries and ${result.faultyDocsPerRound} absent documents get 3 stale entries.`,
      '',
      formatDriftTable(summaries),
      '',
    ].join('\n');
    const dir = join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stamp = result.date.replace(/[:.]/g, '-');
    writeFileSync(join(dir, `index-drift-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
    writeFileSync(join(dir, `index-drift-${stamp}.md`), md);
    process.stdout.write(md);
  } finally {
    await indexes.close();
    conn.disconnect();
    raw.disconnect();
    await s3.close();
    await redis.stop();
    await s3proc.stop();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
