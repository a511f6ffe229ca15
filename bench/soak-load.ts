/**
 * The soak benchmark's open loop: calls start on schedule, `rate` per
 * second, whether or not earlier ones have finished (so a slow server shows
 * as latency and calls in flight, not as a lower rate). A cap on calls in
 * flight keeps a stuck server from exhausting the client; calls over it are
 * counted as not started.
 */
import { performance } from 'node:perf_hooks';
import { callsDue, dueAtMs } from './soak-plan.js';
import { sleep } from './processes.js';

/** Parameters of the open loop. */
export interface OpenLoopOptions {
  /** Calls started per second (> 0). */
  readonly rate: number;
  /** How long calls are started, ms (> 0). */
  readonly durationMs: number;
  /** Most calls in flight; a due call over it is not started (and counted). */
  readonly maxInFlight: number;
  /** Polled between starts: true ends the loop early (e.g. the server is gone). */
  readonly abandon?: () => boolean;
}

/** What the open loop did. */
export interface OpenLoopResult {
  /** Calls due over the duration. */
  readonly scheduled: number;
  /** Calls started. */
  readonly started: number;
  /** Due calls not started because maxInFlight were in flight. */
  readonly notStarted: number;
  /** Most calls in flight at once. */
  readonly maxInFlight: number;
  /** Latest start of a call after its due time, ms (the client's own lag). */
  readonly maxStartLagMs: number;
  /** Resolves once every started call has ended. */
  readonly settled: Promise<void>;
}

/** A running open loop's calls in flight, for sampling. */
export interface InFlight {
  /** Calls started and not yet ended. */
  count: number;
}

/**
 * Runs `start(index, dueAt)` for every call due in `o.durationMs` from now, on
 * schedule; resolves when the last call was started (not when it ended).
 * `start` must not reject.
 */
export async function runOpenLoop(
  o: OpenLoopOptions,
  start: (index: number, dueAt: number) => Promise<void>,
  inFlight: InFlight,
): Promise<OpenLoopResult> {
  if (!(o.rate > 0) || !(o.durationMs > 0) || !(o.maxInFlight >= 1)) throw new RangeError(`bad open-loop options: ${JSON.stringify(o)}`);
  const total = Math.floor((o.durationMs * o.rate) / 1000);
  const running = new Set<Promise<void>>();
  let next = 0;
  let notStarted = 0;
  let started = 0;
  let maxInFlight = 0;
  let maxStartLagMs = 0;
  const t0 = performance.now();
  while (next < total && !(o.abandon?.() ?? false)) {
    const now = performance.now();
    const due = Math.min(total, callsDue(now - t0, o.rate));
    for (; next < due && !(o.abandon?.() ?? false); next++) {
      const dueAt = t0 + dueAtMs(next, o.rate);
      maxStartLagMs = Math.max(maxStartLagMs, now - dueAt);
      if (inFlight.count >= o.maxInFlight) {
        notStarted++;
        continue;
      }
      inFlight.count++;
      started++;
      maxInFlight = Math.max(maxInFlight, inFlight.count);
      const p: Promise<void> = start(next, dueAt).finally(() => {
        inFlight.count--;
        running.delete(p);
      });
      running.add(p);
    }
    await sleep(Math.max(1, Math.min(20, t0 + dueAtMs(next, o.rate) - performance.now())));
  }
  return {
    scheduled: total,
    started,
    notStarted,
    maxInFlight,
    maxStartLagMs: Math.round(maxStartLagMs),
    settled: Promise.all([...running]).then(() => undefined),
  };
}
