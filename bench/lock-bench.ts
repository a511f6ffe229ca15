/**
 * The issue-4 lock benchmark, run on demand: `node dist/bench/lock-bench.js`.
 * On a real redis-server and our server (memory storage, Redis coordination),
 * in the same run:
 *   - uncontended Acquire + Release latency through our gRPC port (sequential),
 *     beside the same pair of operations done directly on Redis with ioredis
 *     (SET NX PX + compare-and-delete Lua), the floor any Redis lock pays;
 *   - throughput of uncontended acquire+release pairs with N clients on
 *     distinct lock names.
 * Writes bench/results/locks-<timestamp>.json and prints a short table.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { LockService } from '../clients/ts/src/gen/smarterbase/v1/lock_service_pb.js';
import { startRedis } from '../test/harness/redis-server.js';
import { repoRoot, serverMainPath, startListening } from './processes.js';
import { round, roundSummary, summarize } from './stats.js';

const ITERATIONS = Number(process.env.LOCK_BENCH_ITERATIONS ?? 2000);
const SECONDS = Number(process.env.LOCK_BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.LOCK_BENCH_CONCURRENCY ?? 16);
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`;

async function timeEach(n: number, op: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op();
    out.push(performance.now() - t);
  }
  return out;
}

async function throughput(workers: number, seconds: number, op: (w: number) => Promise<unknown>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (performance.now() < end) {
        await op(w);
        done++;
      }
    }),
  );
  return done / seconds;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const server = await startListening(serverMainPath(), [
    '--storage',
    'memory',
    '--coordination',
    'redis',
    '--redis-url',
    redis.url,
    '--grpc-port',
    '0',
    '--http-port',
    '0',
    '--metrics-port',
    '0',
  ]);
  const raw = new Redis(redis.url);
  try {
    const locks = createClient(LockService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }));
    const ttl = { seconds: 10n, nanos: 0 };
    const ours = async (name: string) => {
      const g = await locks.acquire({ name, ttl, holder: 'bench' });
      await locks.release({ name, leaseId: g.leaseId });
    };
    const direct = async (name: string) => {
      const token = randomUUID();
      await raw.set(`bench:${name}`, token, 'PX', 10_000, 'NX');
      await raw.eval(RELEASE, 1, `bench:${name}`, token);
    };
    await timeEach(300, () => ours('warm'));
    await timeEach(300, () => direct('warm'));
    // Interleave the two sides in slices so background load hits both alike.
    const oursLat: number[] = [];
    const directLat: number[] = [];
    for (let r = 0; r < 4; r++) {
      oursLat.push(...(await timeEach(ITERATIONS / 4, () => ours('seq'))));
      directLat.push(...(await timeEach(ITERATIONS / 4, () => direct('seq'))));
    }
    const oursTput = await throughput(CONCURRENCY, SECONDS, (w) => ours(`t${w}`));
    const directTput = await throughput(CONCURRENCY, SECONDS, (w) => direct(`t${w}`));
    const o = roundSummary(summarize(oursLat));
    const d = roundSummary(summarize(directLat));
    const result = {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      parameters: { iterations: ITERATIONS, seconds: SECONDS, concurrency: CONCURRENCY },
      acquireRelease: { ours: o, redisDirect: d, p50Ratio: round(o.p50 / d.p50) },
      throughputPairsPerSecond: { ours: round(oursTput, 0), redisDirect: round(directTput, 0), ratio: round(oursTput / directTput) },
    };
    const dir = join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `locks-${result.when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2));
    console.log(`Uncontended Acquire+Release (sequential, ${ITERATIONS} pairs)   p50 ms   p99 ms`);
    console.log(`  SmarterBase LockService over gRPC                ${o.p50.toFixed(3).padStart(7)}  ${o.p99.toFixed(3).padStart(7)}`);
    console.log(`  Redis directly (SET NX PX + Lua DEL)             ${d.p50.toFixed(3).padStart(7)}  ${d.p99.toFixed(3).padStart(7)}`);
    console.log(`  ratio ours/direct at p50: ${result.acquireRelease.p50Ratio}`);
    console.log(
      `Throughput, ${CONCURRENCY} clients on distinct names, ${SECONDS} s: ours ${result.throughputPairsPerSecond.ours} pairs/s, direct ${result.throughputPairsPerSecond.redisDirect} pairs/s (ratio ${result.throughputPairsPerSecond.ratio})`,
    );
    console.log(`written: ${file}`);
  } finally {
    raw.disconnect();
    await server.stop();
    await redis.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
