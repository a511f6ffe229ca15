/**
 * Defaults of the read windows (SB_BATCH_CONCURRENCY, SB_QUERY_CONCURRENCY)
 * and of the S3 client's connection pool, derived from the machine.
 *
 * A window is about hiding storage latency, not about CPU parallelism: each
 * S3 GET waits one round trip (10–30 ms within a region) but costs the
 * server's one JavaScript thread only a fraction of a millisecond (the AWS
 * SDK's CPU, docs/benchmarks.md "S3 client path"). To keep that thread busy
 * rather than waiting, about RTT ÷ CPU-per-GET reads must be in flight
 * (Little's law): 30 ms ÷ ~1 ms on a loaded 2-vCPU machine ≈ 32, the floor.
 * More cores take work off that thread (kernel TCP, TLS, garbage collection,
 * the decode pool), so its CPU per GET falls and more reads are needed to
 * hide the same round trip: the window grows with the cores, up to a ceiling
 * that bounds the memory one stream may hold (docs/limits.md).
 */
import { availableParallelism } from 'node:os';

/** The smallest default read window: enough to hide a 30 ms RTT at ~1 ms of CPU per S3 GET. */
export const MIN_READ_WINDOW = 32;
/** The largest default read window (a setting may go up to 1024). */
export const MAX_READ_WINDOW = 256;
/** Reads in flight per available CPU in the default window. */
export const READ_WINDOW_PER_CPU = 16;
/** Full read windows the S3 connection pool holds at once (e.g. four BatchGets, or a BatchGet and a query). */
export const WINDOWS_PER_POOL = 4;

/** The default read window for `cpus` available CPUs: 16 per CPU, clamped to 32..256. */
export function defaultReadWindow(cpus: number = availableParallelism()): number {
  return Math.min(MAX_READ_WINDOW, Math.max(MIN_READ_WINDOW, READ_WINDOW_PER_CPU * Math.max(1, Math.floor(cpus))));
}

/**
 * Sockets the S3 client may open to its endpoint: four of the largest read
 * window, so that a few BatchGets, Lists or queries at full window plus the
 * single-document calls beside them never wait for a connection (requests
 * over the limit queue inside the HTTP agent, adding latency, not errors).
 * The SDK's own default is 50, below two windows of 32.
 */
export function s3MaxSockets(...windows: number[]): number {
  return WINDOWS_PER_POOL * Math.max(MIN_READ_WINDOW, ...windows);
}
