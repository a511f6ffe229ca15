/**
 * Issue-11 parallel S3 Get benchmark, run on demand: `npm run bench:s3-parallel`
 * (`--help` for the options).
 *
 * N concurrent loops of DocumentService.Get through our gRPC port (server on
 * S3) against N concurrent loops of raw @aws-sdk/client-s3 GetObject of the
 * same-sized object, both through the same delay proxy (bench/delay-proxy.ts)
 * (its own process) in front of the same gofakes3, in the same run: a server between the client
 * and S3 should cost little more than its hop. The sides alternate in slices
 * (each after an unmeasured warm-up), so that machine drift hits both.
 * Target: ours ≥ 0.9× raw calls/s. Writes bench/results/s3-parallel-<timestamp>.json and .md.
 */
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { positiveInt } from './cli-args.js';
import { ownCpuMs, processCpuMs } from './cpu-time.js';
import { createDocClient } from './doc-client.js';
import { makeDocument, makeDocumentBytes } from './payload.js';
import { benchScriptPath, repoRoot, startGofakes3, startListening } from './processes.js';
import {
  compareSides,
  formatParallelMarkdown,
  formatParallelTable,
  sideResult,
  type ParallelRun,
  type SideSamples,
} from './s3-parallel-report.js';
import { benchS3Client, startSmarterbase } from './smarterbase-server.js';
import { round, roundSummary, summarize } from './stats.js';

const BUCKET = 'sb-parallel';
const COLLECTION = 'bench';

/** The parsed command line. */
interface CliOptions {
  readonly concurrency: number;
  readonly delayMs: number;
  readonly rounds: number;
  readonly slice: number;
  readonly warmup: number;
  readonly documentBytes: number;
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number >= 0');
  return n;
}

function parse(argv: string[]): CliOptions {
  return new Command('s3-parallel-bench')
    .description('N concurrent Gets through our server on S3 vs N concurrent raw SDK GetObjects, same S3 through the same delay proxy')
    .option('--concurrency <n>', 'calls in flight on each side', positiveInt, 16)
    .option('--delay-ms <ms>', 'one-way delay of the proxy, ms (5 ≈ 10 ms RTT; 0: loopback, no proxy)', nonNegative, 5)
    .option('--rounds <n>', 'interleaved slices per side', positiveInt, 4)
    .option('--slice <s>', 'measured seconds per slice', nonNegative, 3)
    .option('--warmup <s>', 'unmeasured seconds before each slice', nonNegative, 0.5)
    .option('--document-bytes <n>', 'JSON size of the document and of the raw object', positiveInt, 1024)
    .parse(argv)
    .opts<CliOptions>();
}

/** What one batch of loops did. */
interface LoopFigures {
  readonly calls: number;
  readonly seconds: number;
  readonly latencies: number[];
}

/** `concurrency` loops calling `op` back to back until `seconds` have passed. */
async function runLoops(op: () => Promise<unknown>, concurrency: number, seconds: number): Promise<LoopFigures> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const latencies: number[] = [];
  const loop = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      await op();
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return { calls: latencies.length, seconds: (performance.now() - start) / 1000, latencies };
}

/** Accumulates the measured slices of one side. */
class SideAccumulator {
  private calls = 0;
  private seconds = 0;
  private cpuMs: number | undefined = 0;
  private clientCpuMs = 0;
  private readonly latencies: number[] = [];

  /** Runs one warm-up and one measured slice; `pid` is the process whose CPU counts for this side (default: this one). */
  async slice(op: () => Promise<unknown>, o: CliOptions, pid?: number): Promise<void> {
    await runLoops(op, o.concurrency, o.warmup);
    const cpu0 = pid === undefined ? ownCpuMs() : processCpuMs(pid);
    const own0 = ownCpuMs();
    const f = await runLoops(op, o.concurrency, o.slice);
    const cpu1 = pid === undefined ? ownCpuMs() : processCpuMs(pid);
    this.clientCpuMs += ownCpuMs() - own0;
    this.cpuMs = this.cpuMs === undefined || cpu0 === undefined || cpu1 === undefined ? undefined : this.cpuMs + cpu1 - cpu0;
    this.calls += f.calls;
    this.seconds += f.seconds;
    for (const l of f.latencies) this.latencies.push(l);
  }

  /** The samples so far; `withClient` adds the bench client's CPU (ours). */
  samples(withClient: boolean): SideSamples {
    return {
      calls: this.calls,
      seconds: this.seconds,
      latency: roundSummary(summarize(this.latencies)),
      ...(this.cpuMs === undefined ? {} : { cpuMs: this.cpuMs }),
      ...(withClient ? { clientCpuMs: this.clientCpuMs } : {}),
    };
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const when = new Date().toISOString();
  const loadAverage = loadavg().map((v) => round(v, 2));
  const s3server = await startGofakes3(BUCKET);
  // In its own process: the bench process's CPU per call then counts the raw SDK (or our gRPC client) alone.
  const proxy =
    o.delayMs > 0 ? await startListening(benchScriptPath('delay-proxy-main.js'), [String(s3server.port), String(o.delayMs)]) : undefined;
  try {
    const endpoint = `http://127.0.0.1:${proxy?.port ?? s3server.port}`;
    const server = await startSmarterbase({ kind: 's3', endpoint, bucket: BUCKET, conditional: 'native' });
    const s3 = benchS3Client(endpoint);
    const client = createDocClient('grpc-js', `127.0.0.1:${server.port}`);
    try {
      const body = makeDocumentBytes(o.documentBytes);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'raw/doc.json', Body: body, ContentType: 'application/json' }));
      await client.put(COLLECTION, 'doc', makeDocument(o.documentBytes));
      const raw = async () => {
        const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'raw/doc.json' }));
        const bytes = await res.Body?.transformToByteArray();
        if (bytes?.length !== body.length) throw new Error(`raw GetObject returned ${bytes?.length} bytes`);
      };
      const ours = async () => {
        const res = await client.get(COLLECTION, 'doc');
        if (!res.document?.data) throw new Error('Get returned no data');
      };
      const oursAcc = new SideAccumulator();
      const rawAcc = new SideAccumulator();
      for (let r = 0; r < o.rounds; r++) {
        log(`s3-parallel: round ${r + 1}/${o.rounds}`);
        // Alternate which side goes first, so neither always follows the other's warm connections.
        if (r % 2 === 0) {
          await oursAcc.slice(ours, o, server.pid);
          await rawAcc.slice(raw, o);
        } else {
          await rawAcc.slice(raw, o);
          await oursAcc.slice(ours, o, server.pid);
        }
      }
      const oursSide = sideResult(oursAcc.samples(true));
      const rawSide = sideResult(rawAcc.samples(false));
      const run: ParallelRun = {
        when,
        finishedAt: new Date().toISOString(),
        machine: { cpus: cpus().length, node: process.version, loadAverage, loadAverageAtEnd: loadavg().map((v) => round(v, 2)) },
        parameters: {
          concurrency: o.concurrency,
          oneWayDelayMs: o.delayMs,
          rounds: o.rounds,
          sliceSeconds: o.slice,
          documentBytes: o.documentBytes,
        },
        ours: oursSide,
        raw: rawSide,
        ...compareSides(oursSide, rawSide),
      };
      const dir = join(repoRoot(), 'bench', 'results');
      mkdirSync(dir, { recursive: true });
      const stem = join(dir, `s3-parallel-${when.replace(/[:.]/g, '-')}`);
      writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
      writeFileSync(`${stem}.md`, formatParallelMarkdown(run));
      console.log(formatParallelTable(run));
      console.log(`written: ${stem}.json, ${stem}.md`);
    } finally {
      client.close();
      s3.destroy();
      await server.stop();
    }
  } finally {
    await proxy?.stop();
    await s3server.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
