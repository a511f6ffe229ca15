/**
 * The benchmark's output: one JSON document per run (machine, parameters,
 * figures, verdicts) and a short table of ratios with PASS / MISS against
 * the targets.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { GrpcThroughputResult } from './grpc-throughput.js';
import { h2loadVerdicts } from './h2load-report.js';
import type { H2loadThroughputResult } from './h2load-throughput.js';
import type { QueryBenchResult } from './query-bench.js';
import { formatQueryTable, queryVerdicts } from './query-report.js';
import type { S3LatencyResult } from './s3-latency.js';
import type { ThroughputFigure } from './throughput-figure.js';

/** Target: our p50 latency on the S3 path is at most this multiple of raw SDK calls. */
export const S3_P50_RATIO_TARGET = 1.2;
/** Target: our Get throughput is at least this fraction of the bare echo server's. */
export const GRPC_THROUGHPUT_RATIO_TARGET = 0.7;

/** The machine a run was made on. */
export interface MachineInfo {
  /** Model name of the first CPU. */
  readonly cpuModel: string;
  /** Logical CPUs. */
  readonly cpuCount: number;
  /** Total memory, GiB. */
  readonly totalMemoryGiB: number;
  /** Node version, e.g. v20.20.2. */
  readonly node: string;
  /** process.platform. */
  readonly platform: string;
  /** process.arch. */
  readonly arch: string;
}

/** One ratio checked against its target. */
export interface Verdict {
  /** What was compared, e.g. "S3 Get p50 ours/raw". */
  readonly name: string;
  /** The measured ratio. */
  readonly ratio: number;
  /** The target, with its direction. */
  readonly target: string;
  /** True when the ratio meets the target. */
  readonly pass: boolean;
}

/** Everything one run wrote. */
export interface BenchReport {
  /** ISO time the run started (also names the JSON file). */
  readonly startedAt: string;
  /** ISO time the run finished. */
  readonly finishedAt: string;
  /** The machine the figures come from. */
  readonly machine: MachineInfo;
  /** The command-line options of the run. */
  readonly parameters: Record<string, unknown>;
  /** Scenario 1, when run. */
  readonly s3?: S3LatencyResult;
  /** Scenario 2 with Node load clients (`--load node`), when run. */
  readonly grpc?: GrpcThroughputResult;
  /** Scenario 2 with h2load (the default), when run. */
  readonly grpcH2load?: H2loadThroughputResult;
  /** Scenario 3 (queries on S3 + Redis), when run. */
  readonly query?: QueryBenchResult;
  /** Every ratio against its target. */
  readonly verdicts: readonly Verdict[];
}

/** Facts about this machine and Node. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: process.platform,
    arch: process.arch,
  };
}

/** The verdicts of whatever parts of a run produced ratios. */
export function verdicts(
  s3?: S3LatencyResult,
  grpc?: GrpcThroughputResult,
  query?: QueryBenchResult,
  grpcH2load?: H2loadThroughputResult,
): Verdict[] {
  const out: Verdict[] = [];
  for (const scenario of s3?.scenarios ?? []) {
    for (const op of ['get', 'put'] as const) {
      const ratio = scenario[op].ratioP50;
      if (ratio !== undefined) {
        const name = `S3 ${op === 'get' ? 'Get' : 'Put'} p50 ours/raw, ${scenario.label}`;
        out.push({ name, ratio, target: `<= ${S3_P50_RATIO_TARGET}`, pass: ratio <= S3_P50_RATIO_TARGET });
      }
    }
    const h = scenario.getH2load;
    if (h) {
      // Not the target (p50 with a Node client): the server alone, by mean, with a C client.
      const name = `(info) S3 Get mean ours/raw, h2load client, ${scenario.label}`;
      out.push({ name, ratio: h.ratioMean, target: `<= ${S3_P50_RATIO_TARGET}`, pass: h.ratioMean <= S3_P50_RATIO_TARGET });
    }
  }
  for (const storage of ['memory', 'filesystem'] as const) {
    const c = grpc?.ours[storage];
    if (c) {
      const name = `gRPC Get calls/s ours(${storage})/echo`;
      out.push({ name, ratio: c.ratio, target: `>= ${GRPC_THROUGHPUT_RATIO_TARGET}`, pass: c.ratio >= GRPC_THROUGHPUT_RATIO_TARGET });
    }
  }
  if (grpcH2load) out.push(...h2loadVerdicts(grpcH2load));
  if (query) out.push(...queryVerdicts(query));
  return out;
}

/**
 * Writes `<dir>/<timestamp>.json` and `<dir>/latest.json`, plus `<dir>/<timestamp>.md`
 * when `markdown` is given; resolves with the first path.
 */
export async function writeReport(dir: string, report: BenchReport, markdown?: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const text = `${JSON.stringify(report, null, 2)}\n`;
  const base = join(dir, report.startedAt.replace(/[:.]/g, '-'));
  const file = `${base}.json`;
  await writeFile(file, text);
  if (markdown !== undefined) await writeFile(`${base}.md`, `${markdown}\n`);
  await writeFile(join(dir, 'latest.json'), text);
  return file;
}

/** The human-readable summary of a run. */
export function formatTable(report: BenchReport): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(`machine: ${m.cpuCount} × ${m.cpuModel}, ${m.totalMemoryGiB} GiB, node ${m.node}`);
  if (report.s3) {
    for (const scenario of report.s3.scenarios) {
      lines.push('', header(`S3 path (${scenario.label}), sequential, ms`, ['p50', 'p90', 'p99']));
      for (const op of ['get', 'put'] as const) {
        const c = scenario[op];
        lines.push(row(`${op} raw SDK`, [c.raw.p50, c.raw.p90, c.raw.p99]));
        if (c.ours) lines.push(row(`${op} ours (gRPC)`, [c.ours.p50, c.ours.p90, c.ours.p99]));
      }
      const cas = scenario.rawHeadThenConditionalPut;
      lines.push(row('(info) raw Head + Put If-Match', [cas.p50, cas.p90, cas.p99]));
      const h = scenario.getH2load;
      if (h) {
        lines.push(row('(info) get raw SDK, mean', [h.rawMeanMs]));
        lines.push(row(`(info) get ours, h2load -c1 -m1, mean`, [h.oursMeanMs]));
        lines.push(`  (info) ÷ raw: ${h.ratioMean} (h2load CPU ${h.h2loadCpuPercent} %, ${h.oursCalls} calls, ${h.oursErrors} errors)`);
      }
    }
    const mem = report.s3.oursOnMemory;
    if (mem) {
      lines.push(row('(info) get ours, memory storage', [mem.get.p50, mem.get.p90, mem.get.p99]));
      lines.push(row('(info) put ours, memory storage', [mem.put.p50, mem.put.p90, mem.put.p99]));
    }
  }
  if (report.grpc) {
    const g = report.grpc;
    lines.push(
      '',
      `gRPC Get, ${g.concurrency} in flight, client ${g.client}`,
      header('', ['calls/s', 'p50 ms', 'p99 ms', 'cli cpu%', 'srv cpu%', 'srv µs']),
    );
    const fig = (f: ThroughputFigure) => [
      f.callsPerSecond,
      f.p50Ms,
      f.p99Ms,
      f.clientCpuPercent,
      f.serverCpuPercent ?? NaN,
      f.serverCpuUsPerCall ?? NaN,
    ];
    for (const [kind, f] of Object.entries(g.clients ?? {})) {
      if (f) lines.push(row(`(client) echo, ${kind}`, fig(f)));
    }
    lines.push(row('echo server (baseline)', fig(g.echo)));
    for (const [storage, c] of Object.entries(g.ours)) {
      if (c) lines.push(row(`ours, ${storage}`, fig(c.ours)));
    }
  }
  if (report.grpcH2load) {
    lines.push('', `gRPC Get under h2load: see the markdown beside the JSON (${Object.keys(report.grpcH2load.figures).length} targets)`);
  }
  if (report.query) lines.push(...formatQueryTable(report.query));
  if (report.verdicts.length > 0) {
    lines.push('', `${'ratio'.padEnd(46)} value   target   verdict`);
    for (const v of report.verdicts) {
      lines.push(`${v.name.padEnd(46)} ${v.ratio.toFixed(3).padStart(6)}   ${v.target.padEnd(7)}  ${v.pass ? 'PASS' : 'MISS'}`);
    }
  }
  return lines.join('\n');
}

function header(label: string, columns: string[]): string {
  return `${label.padEnd(38)}${columns.map((c) => c.padStart(9)).join('')}`;
}

function row(label: string, values: number[]): string {
  return `  ${label.padEnd(36)}${values.map((v) => (Number.isNaN(v) ? '-' : String(v)).padStart(9)).join('')}`;
}
