/**
 * The object benchmark's figures and presentation: per direction (upload,
 * download) and side (our gRPC port, the raw SDK) the MB/s of each round and
 * their median, the ratio ours ÷ raw of the medians with its verdict, the
 * server's CPU per MB, and the console table / markdown written beside the
 * JSON in bench/results/.
 */
import { median, round } from './stats.js';

/** The throughput ours must reach each way, as a fraction of the raw SDK's (issue 13). */
export const OBJECT_THROUGHPUT_TARGET = 0.8;

/** One timed transfer. */
export interface Transfer {
  /** Bytes moved. */
  readonly bytes: number;
  /** Wall time, s. */
  readonly seconds: number;
  /** CPU ms of the server process during the transfer (ours only, when /proc is there). */
  readonly serverCpuMs?: number;
}

/** What one side did in one direction over all rounds. */
export interface SideFigures {
  /** MB/s (10^6 bytes) of each round, in run order. */
  readonly mbPerSecond: number[];
  /** The median of mbPerSecond. */
  readonly medianMbPerSecond: number;
  /** Server CPU ms per MB moved, over all rounds (ours only). */
  readonly serverCpuMsPerMb?: number;
}

/** One direction: both sides and the verdict. */
export interface DirectionFigures {
  readonly ours: SideFigures;
  readonly raw: SideFigures;
  /** ours.median ÷ raw.median. */
  readonly ratio: number;
  /** ratio ≥ OBJECT_THROUGHPUT_TARGET. */
  readonly pass: boolean;
}

/** The figures of one side from its transfers. */
export function sideFigures(transfers: readonly Transfer[]): SideFigures {
  const rates = transfers.map((t) => round(t.bytes / 1e6 / t.seconds, 1));
  const cpu = transfers.every((t) => t.serverCpuMs !== undefined) ? transfers.reduce((sum, t) => sum + (t.serverCpuMs ?? 0), 0) : undefined;
  const mb = transfers.reduce((sum, t) => sum + t.bytes, 0) / 1e6;
  return {
    mbPerSecond: rates,
    medianMbPerSecond: round(median(rates), 1),
    ...(cpu === undefined || mb === 0 ? {} : { serverCpuMsPerMb: round(cpu / mb, 2) }),
  };
}

/** Compares the sides of one direction. */
export function direction(ours: readonly Transfer[], raw: readonly Transfer[]): DirectionFigures {
  const o = sideFigures(ours);
  const r = sideFigures(raw);
  const ratio = r.medianMbPerSecond > 0 ? round(o.medianMbPerSecond / r.medianMbPerSecond, 2) : 0;
  return { ours: o, raw: r, ratio, pass: ratio >= OBJECT_THROUGHPUT_TARGET };
}

/** The whole run, as written to JSON. */
export interface ObjectRun {
  readonly when: string;
  readonly machine: { readonly cpus: number; readonly node: string; readonly loadAverage: number[] };
  readonly parameters: { readonly objectBytes: number; readonly rounds: number; readonly partBytes: number; readonly s3: string };
  readonly upload: DirectionFigures;
  readonly download: DirectionFigures;
}

function row(name: string, d: DirectionFigures): string {
  const cpu = d.ours.serverCpuMsPerMb === undefined ? '—' : String(d.ours.serverCpuMsPerMb);
  const verdict = d.pass ? 'pass' : 'MISS';
  return `| ${name} | ${d.ours.medianMbPerSecond} | ${d.raw.medianMbPerSecond} | ${d.ratio} (${verdict}) | ${cpu} |`;
}

/** The markdown table of a run (also printed to the console). */
export function formatObjectMarkdown(run: ObjectRun): string {
  const p = run.parameters;
  return [
    `# Object benchmark, ${run.when}`,
    '',
    `${p.objectBytes / 2 ** 20} MiB object, ${p.rounds} rounds per side, parts of ${p.partBytes / 2 ** 20} MiB, S3: ${p.s3};`,
    `${run.machine.cpus} CPUs, Node ${run.machine.node}, load average ${run.machine.loadAverage.join(' ')}.`,
    `Target: ours ≥ ${OBJECT_THROUGHPUT_TARGET}× raw (median MB/s).`,
    '',
    '| direction | ours MB/s | raw SDK MB/s | ours ÷ raw | server CPU ms/MB |',
    '|---|---|---|---|---|',
    row('upload', run.upload),
    row('download', run.download),
    '',
  ].join('\n');
}
