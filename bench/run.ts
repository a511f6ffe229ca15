/**
 * `npm run bench` (after `npm run build`): runs the S3-path latency and the
 * gRPC throughput scenarios (h2load against the echo baselines and our server;
 * `--load node` for the Node clients) (and, with `--query` or `--only query`, the
 * issue-3 query scenario on S3 + Redis, ~13 min at 100,000 documents),
 * prints a table with ratios and PASS / MISS, and writes the figures to bench/results/<timestamp>.json and latest.json.
 * A missed target is reported, not failed (exit 0); an error exits 1.
 */
import { Command, InvalidArgumentError } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { CLIENT_KINDS, type ClientKind } from './doc-client.js';
import { runGrpcThroughput, type GrpcThroughputResult } from './grpc-throughput.js';
import { h2loadMarkdown } from './h2load-report.js';
import { h2loadPath } from './h2load-run.js';
import { runH2loadThroughput, type H2loadThroughputResult } from './h2load-throughput.js';
import { DEFAULT_DOCUMENT_BYTES } from './payload.js';
import { repoRoot } from './processes.js';
import { runQueryBench, type QueryBenchResult } from './query-bench.js';
import { formatTable, machineInfo, verdicts, writeReport, type BenchReport } from './report.js';
import { runS3Latency, type S3LatencyResult } from './s3-latency.js';

/** The parsed command line. */
interface CliOptions {
  readonly duration: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly concurrency: number;
  readonly iterations: number;
  readonly delayedIterations: number;
  readonly delayMs: number[];
  readonly s3Modes: ('auto' | 'native')[];
  readonly warmupCalls: number;
  readonly documentBytes: number;
  readonly only?: 's3' | 'grpc' | 'query';
  readonly query: boolean;
  readonly queryDocs: number;
  readonly queryLoadConcurrency: number;
  readonly queryRuns: number;
  readonly queryScanRuns: number;
  readonly client: ClientKind | 'auto';
  readonly load: 'h2load' | 'node';
  readonly beforeServer?: string;
  readonly storage: ('memory' | 'filesystem')[];
  readonly baselineOnly: boolean;
  readonly out: string;
}

function positive(kind: 'int' | 'float') {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0 || (kind === 'int' && !Number.isInteger(n))) {
      throw new InvalidArgumentError(`expected a positive ${kind === 'int' ? 'integer' : 'number'}`);
    }
    return n;
  };
}

function oneOf<T extends string>(allowed: readonly T[]) {
  return (value: string): T => {
    if (!allowed.includes(value as T)) throw new InvalidArgumentError(`expected one of ${allowed.join(', ')}`);
    return value as T;
  };
}

function storages(value: string): ('memory' | 'filesystem')[] {
  const list = value.split(',').map((s) => s.trim());
  return list.map(oneOf(['memory', 'filesystem'] as const));
}

function modes(value: string): ('auto' | 'native')[] {
  return value.split(',').map((s) => oneOf(['auto', 'native'] as const)(s.trim()));
}

function delays(value: string): number[] {
  return value.split(',').map((v) => {
    const n = Number(v.trim());
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected numbers >= 0');
    return n;
  });
}

function parse(argv: string[]): CliOptions {
  return new Command('bench')
    .description('SmarterBase beside its baselines: S3-path latency and gRPC throughput')
    .option('--duration <seconds>', 'gRPC: measured seconds per target (split over the rounds)', positive('float'), 6)
    .option('--warmup <seconds>', 'gRPC: warm-up seconds before each slice', positive('float'), 0.5)
    .option('--rounds <n>', 'gRPC: interleaved slices per target', positive('int'), 3)
    .option('--concurrency <n>', 'gRPC: calls in flight', positive('int'), 32)
    .option('--iterations <n>', 'S3: measured sequential calls per operation and side', positive('int'), 1000)
    .option('--delayed-iterations <n>', 'S3: measured calls per operation and side through the delay proxy', positive('int'), 300)
    .option('--delay-ms <list>', 'S3: one-way delays of the proxy to S3, ms, comma-separated (0: loopback only)', delays, [5])
    .option('--s3-modes <list>', 'S3: server write-condition modes to measure: auto,native', modes, ['auto', 'native'])
    .option('--warmup-calls <n>', 'S3: warm-up calls per operation and side', positive('int'), 100)
    .option('--document-bytes <n>', 'JSON size of the document', positive('int'), DEFAULT_DOCUMENT_BYTES)
    .option('--only <part>', 'run only one scenario: s3 | grpc | query', oneOf(['s3', 'grpc', 'query'] as const))
    .option('--query', 'also run the query scenario (S3 + Redis, minutes) in a full run', false)
    .option('--query-docs <n>', 'query: documents to load', positive('int'), 100_000)
    .option('--query-load-concurrency <n>', 'query: puts in flight while loading', positive('int'), 64)
    .option('--query-runs <n>', 'query: measured runs of each indexed query and of Count', positive('int'), 20)
    .option('--query-scan-runs <n>', 'query: measured runs of each full scan', positive('int'), 3)
    .option(
      '--load <generator>',
      'gRPC: load generator: h2load (apt-get install nghttp2-client) | node (the Node clients)',
      oneOf(['h2load', 'node'] as const),
      'h2load',
    )
    .option(
      '--before-server <main.js>',
      "gRPC, h2load: also measure this build of the server (e.g. an older commit's dist/server/src/main.js) on memory",
    )
    .option(
      '--client <kind>',
      `gRPC --load node client: auto | ${CLIENT_KINDS.join(' | ')}`,
      oneOf(['auto', ...CLIENT_KINDS] as const),
      'auto',
    )
    .option('--storage <list>', 'gRPC: our storages to measure', storages, ['memory', 'filesystem'])
    .option('--baseline-only', 'measure only the baselines (echo server, raw S3): checks the harness', false)
    .option('--out <dir>', 'directory for the JSON results', join(repoRoot(), 'bench', 'results'))
    .parse(argv)
    .opts<CliOptions>();
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const startedAt = new Date().toISOString();
  let grpc: GrpcThroughputResult | undefined;
  let grpcH2load: H2loadThroughputResult | undefined;
  let s3: S3LatencyResult | undefined;
  let query: QueryBenchResult | undefined;
  if (o.only === 'query' || (o.only === undefined && o.query)) {
    query = await runQueryBench({
      docs: o.queryDocs,
      loadConcurrency: o.queryLoadConcurrency,
      runs: o.queryRuns,
      scanRuns: o.queryScanRuns,
      log,
    });
  }
  if ((o.only === undefined || o.only === 'grpc') && o.load === 'h2load') {
    grpcH2load = await runH2loadThroughput({
      durationMs: o.duration * 1000,
      warmupMs: o.warmup * 1000,
      rounds: o.rounds,
      concurrency: o.concurrency,
      documentBytes: o.documentBytes,
      storages: o.baselineOnly ? [] : o.storage,
      ...(o.beforeServer ? { beforeServerMain: o.beforeServer } : {}),
      log,
    });
  }
  if ((o.only === undefined || o.only === 'grpc') && o.load === 'node') {
    grpc = await runGrpcThroughput({
      durationMs: o.duration * 1000,
      warmupMs: o.warmup * 1000,
      rounds: o.rounds,
      concurrency: o.concurrency,
      documentBytes: o.documentBytes,
      client: o.client,
      storages: o.baselineOnly ? [] : o.storage,
      log,
    });
  }
  if (o.only === undefined || o.only === 's3') {
    s3 = await runS3Latency({
      iterations: o.iterations,
      delayedIterations: o.delayedIterations,
      oneWayDelaysMs: o.delayMs,
      modes: o.s3Modes,
      warmup: o.warmupCalls,
      documentBytes: o.documentBytes,
      // The client the throughput scenario found lighter, else grpc-js.
      client: o.client !== 'auto' ? o.client : (grpc?.client ?? 'grpc-js'),
      baselineOnly: o.baselineOnly,
      // The server's cost without a Node client's, when h2load is installed (apt-get install nghttp2-client).
      h2load: existsSync(h2loadPath()),
      log,
    });
  }
  const { out, ...parameters } = o;
  const report: BenchReport = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: machineInfo(),
    parameters,
    ...(s3 ? { s3 } : {}),
    ...(grpc ? { grpc } : {}),
    ...(grpcH2load ? { grpcH2load } : {}),
    ...(query ? { query } : {}),
    verdicts: verdicts(s3, grpc, query, grpcH2load),
  };
  const markdown = grpcH2load
    ? h2loadMarkdown(grpcH2load, {
        command: `npm run bench -- ${process.argv.slice(2).join(' ')}`,
        startedAt,
        cpuCount: cpus().length,
        cpuModel: report.machine.cpuModel,
      })
    : undefined;
  const file = await writeReport(out, report, markdown);
  process.stdout.write(`${formatTable(report)}\n${markdown ? `\n${markdown}\n` : ''}\nresults: ${file}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
