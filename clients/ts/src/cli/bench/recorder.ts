/**
 * Where the load tester's measurements go: per operation kind two HDR
 * histograms (hdr-histogram-js) of microseconds — `latency`, measured from
 * when the operation was due by the schedule (coordinated omission
 * corrected: time spent waiting behind a slow server counts), and `service`,
 * from when it was actually sent — plus outcomes by code and a per-second
 * series of the whole run (completions, failures, corrected p50/p99/max).
 */
import { build, type Histogram } from 'hdr-histogram-js';

/** A finished operation as the scheduler saw it (times in ms of one clock). */
export interface OpTiming {
  /** When the schedule said it should start. */
  readonly dueMs: number;
  /** When it was sent (≥ dueMs; later when the in-flight cap or the event loop held it back). */
  readonly sentMs: number;
  /** When its answer arrived. */
  readonly doneMs: number;
}

/** What one operation ended with: 'ok', 'conflict' (a lost compare-and-swap, expected under contention), or an error code name. */
export type Outcome = string;

/** One second of the run (by completion time). */
export interface SecondStats {
  /** Seconds since the start of the run (this window covers [t, t+1)). */
  readonly t: number;
  /** Operations completed in this second (any outcome). */
  readonly completed: number;
  /** Operations that failed (not ok, not conflict). */
  readonly failed: number;
  /** Corrected latency percentiles of this second's operations, ms. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

const newHistogram = (): Histogram => build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, autoResize: true });
const toUs = (ms: number): number => Math.max(1, Math.round(ms * 1000));

/** The histograms and counts of one operation kind. */
export class KindStats {
  /** Corrected latency (from due time), µs. */
  readonly latency = newHistogram();
  /** Service time (from send time), µs. */
  readonly service = newHistogram();
  /** Completions by outcome. */
  readonly outcomes = new Map<Outcome, number>();

  /** Records one completion. */
  add(t: OpTiming, outcome: Outcome): void {
    this.latency.recordValue(toUs(t.doneMs - t.dueMs));
    this.service.recordValue(toUs(t.doneMs - t.sentMs));
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
  }
}

/** Collects every completion of a run. */
export class Recorder {
  /** Per kind. */
  readonly kinds = new Map<string, KindStats>();
  /** All kinds together. */
  readonly all = new KindStats();
  private readonly seconds: { completed: number; failed: number; h: Histogram }[] = [];
  /** The largest delay between due and sent time seen (ms): how far the sender fell behind its schedule. */
  maxSendLagMs = 0;

  /** `startMs`: the run's time zero on the scheduler's clock (second t of the series covers [startMs + t s, startMs + (t+1) s)). */
  constructor(readonly startMs: number) {}

  /** Records one completion of `kind`. */
  add(kind: string, t: OpTiming, outcome: Outcome): void {
    let k = this.kinds.get(kind);
    if (k === undefined) this.kinds.set(kind, (k = new KindStats()));
    k.add(t, outcome);
    this.all.add(t, outcome);
    this.maxSendLagMs = Math.max(this.maxSendLagMs, t.sentMs - t.dueMs);
    const s = Math.max(0, Math.floor((t.doneMs - this.startMs) / 1000));
    while (this.seconds.length <= s) this.seconds.push({ completed: 0, failed: 0, h: newHistogram() });
    const w = this.seconds[s]!;
    w.completed++;
    if (isFailure(outcome)) w.failed++;
    w.h.recordValue(toUs(t.doneMs - t.dueMs));
  }

  /** The per-second series so far. */
  series(): SecondStats[] {
    return this.seconds.map((_, t) => this.second(t));
  }

  /** The stats of second `t` alone (all zero for a second with nothing recorded): what a live display reads, without computing the whole series. */
  second(t: number): SecondStats {
    const w = this.seconds[t];
    if (w === undefined || w.completed === 0) return { t, completed: 0, failed: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 };
    return {
      t,
      completed: w.completed,
      failed: w.failed,
      p50Ms: w.h.getValueAtPercentile(50) / 1000,
      p99Ms: w.h.getValueAtPercentile(99) / 1000,
      maxMs: w.h.maxValue / 1000,
    };
  }

  /** Completions that failed (not ok, not conflict). */
  failures(): number {
    let n = 0;
    for (const [o, c] of this.all.outcomes) if (isFailure(o)) n += c;
    return n;
  }
}

/** True for outcomes that count as errors. */
export function isFailure(outcome: Outcome): boolean {
  return outcome !== 'ok' && outcome !== 'conflict';
}
