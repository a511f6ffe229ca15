/**
 * The transaction benchmark, run on demand: `node dist/bench/commit-bench.js`
 * (`--quick` for a short check run; `--backends memory,filesystem,s3`;
 * `--rtt-ms 10` puts a 10 ms round trip between the server and gofakes3).
 * Per backend — memory storage (embedded, local coordination) and S3 on
 * gofakes3 + Redis coordination (the query bench's stack) — in the same run:
 *   - latency, one operation in flight, of a Commit of 10 set writes
 *     (unconditional, and with etag preconditions) beside 10 Puts of the same
 *     documents awaited one after the other and all at once (and PutIfMatch,
 *     the conditional counterpart), and of a Commit of 1 write beside 1 Put;
 *   - throughput with N clients on disjoint documents.
 * Writes bench/results/commit-<timestamp>.json and .md and prints the table.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { Command, InvalidArgumentError } from 'commander';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import { positiveInt } from './cli-args.js';
import {
  commitRatios,
  formatCommitMarkdown,
  LATENCY_OPS,
  THROUGHPUT_OPS,
  type BackendFigures,
  type LatencyOp,
  type ThroughputFigure,
  type ThroughputOp,
} from './commit-report.js';
import { DocSet, WRITES, type Docs } from './commit-docs.js';
import { diffCounts, sumByLabel } from './metrics-labels.js';
import { makeDocument } from './payload.js';
import { repoRoot, type RunningProcess } from './processes.js';
import { startQueryStack } from './query-stack.js';
import { startSmarterbase } from './smarterbase-server.js';
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';

type Backend = 'memory' | 'filesystem' | 's3';

/** The parsed command line (environment variables give the defaults, as in the other benches). */
interface Options {
  readonly iterations: number;
  readonly warmup: number;
  readonly seconds: number;
  readonly concurrency: number;
  readonly documentBytes: number;
  readonly backends: Backend[];
  readonly quick: boolean;
  readonly rttMs: number;
}

function parse(argv: string[]): Options {
  const env = process.env;
  const o = new Command('commit-bench')
    .option('--iterations <n>', 'measured iterations of every latency operation', positiveInt, Number(env.COMMIT_BENCH_ITERATIONS ?? 200))
    .option('--warmup <n>', 'unmeasured iterations first', positiveInt, Number(env.COMMIT_BENCH_WARMUP ?? 30))
    .option('--seconds <n>', 'throughput: measured seconds per operation', positiveInt, Number(env.COMMIT_BENCH_SECONDS ?? 6))
    .option(
      '--concurrency <n>',
      'throughput: concurrent clients, each on its own 10 documents',
      positiveInt,
      Number(env.COMMIT_BENCH_CONCURRENCY ?? 8),
    )
    .option('--document-bytes <n>', 'JSON size of each document', positiveInt, 1024)
    .option(
      '--backends <list>',
      'memory, filesystem, s3 (gofakes3 + Redis)',
      (v: string) => v.split(',').map((s) => s.trim()) as Backend[],
      ['memory', 's3'] as Backend[],
    )
    .option('--quick', 'short run: 30 iterations, 5 warm-up, 2 s of throughput', false)
    .option(
      '--rtt-ms <n>',
      's3: round trip added between the server and gofakes3 (bench/delay-proxy.ts, half each way), ms',
      (v: string) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n % 2 !== 0) throw new InvalidArgumentError('expected an even non-negative integer');
        return n;
      },
      0,
    )
    .parse(argv)
    .opts<Options>();
  for (const b of o.backends) if (!['memory', 'filesystem', 's3'].includes(b)) throw new InvalidArgumentError(`unknown backend ${b}`);
  return o.quick ? { ...o, iterations: 30, warmup: 5, seconds: 2 } : o;
}

function client(port: number): Docs {
  return createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
}

/** Sequential latency of every operation; each iteration runs every operation once, starting at a rotating one. */
async function latencies(set: DocSet, o: Options): Promise<Record<LatencyOp, LatencySummary>> {
  const ops = LATENCY_OPS.map((op) => ({ op, run: set.op(op), samples: [] as number[] }));
  for (let i = 0; i < o.warmup + o.iterations; i++) {
    for (let k = 0; k < ops.length; k++) {
      const e = ops[(i + k) % ops.length];
      const t = performance.now();
      await e.run();
      if (i >= o.warmup) e.samples.push(performance.now() - t);
    }
  }
  return Object.fromEntries(ops.map((e) => [e.op, roundSummary(summarize(e.samples))])) as Record<LatencyOp, LatencySummary>;
}

/** `sets.length` workers repeat `op` on their own documents for `ms`; failed units are counted, not retried. */
async function load(sets: DocSet[], op: ThroughputOp, ms: number) {
  const end = performance.now() + ms;
  const samples: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  await Promise.all(
    sets.map(async (set) => {
      const run = set.op(op);
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await run();
          samples.push(performance.now() - t);
        } catch (e) {
          errors++;
          firstError ??= e instanceof Error ? e.message : String(e);
        }
      }
    }),
  );
  return { samples, errors, firstError, elapsedMs: performance.now() - started };
}

async function throughputs(
  port: number,
  o: Options,
  body: JsonObject,
): Promise<{ figures: Record<ThroughputOp, ThroughputFigure>; firstErrors: string[] }> {
  const sets = Array.from({ length: o.concurrency }, (_, w) => new DocSet(client(port), `w${w}`, body));
  await Promise.all(sets.map((s) => s.seed()));
  for (const op of THROUGHPUT_OPS) await load(sets, op, 500); // warm-up
  await Promise.all(sets.map((s) => s.verify()));
  const acc = new Map<ThroughputOp, { samples: number[]; errors: number; elapsedMs: number }>();
  const firstErrors: string[] = [];
  const rounds = 2; // interleaved slices, so background load hits every operation alike
  for (let r = 0; r < rounds; r++) {
    for (const op of THROUGHPUT_OPS) {
      const s = await load(sets, op, (o.seconds * 1000) / rounds);
      const a = acc.get(op) ?? { samples: [], errors: 0, elapsedMs: 0 };
      a.samples.push(...s.samples);
      a.errors += s.errors;
      a.elapsedMs += s.elapsedMs;
      acc.set(op, a);
      if (s.firstError) firstErrors.push(`${op}: ${s.firstError}`);
    }
  }
  await Promise.all(sets.map((s) => s.verify()));
  const figures = Object.fromEntries(
    THROUGHPUT_OPS.map((op) => {
      const a = acc.get(op)!;
      const units = a.samples.length / (a.elapsedMs / 1000);
      const sum = a.samples.length > 0 ? summarize(a.samples) : undefined;
      const f: ThroughputFigure = {
        unitsPerSecond: round(units, 1),
        docsPerSecond: round(units * WRITES, 0),
        p50Ms: round(sum?.p50 ?? NaN),
        p99Ms: round(sum?.p99 ?? NaN),
        errors: a.errors,
      };
      return [op, f];
    }),
  ) as Record<ThroughputOp, ThroughputFigure>;
  return { figures, firstErrors };
}

/** Runs of each operation when counting its storage operations. */
const COUNT_RUNS = 20;

/** Storage operations per unit of every latency operation, by op, from the server's Prometheus counter. */
async function storageOpsPerUnit(set: DocSet, metricsPort: number): Promise<Record<LatencyOp, Record<string, number>>> {
  const read = async () => {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    if (!res.ok) throw new Error(`metrics: HTTP ${res.status}`);
    return sumByLabel(await res.text(), 'smarterbase_storage_operations_total', 'op');
  };
  const out: Partial<Record<LatencyOp, Record<string, number>>> = {};
  for (const op of LATENCY_OPS) {
    const run = set.op(op);
    const before = await read();
    for (let i = 0; i < COUNT_RUNS; i++) await run();
    const d = diffCounts(before, await read());
    out[op] = Object.fromEntries(Object.entries(d).map(([k, v]) => [k, round(v / COUNT_RUNS, 2)]));
  }
  return out as Record<LatencyOp, Record<string, number>>;
}

async function measure(backend: Backend, o: Options, log: (m: string) => void): Promise<BackendFigures & { errors: string[] }> {
  let server: RunningProcess;
  let metricsPort: number | undefined;
  let stop: () => Promise<void>;
  let label: string;
  let dataDir: string | undefined;
  if (backend === 's3') {
    const stack = await startQueryStack({ s3OneWayDelayMs: o.rttMs / 2 });
    server = stack.server;
    metricsPort = stack.metricsPort;
    stop = () => stack.stop();
    label = `s3 (gofakes3, lock mode${o.rttMs > 0 ? `, ${o.rttMs} ms RTT` : ''}) + Redis coordination`;
  } else {
    if (backend === 'filesystem') dataDir = mkdtempSync(join(tmpdir(), 'sb-commit-bench-'));
    server = await startSmarterbase(backend === 'memory' ? { kind: 'memory' } : { kind: 'filesystem', dataDir: dataDir! });
    stop = () => server.stop();
    label = `${backend} (embedded, local coordination)`;
  }
  try {
    const body = makeDocument(o.documentBytes);
    const set = new DocSet(client(server.port), 'lat', body);
    await set.seed();
    log(`${backend}: latency, ${o.warmup} + ${o.iterations} iterations…`);
    const latency = await latencies(set, o);
    await set.verify();
    const opsPerUnit = metricsPort === undefined ? undefined : await storageOpsPerUnit(set, metricsPort);
    if (opsPerUnit) await set.verify();
    log(`${backend}: throughput, ${o.concurrency} clients, ${o.seconds} s per operation…`);
    const { figures, firstErrors } = await throughputs(server.port, o, body);
    return {
      label,
      latency,
      throughput: figures,
      ratios: commitRatios(latency, figures),
      ...(opsPerUnit ? { storageOpsPerUnit: opsPerUnit } : {}),
      errors: firstErrors,
    };
  } finally {
    await stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

function printTable(b: BackendFigures): void {
  console.log(`\n${b.label}`);
  console.log(`  ${'latency, one in flight'.padEnd(40)}  p50 ms    p99 ms`);
  for (const op of LATENCY_OPS)
    console.log(`  ${op.padEnd(40)}${b.latency[op].p50.toFixed(2).padStart(8)}${b.latency[op].p99.toFixed(2).padStart(10)}`);
  const r = b.ratios;
  console.log(`  Commit10/10 seq Puts  p50 ${r.commit10VsSeqPuts.p50}  p99 ${r.commit10VsSeqPuts.p99}`);
  console.log(`  Commit10/10 par Puts  p50 ${r.commit10VsParPuts.p50}  p99 ${r.commit10VsParPuts.p99}`);
  console.log(
    `  Commit10+etag/10 seq Puts p50 ${r.commit10EtagVsSeqPuts.p50}, /10 par Puts p50 ${r.commit10EtagVsParPuts.p50}, /10 par PutIfMatch p50 ${r.commit10EtagVsParPutIfMatch.p50}`,
  );
  console.log(
    `  Commit1/Put1          p50 ${r.commit1VsPut1.p50}  p99 ${r.commit1VsPut1.p99}  (fixed overhead ${r.commit1MinusPut1P50Ms} ms at p50)`,
  );
  if (b.storageOpsPerUnit) {
    for (const op of LATENCY_OPS) {
      const r = b.storageOpsPerUnit[op];
      if (r)
        console.log(
          `  storage ops per ${op.padEnd(16)} ${Object.entries(r)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}`,
        );
    }
  }
  if (b.throughput) {
    for (const op of THROUGHPUT_OPS) {
      const t = b.throughput[op];
      console.log(
        `  throughput ${op.padEnd(14)} ${t.unitsPerSecond.toFixed(1).padStart(8)} units/s ${String(t.docsPerSecond).padStart(7)} docs/s  p50 ${t.p50Ms} ms  p99 ${t.p99Ms} ms  errors ${t.errors}`,
      );
    }
    console.log(`  throughput Commit10 / 10 par Puts: ${r.throughputCommit10VsParPuts}; / 10 seq Puts: ${r.throughputCommit10VsSeqPuts}`);
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const when = new Date().toISOString();
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    node: process.version,
    loadAverage: loadavg().map((v) => round(v, 2)),
  };
  const backends: (BackendFigures & { errors: string[] })[] = [];
  for (const b of o.backends) backends.push(await measure(b, o, log));
  const parameters = {
    iterations: o.iterations,
    warmup: o.warmup,
    seconds: o.seconds,
    concurrency: o.concurrency,
    documentBytes: o.documentBytes,
    writesPerUnit: WRITES,
    quick: o.quick,
    s3RttMs: o.rttMs,
  };
  const machineAtEnd = { ...machine, loadAverageAtEnd: loadavg().map((v) => round(v, 2)) };
  const result = { when, finishedAt: new Date().toISOString(), machine: machineAtEnd, parameters, backends };
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stem = join(dir, `commit-${when.replace(/[:.]/g, '-')}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${stem}.md`, formatCommitMarkdown({ when, machine: machineAtEnd, parameters, backends }));
  console.log(
    `Commit benchmark: ${o.iterations} iterations after ${o.warmup} warm-up; ${o.concurrency} clients × ${o.seconds} s; ${machine.cpus} CPUs, load ${machine.loadAverage.join(' ')}`,
  );
  for (const b of backends) {
    printTable(b);
    for (const e of b.errors) console.log(`  first error, ${e}`);
  }
  console.log(`\nwritten: ${stem}.json, ${stem}.md`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
