/**
 * The decode-stall benchmark's scenarios and presentation: which oversized
 * request goes to which port in which protocol, the "p99 added" verdict,
 * and the markdown written beside the JSON in bench/results/.
 */
import { round, type LatencySummary } from './stats.js';

/** Target: p99 of small Gets while oversized requests are refused, minus p99 without them, below this (ms). */
export const ADDED_P99_TARGET_MS = 50;

/** One oversized request sent on one port in one protocol. */
export interface StallScenario {
  /** Stable key in the JSON and for --only, e.g. "grpc-port.batchget". */
  readonly key: string;
  /** Which port receives it. */
  readonly port: 'grpc' | 'http';
  /** Wire protocol of the oversized request. */
  readonly protocol: 'grpc' | 'connect';
  /** Which request: BatchGet with many ids, or Put with a Struct of many keys. */
  readonly request: 'batchget' | 'put-struct';
}

/** Every scenario, in the order measured. */
export const SCENARIOS: readonly StallScenario[] = [
  { key: 'grpc-port.batchget', port: 'grpc', protocol: 'grpc', request: 'batchget' },
  { key: 'grpc-port.put-struct', port: 'grpc', protocol: 'grpc', request: 'put-struct' },
  { key: 'http-grpc.batchget', port: 'http', protocol: 'grpc', request: 'batchget' },
  { key: 'http-grpc.put-struct', port: 'http', protocol: 'grpc', request: 'put-struct' },
  { key: 'http-connect.batchget', port: 'http', protocol: 'connect', request: 'batchget' },
  { key: 'http-connect.put-struct', port: 'http', protocol: 'connect', request: 'put-struct' },
];

/** A row label, e.g. "HTTP port, Connect binary: BatchGet 300,000 ids". */
export function scenarioLabel(s: StallScenario, elements: number): string {
  const where = s.port === 'grpc' ? 'gRPC port (grpc-js)' : s.protocol === 'grpc' ? 'HTTP port, gRPC h2c' : 'HTTP port, Connect binary';
  const what =
    s.request === 'batchget'
      ? `BatchGet, ${elements.toLocaleString('en-US')} ids`
      : `Put, Struct of ${elements.toLocaleString('en-US')} keys`;
  return `${where}: ${what}`;
}

/** The figures of one scenario. */
export interface StallResult extends StallScenario {
  /** Bytes of the oversized request message (before any envelope). */
  readonly requestBytes: number;
  /** Oversized requests answered while small Gets were measured (and around it). */
  readonly oversizedAnswered: number;
  /** How they were answered, by kind. */
  readonly outcomes: Record<string, number>;
  /** Time to the answer of each oversized request, ms. */
  readonly rejection: LatencySummary;
  /** Server CPU time per oversized request, ms (beyond what the small Gets use; Linux only): the event-loop time it costs, whatever else loads the machine. */
  readonly serverCpuMsPerRequest?: number;
  /** The small Gets alone, just before, ms. */
  readonly baseline: LatencySummary;
  /** The small Gets while oversized requests were sent, ms. */
  readonly gets: LatencySummary;
  /** Small Gets that failed in either phase. */
  readonly getErrors: number;
  /** The first of those failures. */
  readonly firstGetError?: string;
  /** gets.p99 − baseline.p99, ms. */
  readonly addedP99Ms: number;
  /** addedP99Ms < ADDED_P99_TARGET_MS. */
  readonly pass: boolean;
}

/** Everything a run wrote. */
export interface StallRun {
  /** ISO start time (names the files). */
  readonly when: string;
  /** ISO end time. */
  readonly finishedAt: string;
  /** Free-text label of the run, e.g. "before" / "after". */
  readonly label: string;
  /** CPUs, Node version, load averages. */
  readonly machine: { readonly cpus: number; readonly node: string; readonly loadAverage: number[]; readonly loadAverageAtEnd: number[] };
  /** The run's parameters. */
  readonly parameters: Record<string, unknown>;
  /** One entry per scenario measured. */
  readonly scenarios: readonly StallResult[];
}

/** The added p99 and its verdict. */
export function addedP99(gets: LatencySummary, baseline: LatencySummary): { addedP99Ms: number; pass: boolean } {
  const added = round(gets.p99 - baseline.p99, 2);
  return { addedP99Ms: added, pass: added < ADDED_P99_TARGET_MS };
}

function outcomeText(o: Record<string, number>): string {
  return Object.entries(o)
    .map(([k, n]) => `${n}× ${k.replace(/\|/g, '\\|')}`)
    .join('; ');
}

/** The markdown report of a run. */
export function formatStallMarkdown(run: StallRun): string {
  const p = run.parameters;
  const lines = [
    `# Decode-stall benchmark (${run.label}), ${run.when}`,
    '',
    `Per scenario: small unary Gets (${String(p.clients)} clients, one every ${String(p.intervalMs)} ms each, open loop, connect-node gRPC transport to the gRPC port) for ${String(p.durationS)} s alone, then for ${String(p.durationS)} s while another client (a worker thread) sends one oversized request after another; memory storage, SB_MAX_MESSAGE_BYTES ${String(p.maxMessageBytes)}. Target: Get p99 added < ${ADDED_P99_TARGET_MS} ms.`,
    '',
    `${run.machine.cpus} CPUs, node ${run.machine.node}; load average ${run.machine.loadAverage.join(' / ')} at start, ${run.machine.loadAverageAtEnd.join(' / ')} at end.`,
    '',
    '| oversized request | bytes | answered | rejection p50 (ms) | server CPU per request (ms) | Get p99 alone (ms) | Get p50 (ms) | Get p99 (ms) | Get max (ms) | Gets failed | p99 added (ms) | verdict |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...run.scenarios.map(
      (s) =>
        `| ${scenarioLabel(s, Number(p.elements))} | ${s.requestBytes} | ${s.oversizedAnswered} | ${s.rejection.p50} | ${s.serverCpuMsPerRequest ?? '–'} | ${s.baseline.p99} | ${s.gets.p50} | ${s.gets.p99} | ${s.gets.max} | ${s.getErrors} | ${s.addedP99Ms} | ${s.pass ? 'PASS' : 'MISS'} |`,
    ),
    '',
    'Answers:',
    '',
    ...run.scenarios.map(
      (s) => `- ${s.key}: ${outcomeText(s.outcomes)}${s.firstGetError === undefined ? '' : `; first failed Get: ${s.firstGetError}`}`,
    ),
    '',
  ];
  return lines.join('\n');
}
