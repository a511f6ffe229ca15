/**
 * The issue-16 read-verification benchmark, run on demand:
 * `npm run build && npm run bench:verify-reads`.
 * In the same run, on one gofakes3 (memory backend) and two servers over it
 * (lock mode, since gofakes3 ignores If-Match on delete; separate key prefixes):
 *   - sequential Get latency through the gRPC port with SB_S3_VERIFY_READS=auto
 *     (verified by MD5 ETag) and =off, in interleaved rounds, and their ratio;
 *   - the MD5 the check costs, in µs per 1 KB, 64 KB and 1 MiB body, in process.
 * Writes bench/results/verify-reads-<timestamp>.json and prints a table.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createDocClient } from './doc-client.js';
import { makeDocument } from './payload.js';
import { repoRoot, serverMainPath, startGofakes3, startListening, type RunningProcess } from './processes.js';
import { round, roundSummary, summarize } from './stats.js';

const ITERATIONS = Number(process.env.VERIFY_BENCH_ITERATIONS ?? 2000);
const ROUNDS = Number(process.env.VERIFY_BENCH_ROUNDS ?? 4);
const BUCKET = 'verify-bench';

async function timeEach(n: number, op: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op();
    out.push(performance.now() - t);
  }
  return out;
}

/** µs per MD5 of a body of `bytes` bytes (median of 5 batches). */
function md5Micros(bytes: number): number {
  const body = Buffer.alloc(bytes, 7);
  const n = Math.max(20, Math.floor(50_000_000 / bytes));
  const batches: number[] = [];
  for (let b = 0; b < 6; b++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) createHash('md5').update(body).digest('hex');
    if (b > 0) batches.push(((performance.now() - t) * 1000) / n); // the first batch warms up
  }
  return round(batches.sort((x, y) => x - y)[2]!, 2);
}

function startServer(s3: RunningProcess, verify: 'auto' | 'off'): Promise<RunningProcess> {
  return startListening(serverMainPath(), ['--storage', 's3', '--grpc-port', '0', '--http-port', '0', '--metrics-port', '0'], {
    SB_S3_ENDPOINT: `http://127.0.0.1:${s3.port}`,
    SB_S3_BUCKET: BUCKET,
    SB_S3_FORCE_PATH_STYLE: 'true',
    SB_S3_REGION: 'us-east-1',
    SB_S3_PREFIX: `${verify}/`,
    SB_S3_VERIFY_READS: verify,
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
  });
}

async function main(): Promise<void> {
  const s3 = await startGofakes3(BUCKET);
  const servers: RunningProcess[] = [];
  try {
    servers.push(await startServer(s3, 'auto'), await startServer(s3, 'off'));
    const [on, off] = servers.map((s) => createDocClient('grpc-js', `127.0.0.1:${s.port}`));
    const doc = makeDocument();
    for (const c of [on!, off!]) {
      await c.put('bench', 'doc', doc);
      await timeEach(300, () => c.get('bench', 'doc'));
    }
    const lat = { on: [] as number[], off: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      lat.on.push(...(await timeEach(ITERATIONS / ROUNDS, () => on!.get('bench', 'doc'))));
      lat.off.push(...(await timeEach(ITERATIONS / ROUNDS, () => off!.get('bench', 'doc'))));
    }
    on!.close();
    off!.close();
    const o = roundSummary(summarize(lat.on));
    const f = roundSummary(summarize(lat.off));
    const result = {
      when: new Date().toISOString(),
      machine: { cpus: cpus().length, node: process.version },
      parameters: { iterations: ITERATIONS, rounds: ROUNDS, documentBytes: 1024 },
      getLatencyMs: { verified: o, unverified: f, p50Ratio: round(o.p50 / f.p50), p99Ratio: round(o.p99 / f.p99) },
      md5MicrosPerBody: { '1KB': md5Micros(1024), '64KB': md5Micros(64 * 1024), '1MiB': md5Micros(1024 * 1024) },
    };
    const dir = join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `verify-reads-${result.when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(result, null, 2));
    console.log(`Get through gRPC on gofakes3 (sequential, ${ITERATIONS} calls per side, ${ROUNDS} interleaved rounds)   p50 ms   p99 ms`);
    console.log(`  SB_S3_VERIFY_READS=auto (verified by MD5 ETag)   ${o.p50.toFixed(3).padStart(7)}  ${o.p99.toFixed(3).padStart(7)}`);
    console.log(`  SB_S3_VERIFY_READS=off                           ${f.p50.toFixed(3).padStart(7)}  ${f.p99.toFixed(3).padStart(7)}`);
    console.log(`  ratio verified/unverified: p50 ${result.getLatencyMs.p50Ratio}, p99 ${result.getLatencyMs.p99Ratio}`);
    const m = result.md5MicrosPerBody;
    console.log(`MD5 per body: 1 KB ${m['1KB']} µs, 64 KB ${m['64KB']} µs, 1 MiB ${m['1MiB']} µs`);
    console.log(`written: ${file}`);
  } finally {
    for (const s of servers) await s.stop();
    await s3.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
