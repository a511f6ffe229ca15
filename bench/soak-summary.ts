/**
 * The soak benchmark's bookkeeping and verdicts: outcomes per method, latency
 * samples, the RSS figures at the 2-minute mark and at the end of the load,
 * and the targets of issue 8 (RSS end / 2-min ≤ 1.10, zero errors other than
 * the cancellations, active calls back to 0 after the load).
 */
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';
import type { SoakMethod } from './soak-plan.js';

/** Target: RSS at the end of the load is at most this multiple of RSS at the 2-minute mark. */
export const RSS_RATIO_TARGET = 1.1;

/**
 * How one call ended: 'ok'; 'cancelled' (the client cancelled it on purpose
 * and the call ended CANCELLED); 'stall-reset' (a client that stopped reading
 * was reset by the server, as it must be); anything else is an error, named
 * by its gRPC code (e.g. 'UNAVAILABLE') or by what went wrong.
 */
export type Outcome = 'ok' | 'cancelled' | 'stall-reset' | string;

/** One second's sample. */
export interface SoakSample {
  /** Seconds since the load started (negative: before it). */
  readonly t: number;
  /** Server VmRSS, MiB. */
  readonly rssMiB: number;
  /** Sum of smarterbase_rpc_server_active_calls (undefined when the scrape failed). */
  readonly activeCalls?: number;
  /** Calls this client had started and not yet seen end. */
  readonly clientInFlight: number;
}

/** Counts outcomes and keeps latency samples while the load runs. */
export class SoakTally {
  /** method → outcome → count. */
  readonly outcomes: Record<string, Record<string, number>> = {};
  /** method → latencies of calls that ended ok (unary: the call; streams read to the end: to the last message), ms. */
  readonly latencies: Record<string, number[]> = {};

  /** The first message seen of each error outcome, to say what went wrong. */
  readonly firstMessages: Record<string, string> = {};

  /** Records that a `method` call ended with `outcome` after `latencyMs` (kept only for 'ok'), and `message` of a first error. */
  record(method: SoakMethod, outcome: Outcome, latencyMs: number, message?: string): void {
    if (message !== undefined && outcome !== 'ok' && outcome !== 'cancelled' && outcome !== 'stall-reset') {
      this.firstMessages[outcome] ??= `${method}: ${message}`.slice(0, 300);
    }
    const byOutcome = (this.outcomes[method] ??= {});
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
    if (outcome === 'ok') (this.latencies[method] ??= []).push(latencyMs);
  }

  /** Every error (outcomes other than ok, cancelled and stall-reset), by outcome. */
  errorsByCode(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const byOutcome of Object.values(this.outcomes)) {
      for (const [outcome, n] of Object.entries(byOutcome)) {
        if (outcome !== 'ok' && outcome !== 'cancelled' && outcome !== 'stall-reset') out[outcome] = (out[outcome] ?? 0) + n;
      }
    }
    return out;
  }

  /** How many calls ended with `outcome`, over all methods. */
  count(outcome: Outcome): number {
    return Object.values(this.outcomes).reduce((n, byOutcome) => n + (byOutcome[outcome] ?? 0), 0);
  }

  /** Latency of the ok calls of `methods` together, or undefined when none. */
  latency(methods: readonly SoakMethod[]): LatencySummary | undefined {
    const all = methods.flatMap((m) => this.latencies[m] ?? []);
    return all.length === 0 ? undefined : roundSummary(summarize(all));
  }
}

/** The RSS figures of a run. */
export interface RssFigures {
  /** Seconds of the mark RSS is compared with (120, or less on a short run). */
  readonly markSeconds: number;
  /** RSS at the first sample at or after the mark, MiB. */
  readonly atMarkMiB: number;
  /** RSS at the last sample of the load, MiB. */
  readonly endMiB: number;
  /** endMiB / atMarkMiB. */
  readonly ratio: number;
  /** Highest RSS seen, MiB. */
  readonly maxMiB: number;
  /** RSS at the first sample of the load, MiB. */
  readonly startMiB: number;
  /** RSS at the last sample (after the drain), MiB. */
  readonly afterDrainMiB: number;
}

/** RSS figures of `samples` for a load of `loadSeconds` compared at `markSeconds`. Throws when a point is missing. */
export function rssFigures(samples: readonly SoakSample[], markSeconds: number, loadSeconds: number): RssFigures {
  const during = samples.filter((s) => s.t >= 0 && s.t <= loadSeconds);
  const atMark = during.find((s) => s.t >= markSeconds);
  const end = during[during.length - 1];
  if (atMark === undefined || end === undefined) throw new RangeError('no samples at the mark or at the end of the load');
  return {
    markSeconds,
    atMarkMiB: round(atMark.rssMiB, 1),
    endMiB: round(end.rssMiB, 1),
    ratio: round(end.rssMiB / atMark.rssMiB),
    maxMiB: round(Math.max(...samples.map((s) => s.rssMiB)), 1),
    startMiB: round(during[0].rssMiB, 1),
    afterDrainMiB: round(samples[samples.length - 1].rssMiB, 1),
  };
}

/** One figure checked against its target. */
export interface SoakVerdict {
  /** What was checked. */
  readonly name: string;
  /** The measured value. */
  readonly value: number;
  /** The target, with its direction. */
  readonly target: string;
  /** True when the value meets the target. */
  readonly pass: boolean;
}

/** The issue-8 verdicts: RSS flat, zero errors, active calls drained. */
export function soakVerdicts(rss: RssFigures, errors: number, activeAfterDrain: number | undefined): SoakVerdict[] {
  return [
    {
      name: `RSS end / RSS at ${rss.markSeconds} s`,
      value: rss.ratio,
      target: `<= ${RSS_RATIO_TARGET}`,
      pass: rss.ratio <= RSS_RATIO_TARGET,
    },
    { name: 'errors (other than cancellations)', value: errors, target: '= 0', pass: errors === 0 },
    { name: 'active calls after the drain', value: activeAfterDrain ?? NaN, target: '= 0', pass: activeAfterDrain === 0 },
  ];
}
