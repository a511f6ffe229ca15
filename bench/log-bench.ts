/**
 * Issue-13 log benchmark, run on demand: `npm run bench:logs` (`--help`).
 *
 * 1-line Appends back to back from 1 and from 16 concurrent appenders (each
 * its own log name per run, so runs do not share a tail) through one server
 * on S3 (versitygw, native conditions) with Redis coordination — the
 * production shape. Reports appends/s, latency, and the S3 requests per
 * appended line (smarterbase_storage_operations_total before and after,
 * summed by op). With --compare-encryption, a second server on the same S3
 * and Redis has a keyring (SB_ENCRYPTION_KEYRING_FILE: chunks, segments and
 * meta sealed, docs/adr/0016 "Logs"), and each case runs on both, clear
 * first, --rounds times, so both see the same machine load. Writes
 * bench/results/logs-<timestamp>.json and .md.
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppendRequestSchema,
  AppendResponseSchema,
  type AppendRequest,
  type AppendResponse,
} from '../clients/ts/src/gen/smarterbase/v1/log_service_pb.js';
import { startRedis } from '../test/harness/redis-server.js';
import { startVersitygw } from '../test/harness/versitygw.js';
import { diffCounts, sumByLabel } from './metrics-labels.js';
import { freePort, repoRoot, serverMainPath, startListening } from './processes.js';
import { serverArgs, VERSITYGW_S3_ENV } from './smarterbase-server.js';
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';

const BUCKET = 'sb-logs';

/** The parsed command line. */
interface CliOptions {
  readonly seconds: number;
  readonly appenders: number[];
  readonly compareEncryption: boolean;
  readonly rounds: number;
}

function parse(argv: string[]): CliOptions {
  const list = (v: string) => {
    const ns = v.split(',').map(Number);
    if (ns.some((n) => !Number.isInteger(n) || n < 1)) throw new InvalidArgumentError('expected positive integers, comma-separated');
    return ns;
  };
  const seconds = (v: string) => {
    const n = Number(v);
    if (!(n > 0)) throw new InvalidArgumentError('expected seconds > 0');
    return n;
  };
  return new Command('log-bench')
    .description('1-line Append throughput with N concurrent appenders on S3 + Redis, and S3 requests per line')
    .option('--seconds <s>', 'measured seconds per appender count', seconds, 10)
    .option('--appenders <list>', 'appender counts to run', list, [1, 16])
    .option('--compare-encryption', 'also run every case on a second server with a keyring (encryption at rest), alternating', false)
    .option('--rounds <n>', 'with --compare-encryption: clear/encrypted pairs per appender count', (v) => list(v)[0]!, 1)
    .parse(argv)
    .opts<CliOptions>();
}

/** One appender count's figures. */
interface Case {
  /** Whether the server had a keyring (log objects sealed). */
  readonly encrypted: boolean;
  readonly appenders: number;
  readonly lines: number;
  readonly seconds: number;
  readonly appendsPerSecond: number;
  readonly latencyMs: LatencySummary;
  /** S3 requests by op per appended line (put, get, list, …). */
  readonly s3RequestsPerLine: Record<string, number>;
  /** All S3 requests per appended line. */
  readonly s3RequestsPerLineTotal: number;
}

function appendOnce(client: grpc.Client, req: AppendRequest): Promise<AppendResponse> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      '/smarterbase.v1.LogService/Append',
      (m: AppendRequest) => Buffer.from(toBinary(AppendRequestSchema, m)),
      (b: Buffer) => fromBinary(AppendResponseSchema, b),
      req,
      (err, res) => (err ? reject(err) : resolve(res!)),
    ),
  );
}

async function storageOps(metricsPort: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  return sumByLabel(await res.text(), 'smarterbase_storage_operations_total', 'op');
}

/** A server under test: its client, metrics port and whether it has a keyring. */
interface Target {
  readonly client: grpc.Client;
  readonly metricsPort: number;
  readonly encrypted: boolean;
}

async function runCase({ client, metricsPort, encrypted }: Target, appenders: number, seconds: number): Promise<Case> {
  const log = `bench-${encrypted ? 'enc' : 'clear'}-${appenders}-${Date.now()}`;
  await appendOnce(client, create(AppendRequestSchema, { log, lines: ['{"warm":true}'] }));
  const before = await storageOps(metricsPort);
  const latencies: number[] = [];
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: appenders }, async (_, a) => {
      for (let i = 0; performance.now() < until; i++) {
        const s = performance.now();
        await appendOnce(client, create(AppendRequestSchema, { log, lines: [`{"appender":${a},"i":${i}}`] }));
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const ops = diffCounts(before, await storageOps(metricsPort));
  const lines = latencies.length;
  const perLine = Object.fromEntries(Object.entries(ops).map(([op, n]) => [op, round(n / lines, 3)]));
  const total = Object.values(ops).reduce((s, n) => s + n, 0);
  return {
    encrypted,
    appenders,
    lines,
    seconds: round(elapsed, 2),
    appendsPerSecond: round(lines / elapsed, 1),
    latencyMs: roundSummary(summarize(latencies)),
    s3RequestsPerLine: perLine,
    s3RequestsPerLineTotal: round(total / lines, 3),
  };
}

function markdown(when: string, cases: readonly Case[]): string {
  return [
    `# Log benchmark, ${when}`,
    '',
    `1-line Appends, one server on versitygw (native conditions) + Redis; ${cpus().length} CPUs, Node ${process.version}.`,
    '',
    '| keyring | appenders | appends/s | p50 ms | p99 ms | S3 requests / line | by op |',
    '|---|---|---|---|---|---|---|',
    ...cases.map(
      (c) =>
        `| ${c.encrypted ? 'yes' : 'no'} | ${c.appenders} | ${c.appendsPerSecond} | ${c.latencyMs.p50} | ${c.latencyMs.p99} | ${c.s3RequestsPerLineTotal} | ${Object.entries(
          c.s3RequestsPerLine,
        )
          .map(([op, n]) => `${op} ${n}`)
          .join(', ')} |`,
    ),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const when = new Date().toISOString();
  const loadAverage = loadavg().map((v) => round(v, 2));
  const s3 = await startVersitygw(BUCKET);
  const redis = await startRedis();
  const keyDir = mkdtempSync(join(tmpdir(), 'sb-logbench-'));
  const keyring = join(keyDir, 'keyring.json');
  writeFileSync(keyring, JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(32, 0x5a).toString('base64') } }));
  const started: { stop(): Promise<void> }[] = [];
  const targets: Target[] = [];
  try {
    for (const encrypted of o.compareEncryption ? [false, true] : [false]) {
      const metricsPort = await freePort();
      const args = [
        ...serverArgs({ kind: 's3', endpoint: s3.endpoint, bucket: BUCKET }),
        ...['--coordination', 'redis', '--redis-url', redis.url, '--metrics-port', String(metricsPort)],
      ];
      const env = { ...VERSITYGW_S3_ENV, ...(encrypted ? { SB_ENCRYPTION_KEYRING_FILE: keyring } : {}) };
      const server = await startListening(serverMainPath(), args, env);
      started.push(server);
      targets.push({ client: new grpc.Client(`127.0.0.1:${server.port}`, grpc.credentials.createInsecure()), metricsPort, encrypted });
    }
    const cases: Case[] = [];
    for (const n of o.appenders) {
      for (let r = 0; r < (o.compareEncryption ? o.rounds : 1); r++) {
        for (const t of targets) {
          process.stderr.write(`logs: ${n} appender(s)${t.encrypted ? ', keyring' : ''}\n`);
          cases.push(await runCase(t, n, o.seconds));
        }
      }
    }
    const run = { when, machine: { cpus: cpus().length, node: process.version, loadAverage }, seconds: o.seconds, cases };
    const dir = join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stem = join(dir, `logs-${when.replace(/[:.]/g, '-')}`);
    writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(`${stem}.md`, markdown(when, cases));
    console.log(markdown(when, cases));
    console.log(`written: ${stem}.json, ${stem}.md`);
  } finally {
    for (const t of targets) t.client.close();
    for (const server of started) await server.stop();
    rmSync(keyDir, { recursive: true, force: true });
    await redis.stop();
    await s3.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
