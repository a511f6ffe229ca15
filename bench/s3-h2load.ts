/**
 * S3 Get through our server driven by h2load, one request at a time
 * (`-c1 -m1`), against the raw SDK's GetObject in the same rounds: the
 * server's own cost on the S3 path without a Node gRPC client's. The Node
 * client of the main comparison (bench/doc-client.ts) spends ~1.5–2 ms per
 * call at 10 ms RTT on this kind of machine (docs/benchmarks.md §20), which
 * the raw SDK side does not pay. h2load reports the mean request time only,
 * so both sides are compared by their means.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getRequestBody } from './grpc-frame.js';
import { runH2load } from './h2load-run.js';
import { round } from './stats.js';

/** Ours (h2load, sequential) beside raw, by mean. */
export interface H2loadGetComparison {
  /** Mean of the raw SDK GetObject calls, ms. */
  readonly rawMeanMs: number;
  /** Mean request time h2load reported, weighted by the calls of each round, ms. */
  readonly oursMeanMs: number;
  /** oursMeanMs / rawMeanMs. */
  readonly ratioMean: number;
  /** Calls h2load made over all rounds, and how many failed or were not 2xx. */
  readonly oursCalls: number;
  readonly oursErrors: number;
  /** h2load's own CPU over its runs, % of one core: a generator near 100 % would be the bottleneck. */
  readonly h2loadCpuPercent: number;
}

/** What the comparison needs: the raw call, the server and the document to get. */
export interface H2loadGetOptions {
  readonly rawGet: () => Promise<unknown>;
  readonly server: { readonly port: number; readonly pid: number };
  readonly collection: string;
  readonly id: string;
  /** Interleaved rounds; each is `rawCalls` raw calls, then h2load for `sliceMs`. */
  readonly rounds: number;
  readonly rawCalls: number;
  readonly sliceMs: number;
}

/** Runs the interleaved rounds and returns both means. */
export async function compareGetMeans(o: H2loadGetOptions): Promise<H2loadGetComparison> {
  const bodyFile = join(tmpdir(), `sb-s3-h2load-${process.pid}.bin`);
  await writeFile(bodyFile, getRequestBody(o.collection, o.id));
  let rawMs = 0;
  let rawCalls = 0;
  let oursMs = 0;
  let oursCalls = 0;
  let oursErrors = 0;
  let loadCpuMs = 0;
  let wallMs = 0;
  for (let r = 0; r < o.rounds; r++) {
    for (let i = 0; i < o.rawCalls; i++) {
      const t0 = performance.now();
      await o.rawGet();
      rawMs += performance.now() - t0;
      rawCalls++;
    }
    const slice = await runH2load({ port: o.server.port, serverPid: o.server.pid, bodyFile, concurrency: 1, durationMs: o.sliceMs });
    oursMs += slice.summary.meanRequestMs * slice.summary.total;
    oursCalls += slice.summary.total;
    oursErrors += slice.errors;
    loadCpuMs += slice.loadCpuMs;
    wallMs += slice.wallMs;
  }
  if (oursCalls === 0 || rawCalls === 0) throw new Error('h2load comparison: no calls measured');
  const rawMeanMs = rawMs / rawCalls;
  const oursMeanMs = oursMs / oursCalls;
  return {
    rawMeanMs: round(rawMeanMs),
    oursMeanMs: round(oursMeanMs),
    ratioMean: round(oursMeanMs / rawMeanMs),
    oursCalls,
    oursErrors,
    h2loadCpuPercent: round((loadCpuMs * 100) / wallMs, 1),
  };
}
