/**
 * Issue-4 batch benchmark, run on demand: `node dist/bench/batch-bench.js`
 * (`--quick` for fewer runs, `--help` for the options).
 * BatchGet of 100 documents vs 100 sequential Gets of the same documents,
 * through our gRPC port, in the same run, on memory storage, on S3 (gofakes3)
 * over loopback, and on S3 through bench/delay-proxy.ts at 10 ms and 30 ms RTT
 * (the server's S3 endpoint is the proxy, which forwards to gofakes3): the
 * round trip to a real S3 that BatchGet overlaps and sequential Gets pay each.
 * Target: BatchGet ≥ 10× faster. Writes bench/results/batch-<timestamp>.json and .md.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import { positiveInt } from './cli-args.js';
import {
  formatBatchMarkdown,
  formatBatchTable,
  planVariants,
  variantResult,
  type BatchRun,
  type BatchVariant,
  type BatchVariantResult,
} from './batch-report.js';
import { processCpuMs } from './cpu-time.js';
import { startDelayProxy } from './delay-proxy.js';
import { repoRoot, startGofakes3 } from './processes.js';
import { benchS3Client, startSmarterbase, type ServerStorage } from './smarterbase-server.js';
import { round, roundSummary, summarize } from './stats.js';

const DOCS = 100;
const BUCKET = 'batchbench';
const PAYLOAD = 'x'.repeat(900);
/** Unmeasured then measured raw GetObject calls of the S3 GET probe. */
const PROBE_WARMUP = 5;
const PROBE_CALLS = 20;

/** The parsed command line. */
interface CliOptions {
  readonly quick: boolean;
  readonly runs?: number;
  readonly rttMs: number[];
  readonly delayedRuns?: number[];
}

function list(parse: (v: string) => number) {
  return (value: string): number[] => value.split(',').map((v) => parse(v.trim()));
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected numbers > 0');
  return n;
}

function parse(argv: string[]): CliOptions {
  return new Command('batch-bench')
    .description('BatchGet of 100 documents vs 100 sequential Gets: memory, loopback S3, S3 through a delay proxy')
    .option('--quick', 'fewer runs: 10 (memory, loopback), 10 and 5 (delayed)', false)
    .option('--runs <n>', 'runs of the memory and loopback S3 variants (default 30, or $BATCH_BENCH_RUNS)', positiveInt)
    .option('--rtt-ms <list>', 'RTTs of the delayed S3 variants, ms, comma-separated', list(positiveNumber), [10, 30])
    .option('--delayed-runs <list>', 'runs of each delayed variant, by position in --rtt-ms (default 30,10)', list(positiveInt))
    .parse(argv)
    .opts<CliOptions>();
}

/** Alternating runs of one BatchGet and DOCS sequential Gets against a running server (process `pid`, for its CPU). */
async function measureServer(docs: Client<typeof DocumentService>, runs: number, pid: number) {
  const ids = Array.from({ length: DOCS }, (_, i) => `d${String(i).padStart(3, '0')}`);
  await Promise.all(ids.map((id) => docs.put({ collection: 'bench', id, data: { id, payload: PAYLOAD } })));
  const batch = async () => {
    let n = 0;
    for await (const item of docs.batchGet({ collection: 'bench', ids })) if (item.found) n++;
    if (n !== DOCS) throw new Error(`BatchGet found ${n} of ${DOCS}`);
  };
  const sequential = async () => {
    for (const id of ids) {
      const res = await docs.get({ collection: 'bench', id });
      if (!res.document) throw new Error(`Get ${id} returned no document`);
    }
  };
  await batch();
  await sequential();
  const b: number[] = [];
  const s: number[] = [];
  let cpu: { batchGetMs: number; sequentialMs: number } | undefined = { batchGetMs: 0, sequentialMs: 0 };
  const timed = async (fn: () => Promise<void>, into: number[], side: 'batchGetMs' | 'sequentialMs') => {
    const c0 = processCpuMs(pid);
    const t = performance.now();
    await fn();
    into.push(performance.now() - t);
    const c1 = processCpuMs(pid);
    cpu = cpu && c0 !== undefined && c1 !== undefined ? { ...cpu, [side]: cpu[side] + c1 - c0 } : undefined;
  };
  for (let r = 0; r < runs; r++) {
    await timed(batch, b, 'batchGetMs');
    await timed(sequential, s, 'sequentialMs');
  }
  return { batchGet: roundSummary(summarize(b)), sequentialGets: roundSummary(summarize(s)), cpu };
}

/** p50 of raw GetObject of a 1 KB object through `endpoint`: the network cost of one S3 GET on that path, ms. */
async function probeS3Get(endpoint: string): Promise<number> {
  const s3 = benchS3Client(endpoint);
  try {
    const key = 'raw/probe.json';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'y'.repeat(1024) }));
    const get = async () => {
      const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      const bytes = await res.Body?.transformToByteArray();
      if (bytes?.length !== 1024) throw new Error(`probe GetObject returned ${bytes?.length} bytes`);
    };
    for (let i = 0; i < PROBE_WARMUP; i++) await get();
    const samples: number[] = [];
    for (let i = 0; i < PROBE_CALLS; i++) {
      const t = performance.now();
      await get();
      samples.push(performance.now() - t);
    }
    return summarize(samples).p50;
  } finally {
    s3.destroy();
  }
}

/** One variant with fresh processes: gofakes3 and the proxy (S3 variants), and the server. */
async function measureVariant(v: BatchVariant, log: (m: string) => void): Promise<BatchVariantResult> {
  log(`batch: ${v.label}, ${v.runs} runs`);
  const s3server = v.storage === 's3' ? await startGofakes3(BUCKET) : undefined;
  const proxy = s3server && v.rttMs > 0 ? await startDelayProxy(s3server.port, v.rttMs / 2) : undefined;
  try {
    const endpoint = s3server && `http://127.0.0.1:${proxy?.port ?? s3server.port}`;
    const storage: ServerStorage = endpoint ? { kind: 's3', endpoint, bucket: BUCKET } : { kind: 'memory' };
    const server = await startSmarterbase(storage);
    try {
      const docs = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` }));
      const { batchGet, sequentialGets, cpu } = await measureServer(docs, v.runs, server.pid);
      const rawGet = endpoint ? await probeS3Get(endpoint) : undefined;
      const r = variantResult(v, batchGet, sequentialGets, rawGet, cpu, DOCS);
      log(`batch: ${v.label}: BatchGet p50 ${r.batchGet.p50} ms, sequential p50 ${r.sequentialGets.p50} ms, ${r.speedupP50}×`);
      return r;
    } finally {
      await server.stop();
    }
  } finally {
    await proxy?.close();
    await s3server?.stop();
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const envRuns = process.env.BATCH_BENCH_RUNS === undefined ? undefined : positiveInt(process.env.BATCH_BENCH_RUNS);
  const variants = planVariants({
    runs: o.runs ?? envRuns ?? (o.quick ? 10 : 30),
    rttMs: o.rttMs,
    delayedRuns: o.delayedRuns ?? (o.quick ? [10, 5] : [30, 10]),
  });
  const when = new Date().toISOString();
  const loadAverage = loadavg().map((v) => round(v, 2));
  const results: BatchVariantResult[] = [];
  for (const v of variants) results.push(await measureVariant(v, log));
  const run: BatchRun = {
    when,
    finishedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version, loadAverage, loadAverageAtEnd: loadavg().map((v) => round(v, 2)) },
    parameters: { documents: DOCS, documentBytes: JSON.stringify({ id: 'd000', payload: PAYLOAD }).length, quick: o.quick },
    variants: results,
  };
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stem = join(dir, `batch-${when.replace(/[:.]/g, '-')}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
  writeFileSync(`${stem}.md`, formatBatchMarkdown(run));
  console.log(formatBatchTable(run));
  console.log(`written: ${stem}.json, ${stem}.md`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
