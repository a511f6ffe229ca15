/**
 * Closed-loop load: `concurrency` callers each issue the next call as soon as
 * their previous one finished, for a fixed time after a warm-up. Measures
 * completed calls per second and per-call latency.
 */
import { performance } from 'node:perf_hooks';
import { ownCpuMs, processCpuMs } from './cpu-time.js';
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';

/** Parameters of one closed-loop measurement. */
export interface LoadOptions {
  /** Calls in flight at any time (≥ 1). */
  readonly concurrency: number;
  /** Unmeasured warm-up time before the measurement, ms. */
  readonly warmupMs: number;
  /** Measured time, ms (> 0). */
  readonly durationMs: number;
  /** The server's pid, to report its CPU use over the measured window (Linux /proc). */
  readonly serverPid?: number;
}

/** What a closed-loop measurement observed (warm-up excluded). */
export interface LoadResult {
  /** Calls completed successfully in the measured window. */
  readonly calls: number;
  /** Calls that failed in the measured window. */
  readonly errors: number;
  /** The first error's message, when any call failed (warm-up included). */
  readonly firstError?: string;
  /** Actual length of the measured window, ms. */
  readonly elapsedMs: number;
  /** Successful calls per second. */
  readonly callsPerSecond: number;
  /** Latency of successful calls, ms. */
  readonly latency: LatencySummary;
  /** CPU used by this (the load) process over the window, % of one core. */
  readonly clientCpuPercent: number;
  /** CPU used by the server over the window, % of one core (when serverPid was given and readable). */
  readonly serverCpuPercent?: number;
}

/**
 * Runs `call` in a closed loop. Calls that start in the measured window are
 * counted; the window ends when all of them have finished. Throws when no call
 * in the window succeeded.
 */
export async function runClosedLoop(call: () => Promise<unknown>, options: LoadOptions): Promise<LoadResult> {
  if (!(options.concurrency >= 1) || !(options.durationMs > 0)) {
    throw new RangeError(`bad load options: ${JSON.stringify(options)}`);
  }
  let firstError: string | undefined;
  const noteError = (e: unknown) => {
    firstError ??= e instanceof Error ? e.message : String(e);
  };

  const warmupEnd = performance.now() + options.warmupMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (performance.now() < warmupEnd) await call().catch(noteError);
    }),
  );

  const samples: number[] = [];
  let errors = 0;
  const clientCpu0 = ownCpuMs();
  const serverCpu0 = options.serverPid === undefined ? undefined : processCpuMs(options.serverPid);
  const start = performance.now();
  const end = start + options.durationMs;
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      for (let t0 = performance.now(); t0 < end; t0 = performance.now()) {
        try {
          await call();
          samples.push(performance.now() - t0);
        } catch (e) {
          errors += 1;
          noteError(e);
        }
      }
    }),
  );
  const elapsedMs = performance.now() - start;
  const clientCpuPercent = round(((ownCpuMs() - clientCpu0) * 100) / elapsedMs, 1);
  const serverCpu1 = options.serverPid === undefined ? undefined : processCpuMs(options.serverPid);
  const serverCpuPercent =
    serverCpu0 === undefined || serverCpu1 === undefined ? undefined : round(((serverCpu1 - serverCpu0) * 100) / elapsedMs, 1);
  if (samples.length === 0) throw new Error(`no call succeeded (${errors} failed): ${firstError ?? 'no error seen'}`);
  return {
    calls: samples.length,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    elapsedMs: Math.round(elapsedMs),
    callsPerSecond: Math.round((samples.length * 1000) / elapsedMs),
    latency: roundSummary(summarize(samples)),
    clientCpuPercent,
    ...(serverCpuPercent === undefined ? {} : { serverCpuPercent }),
  };
}
