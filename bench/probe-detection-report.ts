/**
 * Summary and Markdown table of bench/probe-detection.ts: over N runs of the
 * start-up probe against fresh servers of one S3 implementation, how often each
 * check came out false, how often the probe chose native, and how long it took.
 */
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';

/** One probe run. */
export interface ProbeRun {
  /** Wall-clock duration of probeConditionalWrites, ms. */
  readonly durationMs: number;
  /** Its verdict: native conditional writes. */
  readonly native: boolean;
  /** Each check by name (true = passed, or the property holds). */
  readonly checks: Readonly<Record<string, boolean>>;
  /** The probe's detail, when checks failed. */
  readonly detail?: string;
  /** Set when the probe threw instead of returning a verdict (the server would not start): the error and its cause. */
  readonly error?: string;
}

/** One check over all runs. */
export interface CheckTally {
  readonly check: string;
  /** Runs in which it was false. */
  readonly falseRuns: number;
  /** falseRuns / runs. */
  readonly falseRate: number;
}

/** The summary of a series of probe runs. */
export interface ProbeDetectionSummary {
  readonly runs: number;
  /** Runs whose verdict was native. */
  readonly nativeRuns: number;
  /** Runs in which the probe threw (no verdict; their checks are not tallied). */
  readonly errorRuns: number;
  /** Every check seen, in first-seen order. */
  readonly checks: CheckTally[];
  /** Probe durations, ms. */
  readonly duration: LatencySummary;
}

/** Tallies `runs` (at least one). */
export function summarizeProbeRuns(runs: readonly ProbeRun[]): ProbeDetectionSummary {
  if (runs.length === 0) throw new Error('no probe runs to summarize');
  const verdicts = runs.filter((r) => r.error === undefined);
  const names: string[] = [];
  for (const r of verdicts) for (const name of Object.keys(r.checks)) if (!names.includes(name)) names.push(name);
  return {
    runs: runs.length,
    nativeRuns: verdicts.filter((r) => r.native).length,
    errorRuns: runs.length - verdicts.length,
    checks: names.map((check) => {
      const falseRuns = verdicts.filter((r) => r.checks[check] !== true).length;
      return { check, falseRuns, falseRate: round(falseRuns / verdicts.length, 3) };
    }),
    duration: roundSummary(summarize(runs.map((r) => r.durationMs)), 1),
  };
}

/** The Markdown table of a summary, with a title line naming the implementation. */
export function probeDetectionMarkdown(implementation: string, s: ProbeDetectionSummary): string {
  const lines = [
    `Probe against ${implementation}: ${s.runs} runs, a fresh server each; verdict native in ${s.nativeRuns} of ${s.runs}` +
      (s.errorRuns > 0 ? `; the probe threw (no verdict, the server would not start) in ${s.errorRuns}.` : '.'),
    `Probe duration: p50 ${s.duration.p50} ms, p90 ${s.duration.p90} ms, max ${s.duration.max} ms.`,
    '',
    '| check | false in | rate |',
    '|---|---:|---:|',
    ...s.checks.map((c) => `| \`${c.check}\` | ${c.falseRuns} of ${s.runs - s.errorRuns} | ${(c.falseRate * 100).toFixed(0)} % |`),
  ];
  return `${lines.join('\n')}\n`;
}
