/**
 * The h2load throughput scenario as report rows: a markdown table of figures
 * per target, a table of ratios against both baselines, and the verdicts of
 * issue 11's first target.
 */
import type { H2loadFigure } from './h2load-figure.js';
import type { H2loadThroughputResult } from './h2load-throughput.js';

/** Target: our Get calls/s under h2load is at least this fraction of the echo's. */
export const H2LOAD_CALLS_RATIO_TARGET = 0.7;
/** Target: our server CPU per Get is at most this multiple of the echo's. */
export const H2LOAD_CPU_RATIO_TARGET = 1.5;

/** A ratio checked against its target (same shape as report.ts's Verdict). */
export interface H2loadVerdict {
  /** What was compared. */
  readonly name: string;
  /** The measured ratio. */
  readonly ratio: number;
  /** The target, with its direction. */
  readonly target: string;
  /** True when the ratio meets the target. */
  readonly pass: boolean;
}

/** Where the run was made, for the heading of the markdown. */
export interface H2loadRunContext {
  /** The command line of the run. */
  readonly command: string;
  /** ISO start time. */
  readonly startedAt: string;
  /** Logical CPUs (nproc). */
  readonly cpuCount: number;
  /** CPU model. */
  readonly cpuModel: string;
}

const LABELS: Record<string, string> = {
  echo: 'echo (grpc-js + protobuf-es toBinary)',
  'echo-pre-encoded': 'echo, pre-encoded response (no codec)',
  memory: 'ours, memory storage',
  filesystem: 'ours, filesystem storage',
  'memory-before': 'ours before (other build), memory',
};

/** The label of a target in the tables. */
export function targetLabel(name: string): string {
  return LABELS[name] ?? name;
}

/** One markdown row of a figure. */
export function figureRow(name: string, f: H2loadFigure): string {
  const cells = [
    targetLabel(name),
    f.callsPerSecond.toLocaleString('en-US'),
    String(f.serverCpuUsPerCall),
    String(f.serverCpuPercent),
    String(f.loadCpuPercent),
    String(f.meanRequestMs),
    `${f.dataBytesPerCall} (${f.expectedBytesPerCall})`,
    f.slices.map((s) => Math.round(s.summary.requestsPerSecond)).join(' / '),
  ];
  return `| ${cells.join(' | ')} |`;
}

/** Issue 11's first target for each of our storages against the decoding echo. */
export function h2loadVerdicts(r: H2loadThroughputResult): H2loadVerdict[] {
  const out: H2loadVerdict[] = [];
  for (const c of r.comparisons) {
    if (c.baseline !== 'echo' || c.target === 'memory-before') continue;
    out.push({
      name: `gRPC Get (h2load) calls/s ${c.target}/echo`,
      ratio: c.callsRatio,
      target: `>= ${H2LOAD_CALLS_RATIO_TARGET}`,
      pass: c.callsRatio >= H2LOAD_CALLS_RATIO_TARGET,
    });
    out.push({
      name: `gRPC Get (h2load) server CPU/call ${c.target}/echo`,
      ratio: c.cpuPerCallRatio,
      target: `<= ${H2LOAD_CPU_RATIO_TARGET}`,
      pass: c.cpuPerCallRatio <= H2LOAD_CPU_RATIO_TARGET,
    });
  }
  return out;
}

/** The scenario as markdown: context, figures, ratios, verdicts. */
export function h2loadMarkdown(r: H2loadThroughputResult, ctx: H2loadRunContext): string {
  const lines = [
    `### gRPC Get under h2load, ${ctx.startedAt}`,
    '',
    `- command: \`${ctx.command}\``,
    `- machine: nproc ${ctx.cpuCount} (${ctx.cpuModel}); load average (1/5/15 min) ${r.loadAverage.start.join(', ')} at start, ${r.loadAverage.end.join(', ')} at end`,
    `- load: \`h2load -c1 -m${r.concurrency} -t1\`, ${r.rounds} interleaved slices of ${r.sliceMs} ms per target, each after a warm-up run`,
    ...(r.beforeServerMain ? [`- before: \`${r.beforeServerMain}\``] : []),
    '',
    '| target | calls/s | server CPU µs/call | server CPU % | h2load CPU % | mean ms | data B/call (expected) | req/s per slice |',
    '|---|---|---|---|---|---|---|---|',
    ...Object.entries(r.figures).map(([name, f]) => figureRow(name, f)),
    '',
    '| ours ÷ baseline | calls/s | server CPU per call |',
    '|---|---|---|',
    ...r.comparisons.map((c) => `| ${c.target} ÷ ${c.baseline} | ${c.callsRatio} | ${c.cpuPerCallRatio} |`),
  ];
  const verdicts = h2loadVerdicts(r);
  if (verdicts.length > 0) {
    lines.push('', '| target | ratio | wanted | verdict |', '|---|---|---|---|');
    for (const v of verdicts) lines.push(`| ${v.name} | ${v.ratio} | ${v.target} | ${v.pass ? 'PASS' : 'MISS'} |`);
  }
  return lines.join('\n');
}
