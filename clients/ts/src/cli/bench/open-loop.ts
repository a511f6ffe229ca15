/**
 * The open-loop scheduler of `smarterbase bench`: operation i is due at
 * start + i / rate, whatever happened to the operations before it (a
 * closed loop — send, wait, send — slows down with the server and hides its
 * stalls: coordinated omission). An operation is sent when due unless
 * `maxInFlight` are outstanding; it then waits, and its latency still counts
 * from its due time (Recorder), so a stalled server shows as the queueing
 * delay its users would see.
 */
import type { OpTiming, Outcome } from './recorder.js';

/** What the scheduler runs. */
export interface OpenLoopPlan<K> {
  /** Operations per second to issue (> 0). */
  readonly rate: number;
  /** How long to issue them, ms: exactly floor(rate × durationMs / 1000) operations are due. */
  readonly durationMs: number;
  /** The most operations outstanding at once (≥ 1). */
  readonly maxInFlight: number;
  /** The kind of operation i. */
  pick(i: number): K;
  /** Runs one operation; resolves with its outcome (it must not reject). */
  run(kind: K): Promise<Outcome>;
  /** Called once per completed operation. */
  done(kind: K, timing: OpTiming, outcome: Outcome): void;
  /** The clock, ms (default performance.now). */
  readonly now?: () => number;
  /** Stops issuing (outstanding operations still finish). */
  readonly signal?: AbortSignal;
}

/** What a run did. */
export interface OpenLoopResult {
  /** The clock's time when operation 0 was due. */
  readonly startMs: number;
  /**
   * Operations the schedule made due: rate × duration, or when stopped, those whose due time had
   * come by then (the ones sent and the ones the in-flight cap still held back).
   */
  readonly due: number;
  /** Operations sent (all of them unless stopped). */
  readonly sent: number;
  /** From the start to the last completion, ms. */
  readonly elapsedMs: number;
  /** True when the signal stopped the run early. */
  readonly stopped: boolean;
}

/** A run under way (startOpenLoop). */
export interface OpenLoopRun {
  /** Operations sent and not yet completed (a plain function: it can be passed on alone). */
  readonly inFlight: () => number;
  /** Resolves when the run ended and every operation it sent completed. */
  readonly result: Promise<OpenLoopResult>;
}

/** Runs `plan` to its end (or until its signal aborts) and resolves when every sent operation completed. */
export async function runOpenLoop<K>(plan: OpenLoopPlan<K>, startMs?: number): Promise<OpenLoopResult> {
  return startOpenLoop(plan, startMs).result;
}

/**
 * Starts running `plan` (what runOpenLoop does) and returns at once, with the operations due at the
 * start already sent, so that a caller can watch the run. Throws a RangeError for a rate not > 0 or
 * a cap below 1.
 */
export function startOpenLoop<K>(plan: OpenLoopPlan<K>, startMs?: number): OpenLoopRun {
  if (!(plan.rate > 0) || !Number.isFinite(plan.rate)) throw new RangeError(`rate must be > 0 (got ${plan.rate})`);
  if (!(plan.maxInFlight >= 1)) throw new RangeError(`maxInFlight must be ≥ 1 (got ${plan.maxInFlight})`);
  const counter = { inFlight: 0 };
  return { inFlight: () => counter.inFlight, result: walk(plan, startMs, counter) };
}

/** The run of startOpenLoop: walks the schedule, keeping `counter.inFlight` current. */
async function walk<K>(plan: OpenLoopPlan<K>, startMs: number | undefined, counter: { inFlight: number }): Promise<OpenLoopResult> {
  const now = plan.now ?? (() => performance.now());
  const t0 = startMs ?? now();
  const interval = 1000 / plan.rate;
  const total = Math.floor((plan.rate * plan.durationMs) / 1000);
  const dueAt = (i: number): number => t0 + i * interval;
  let lastDone = t0;
  let wake: (() => void) | undefined;
  const outstanding = new Set<Promise<void>>();

  const send = (i: number): void => {
    const kind = plan.pick(i);
    const dueMs = dueAt(i);
    const sentMs = now();
    counter.inFlight++;
    const p = plan.run(kind).then((outcome) => {
      const doneMs = now();
      lastDone = Math.max(lastDone, doneMs);
      counter.inFlight--;
      outstanding.delete(p);
      plan.done(kind, { dueMs, sentMs, doneMs }, outcome);
      wake?.();
    });
    outstanding.add(p);
  };

  let i = 0; // operations sent
  let due = 0; // operations whose due time has come
  for (;;) {
    const t = now();
    while (due < total && dueAt(due) <= t) due++;
    if (plan.signal?.aborted === true) break;
    while (i < due && counter.inFlight < plan.maxInFlight) send(i++);
    if (i >= total) break;
    // Sleep until the next one is due, or until a completion frees a slot when the cap holds it.
    const delay = counter.inFlight >= plan.maxInFlight ? undefined : Math.max(0, dueAt(i) - now());
    await sleep(delay, plan.signal, (w) => (wake = w));
    wake = undefined;
  }
  await Promise.all([...outstanding]);
  return { startMs: t0, due, sent: i, elapsedMs: lastDone - t0, stopped: i < total };
}

/**
 * Resolves after `delayMs`, or — when `delayMs` is undefined — when the function given to
 * `onWake` is called; either way early when `signal` aborts.
 */
function sleep(delayMs: number | undefined, signal: AbortSignal | undefined, onWake: (wake: () => void) => void): Promise<void> {
  return new Promise<void>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    const timer = delayMs === undefined ? undefined : setTimeout(finish, delayMs);
    signal?.addEventListener('abort', finish, { once: true });
    // A completion only matters to a sender held by the cap; a timed sleep keeps its schedule.
    onWake(delayMs === undefined ? finish : () => undefined);
  });
}
