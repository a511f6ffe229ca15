/**
 * The soak benchmark's result document (written as JSON) and its short
 * Markdown table.
 */
import type { LatencySummary } from './stats.js';
import type { MachineInfo } from './report.js';
import type { SoakMix } from './soak-plan.js';
import type { RssFigures, SoakSample, SoakVerdict } from './soak-summary.js';

/** Everything one soak run measured. */
export interface SoakReport {
  /** ISO time the run started (also names the files). */
  readonly startedAt: string;
  /** ISO time the run finished. */
  readonly finishedAt: string;
  /** The machine the figures come from. */
  readonly machine: MachineInfo;
  /** The command-line options of the run. */
  readonly parameters: Record<string, unknown>;
  /** The server's stream stall timeout in force, ms. */
  readonly streamStallTimeoutMs: number;
  /** Load average (1, 5, 15 min) at the start and at the end of the load. */
  readonly loadAverage: { readonly start: number[]; readonly end: number[] };
  /** CPU used over the load, % of one core: the server's and this (the client) process's. */
  readonly cpuPercent: { server?: number; client: number };
  /** The open loop: calls scheduled, started, not started (cap), most in flight, client start lag. */
  readonly load: { scheduled: number; started: number; notStarted: number; maxInFlight: number; maxStartLagMs: number };
  /** method → outcome → count. */
  readonly outcomes: Record<string, Record<string, number>>;
  /** Errors (every outcome but ok, cancelled, stall-reset) by gRPC code or kind. */
  readonly errorsByCode: Record<string, number>;
  /** The first message of each error kind. */
  readonly firstErrorMessages: Record<string, string>;
  /** Streams the client cancelled on purpose. */
  readonly cancellations: number;
  /** Streams of clients that stopped reading, reset by the server as they must be. */
  readonly stallResets: number;
  /** Latency of ok calls, ms, from their due time: unary (Get + Put), Get, Put, and streams read to the end. */
  readonly latency: { unary?: LatencySummary; get?: LatencySummary; put?: LatencySummary; streams?: LatencySummary };
  /** RSS at the mark, at the end of the load, its ratio, max and after the drain. */
  readonly rss: RssFigures;
  /** Server active calls: most seen, at the end of the load, after the drain, and how long the drain took (s). */
  readonly activeCalls: { max: number; atLoadEnd?: number; afterDrain?: number; drainSeconds: number };
  /** Server log lines at warn level or above during the run, and the first few. */
  readonly serverWarnings: { count: number; first: string[] };
  /** The issue-8 targets, each PASS or MISS. */
  readonly verdicts: SoakVerdict[];
  /** Every second's sample. */
  readonly samples: SoakSample[];
}

/** The Markdown summary of `r`; `svgName` is the chart's file name beside it. */
export function soakMarkdown(r: SoakReport, svgName: string): string {
  const p = r.parameters;
  const mix = p.mix as SoakMix;
  const pct = (share: number) => Math.round(share * 1000) / 10;
  const la = (v: number[]) => v.map((x) => x.toFixed(2)).join(' / ');
  const lat = (name: string, s?: LatencySummary) =>
    s ? `| ${name} | ${s.count} | ${s.p50} | ${s.p99} | ${s.max} |` : `| ${name} | 0 | - | - | - |`;
  const lines = [
    `# Soak benchmark, ${r.startedAt}`,
    '',
    `${p.minutes} min at ${p.rate} calls/s (open loop) on ${p.stack}, ${p.docs} documents of ~${p.documentBytes} B; ` +
      `${pct(mix.get)} % Get, ${pct(mix.put)} % Put, ${pct(mix.query)} % Query (limit ${p.queryLimit}), ${pct(mix.batchGet)} % BatchGet (${p.batchIds} ids); ` +
      `${pct(mix.cancelStreams)} % of streams cancelled after the first message, ` +
      `${pct(mix.stallStreams)} % from a client that stops reading (reset after ${r.streamStallTimeoutMs} ms). Seed ${p.seed}.`,
    '',
    `${r.machine.cpuCount} CPUs, node ${r.machine.node}; load average (1/5/15 min) ${la(r.loadAverage.start)} at start, ${la(r.loadAverage.end)} at end.`,
    '',
    '| figure | value | target | verdict |',
    '|---|---:|---|---|',
    ...r.verdicts.map((v) => `| ${v.name} | ${v.value} | ${v.target} | ${v.pass ? 'PASS' : 'MISS'} |`),
    `| RSS at start / at ${r.rss.markSeconds} s / end / max / after drain (MiB) | ${r.rss.startMiB} / ${r.rss.atMarkMiB} / ${r.rss.endMiB} / ${r.rss.maxMiB} / ${r.rss.afterDrainMiB} | | |`,
    `| active calls max / at load end / after drain (drain ${r.activeCalls.drainSeconds} s) | ${r.activeCalls.max} / ${r.activeCalls.atLoadEnd ?? '-'} / ${r.activeCalls.afterDrain ?? '-'} | | |`,
    `| calls scheduled / started / not started (cap) | ${r.load.scheduled} / ${r.load.started} / ${r.load.notStarted} | | |`,
    `| most in flight (client) / max start lag (ms) | ${r.load.maxInFlight} / ${r.load.maxStartLagMs} | | |`,
    `| cancelled on purpose / stalled clients reset | ${r.cancellations} / ${r.stallResets} | | |`,
    `| CPU over the load, % of one core: server / client | ${r.cpuPercent.server ?? '-'} / ${r.cpuPercent.client} | | |`,
    `| server log lines at warn or above | ${r.serverWarnings.count} | | |`,
    '',
    '| latency of ok calls, from due time (ms) | count | p50 | p99 | max |',
    '|---|---:|---:|---:|---:|',
    lat('unary (Get + Put)', r.latency.unary),
    lat('Get', r.latency.get),
    lat('Put', r.latency.put),
    lat('streams read to the end', r.latency.streams),
    '',
    `Errors by code: ${
      Object.keys(r.errorsByCode).length === 0
        ? 'none'
        : Object.entries(r.errorsByCode)
            .map(([c, n]) => `${c} ${n}`)
            .join(', ')
    }.`,
    ...Object.entries(r.firstErrorMessages).map(([c, m]) => `- first ${c}: ${m}`),
    '',
    `![RSS and active calls over time](${svgName})`,
    '',
  ];
  return lines.join('\n');
}
