/**
 * The BatchGet benchmark's plan and presentation: which storage variants it
 * measures (memory, loopback S3, S3 through the delay proxy at each RTT) with
 * how many runs, the speed-up verdict, and the console and markdown tables
 * written beside the JSON in bench/results/.
 */
import { round, type LatencySummary } from './stats.js';

/** The speed-up BatchGet must reach over sequential Gets (sequential p50 / BatchGet p50). */
export const BATCH_SPEEDUP_TARGET = 10;

/** One storage set-up the benchmark measures, with its number of alternating runs. */
export interface BatchVariant {
  /** Stable key in the JSON, e.g. "memory", "s3-loopback", "s3-rtt-10ms". */
  readonly key: string;
  /** Row label of the tables, e.g. "S3 via proxy, 10 ms RTT". */
  readonly label: string;
  /** The server's storage. */
  readonly storage: 'memory' | 's3';
  /** Round trip the delay proxy adds between the server and S3, ms (0: no proxy, loopback). */
  readonly rttMs: number;
  /** Measured runs, each one BatchGet then 100 sequential Gets. */
  readonly runs: number;
}

/** What decides the plan. */
export interface BatchPlanOptions {
  /** Runs of the memory and loopback S3 variants. */
  readonly runs: number;
  /** RTTs of the delayed S3 variants, ms (each > 0), in order. */
  readonly rttMs: readonly number[];
  /**
   * Runs of each delayed variant, by position in rttMs; a shorter list repeats
   * its last value, an empty one means `runs`.
   */
  readonly delayedRuns: readonly number[];
}

/** The variants to measure: memory, loopback S3, then one S3 variant per RTT. Throws on an RTT ≤ 0 or runs < 1. */
export function planVariants(o: BatchPlanOptions): BatchVariant[] {
  const positive = (n: number, what: string): number => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
    return n;
  };
  const runs = positive(o.runs, 'runs');
  const variants: BatchVariant[] = [
    { key: 'memory', label: 'memory', storage: 'memory', rttMs: 0, runs },
    { key: 's3-loopback', label: 'S3 (loopback)', storage: 's3', rttMs: 0, runs },
  ];
  o.rttMs.forEach((rtt, i) => {
    if (!(Number.isFinite(rtt) && rtt > 0)) throw new RangeError(`RTT must be > 0 ms, got ${rtt}`);
    const r = o.delayedRuns.length === 0 ? runs : o.delayedRuns[Math.min(i, o.delayedRuns.length - 1)];
    variants.push({
      key: `s3-rtt-${rtt}ms`,
      label: `S3 via proxy, ${rtt} ms RTT`,
      storage: 's3',
      rttMs: rtt,
      runs: positive(r, `runs at ${rtt} ms RTT`),
    });
  });
  return variants;
}

/** The figures of one variant. */
export interface BatchVariantResult extends BatchVariant {
  /** One BatchGet of all documents, ms. */
  readonly batchGet: LatencySummary;
  /** The same documents by sequential Gets, ms. */
  readonly sequentialGets: LatencySummary;
  /** sequentialGets.p50 / batchGet.p50. */
  readonly speedupP50: number;
  /** Whether speedupP50 ≥ BATCH_SPEEDUP_TARGET. */
  readonly pass: boolean;
  /**
   * Informative, S3 variants only: p50 of a raw SDK GetObject of a 1 KB object
   * from the bench process on the same path the server uses (through the
   * proxy when delayed): what one S3 GET costs there, ms.
   */
  readonly rawS3GetP50Ms?: number;
  /**
   * The server process's CPU per document, µs (from /proc, 10 ms ticks summed
   * over all measured runs; absent where /proc is missing): in the BatchGets,
   * and in the sequential Gets. The stable figure when the machine is shared.
   */
  readonly serverCpuMicrosPerDocument?: { readonly batchGet: number; readonly sequentialGet: number };
}

/** The server's CPU over all measured runs, ms, on each side. */
export interface ServerCpuTotals {
  /** CPU during the BatchGets. */
  readonly batchGetMs: number;
  /** CPU during the sequential Gets. */
  readonly sequentialMs: number;
}

/** The figures of one variant from its samples (ms), with the server's CPU totals when measured. */
export function variantResult(
  v: BatchVariant,
  batchGet: LatencySummary,
  sequentialGets: LatencySummary,
  rawS3GetP50Ms?: number,
  serverCpu?: ServerCpuTotals,
  documents = 100,
): BatchVariantResult {
  const speedupP50 = round(sequentialGets.p50 / batchGet.p50, 2);
  const perDoc = (ms: number) => round((1000 * ms) / (v.runs * documents), 1);
  return {
    ...v,
    batchGet,
    sequentialGets,
    speedupP50,
    pass: speedupP50 >= BATCH_SPEEDUP_TARGET,
    ...(rawS3GetP50Ms === undefined ? {} : { rawS3GetP50Ms: round(rawS3GetP50Ms, 2) }),
    ...(serverCpu === undefined
      ? {}
      : { serverCpuMicrosPerDocument: { batchGet: perDoc(serverCpu.batchGetMs), sequentialGet: perDoc(serverCpu.sequentialMs) } }),
  };
}

/** One line per variant with the server's CPU per document, when measured. */
function cpuLines(run: BatchRun): string[] {
  return run.variants
    .filter((r) => r.serverCpuMicrosPerDocument !== undefined)
    .map(
      (r) =>
        `${r.label}: ${r.serverCpuMicrosPerDocument!.batchGet} µs in BatchGet, ${r.serverCpuMicrosPerDocument!.sequentialGet} µs per sequential Get`,
    );
}

/** The machine a bench run ran on: CPUs, Node version, 1/5/15-minute load averages at start and end. */
export interface RunMachine {
  readonly cpus: number;
  readonly node: string;
  readonly loadAverage: readonly number[];
  readonly loadAverageAtEnd: readonly number[];
}

/** A whole run, as written to the JSON. */
export interface BatchRun {
  /** Start, ISO 8601. */
  readonly when: string;
  /** End, ISO 8601. */
  readonly finishedAt: string;
  /** The machine, with the 1/5/15-minute load averages at start and end. */
  readonly machine: RunMachine;
  /** Documents per BatchGet (and sequential Gets per run), and whether --quick was given. */
  readonly parameters: { readonly documents: number; readonly documentBytes: number; readonly quick: boolean };
  /** One per variant, in plan order. */
  readonly variants: readonly BatchVariantResult[];
}

const ms = (v: number): string => v.toFixed(2);
const verdict = (r: BatchVariantResult): string => (r.pass ? 'PASS' : 'MISS');
const load = (l: readonly number[]): string => l.map((v) => v.toFixed(2)).join(' / ');

/** The console table: one line per variant. */
export function formatBatchTable(run: BatchRun): string {
  const n = run.parameters.documents;
  const lines = [
    `BatchGet of ${n} documents vs ${n} sequential Gets; ${run.machine.cpus} CPUs; load average ${load(run.machine.loadAverage)} at start, ${load(run.machine.loadAverageAtEnd)} at end`,
    `  ${'storage'.padEnd(26)} ${'runs'.padStart(4)} ${'S3 GET p50'.padStart(11)} ${'BatchGet p50'.padStart(13)} ${`${n}× Get p50`.padStart(13)} ${'speed-up'.padStart(9)}  target >= ${BATCH_SPEEDUP_TARGET}`,
  ];
  for (const r of run.variants) {
    const raw = r.rawS3GetP50Ms === undefined ? '-' : ms(r.rawS3GetP50Ms);
    lines.push(
      `  ${r.label.padEnd(26)} ${String(r.runs).padStart(4)} ${raw.padStart(11)} ${ms(r.batchGet.p50).padStart(13)} ${ms(r.sequentialGets.p50).padStart(13)} ${`${r.speedupP50.toFixed(2)}×`.padStart(9)}  ${verdict(r)}`,
    );
  }
  const cpu = cpuLines(run);
  if (cpu.length > 0) lines.push('Server CPU per document:', ...cpu.map((l) => `  ${l}`));
  return lines.join('\n');
}

/** The markdown summary: set-up, load averages, and the table with p50 and p90 of both sides. */
export function formatBatchMarkdown(run: BatchRun): string {
  const n = run.parameters.documents;
  const out = [
    `# BatchGet benchmark, ${run.when}`,
    '',
    `BatchGet of ${n} documents (~${run.parameters.documentBytes} B each) vs ${n} sequential Gets of the same documents through our gRPC port; ` +
      `each run is one BatchGet then the ${n} Gets (alternating), after one unmeasured run. Speed-up = sequential p50 / BatchGet p50; target ≥ ${BATCH_SPEEDUP_TARGET}×.` +
      `${run.parameters.quick ? ' Quick mode (fewer runs).' : ''}`,
    '',
    `${run.machine.cpus} CPUs, node ${run.machine.node}; load average (1/5/15 min) ${load(run.machine.loadAverage)} at start, ${load(run.machine.loadAverageAtEnd)} at end; finished ${run.finishedAt}.`,
    '',
    '| storage | runs | raw S3 GET p50 (ms) | BatchGet p50 (ms) | BatchGet p90 (ms) | sequential p50 (ms) | sequential p90 (ms) | speed-up | verdict |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of run.variants) {
    const raw = r.rawS3GetP50Ms === undefined ? '–' : ms(r.rawS3GetP50Ms);
    out.push(
      `| ${r.label} | ${r.runs} | ${raw} | ${ms(r.batchGet.p50)} | ${ms(r.batchGet.p90)} | ${ms(r.sequentialGets.p50)} | ${ms(r.sequentialGets.p90)} | ${r.speedupP50.toFixed(2)}× | ${verdict(r)} |`,
    );
  }
  out.push(
    '',
    'Raw S3 GET p50: one GetObject of a 1 KB object by the AWS SDK from the bench process over the same path as the server (loopback, or through the delay proxy), i.e. the network cost of one S3 GET in that variant.',
  );
  const cpu = cpuLines(run);
  if (cpu.length > 0)
    out.push('', 'Server CPU per document (the server process, /proc, over all measured runs):', '', ...cpu.map((l) => `- ${l}`));
  return `${out.join('\n')}\n`;
}
