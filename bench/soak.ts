/**
 * The soak benchmark (issue 8), run on demand, never in CI:
 *   npm run build && npm run bench:soak -- [--minutes 10] [--rate 100] [--stack fs|s3]
 *
 * Starts the built server (filesystem storage in a temporary directory, or
 * gofakes3 + redis-server with `--stack s3`), loads a collection, then for
 * `--minutes` starts `--rate` calls per second on schedule (open loop) in a
 * mix of Gets, Puts, Query scans and BatchGets over both server ports; 5 % of
 * the streams are cancelled after their first message and 1 % come from a
 * client that stops reading (the server resets those after its stall
 * timeout). Every second it samples the server's RSS and active calls. After
 * the load it waits for active calls to drain to 0. Writes
 * bench/results/soak-<timestamp>.json (git-ignored), .md and .svg (RSS and
 * active calls over time) and prints the table. Targets: RSS at the end within
 * 10 % of the 2-minute mark, zero errors other than the cancellations, active
 * calls back to 0. A missed target is reported (MISS), not failed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command, InvalidArgumentError } from 'commander';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import { ownCpuMs, processCpuMs } from './cpu-time.js';
import { makeDocument } from './payload.js';
import { repoRoot, sleep } from './processes.js';
import { machineInfo } from './report.js';
import { SoakCaller } from './soak-calls.js';
import { runOpenLoop, type InFlight } from './soak-load.js';
import { DEFAULT_MIX, planCall, seededRandom, type SoakMix } from './soak-plan.js';
import { soakMarkdown, type SoakReport } from './soak-report.js';
import { startSoakStack, type SoakStack, type SoakStackKind } from './soak-stack.js';
import { rssFigures, SoakTally, soakVerdicts, type SoakSample } from './soak-summary.js';
import { soakChartSvg } from './soak-svg.js';

/** The server's default stream stall timeout (settings: streamStallTimeoutMs), ms. */
const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/** Seconds sampled before the load starts. */
const PRE_SECONDS = 5;
const COLLECTION = 'soak';

/** The parsed command line. */
interface SoakOptions {
  readonly minutes: number;
  readonly rate: number;
  readonly stack: SoakStackKind;
  readonly docs: number;
  readonly writeIds: number;
  readonly documentBytes: number;
  readonly queryLimit: number;
  readonly batchIds: number;
  readonly connections: number;
  readonly stallTimeoutMs?: number;
  readonly callTimeoutMs: number;
  readonly maxInFlight: number;
  readonly markSeconds: number;
  readonly seed: number;
  readonly mix: SoakMix;
  readonly out: string;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** `--mix get,put,query,batchGet` in percent (summing to 100); the stream cancel and stall shares stay 5 % and 1 %. */
function mix(value: string): SoakMix {
  const p = value.split(',').map(Number);
  if (p.length !== 4 || p.some((x) => !(x >= 0)) || Math.abs(p.reduce((a, b) => a + b, 0) - 100) > 1e-9) {
    throw new InvalidArgumentError('expected four percentages summing to 100: get,put,query,batchGet');
  }
  return { ...DEFAULT_MIX, get: p[0] / 100, put: p[1] / 100, query: p[2] / 100, batchGet: p[3] / 100 };
}

function parse(argv: string[]): SoakOptions {
  return new Command('bench:soak')
    .description('Soak: a fixed call rate for minutes; server RSS and active calls over time, latency, errors')
    .option('--minutes <m>', 'how long the load runs', positive, 10)
    .option('--rate <n>', 'calls started per second (open loop)', positive, 100)
    .option(
      '--stack <kind>',
      'fs (filesystem storage, temporary dir) | s3 (gofakes3 + redis-server)',
      (v) => {
        if (v !== 'fs' && v !== 's3') throw new InvalidArgumentError('expected fs or s3');
        return v;
      },
      'fs',
    )
    .option('--docs <n>', 'documents loaded before the run (read by Get, BatchGet, Query)', positive, 1000)
    .option('--write-ids <n>', 'distinct ids Puts overwrite', positive, 200)
    .option('--document-bytes <n>', 'JSON size of each document', positive, 1024)
    .option('--query-limit <n>', 'limit of Query scans read to the end or cancelled', positive, 20)
    .option('--batch-ids <n>', 'ids per BatchGet read to the end or cancelled', positive, 20)
    .option('--connections <n>', 'HTTP/2 connections per server port for the stock client', positive, 2)
    .option('--stall-timeout-ms <ms>', `server --stream-stall-timeout-ms (default: the server's, ${DEFAULT_STALL_TIMEOUT_MS})`, positive)
    .option('--call-timeout-ms <ms>', 'deadline of every call', positive, 30_000)
    .option('--max-in-flight <n>', 'most calls in flight; due calls over it are counted, not started', positive, 2000)
    .option('--mark-seconds <s>', 'RSS at the end is compared with RSS at this second of the load', positive, 120)
    .option('--mix <get,put,query,batchGet>', 'percent of each method', mix, DEFAULT_MIX)
    .option('--seed <n>', 'seed of the call mix', positive, 1)
    .option('--out <dir>', 'directory for the results', join(repoRoot(), 'bench', 'results'))
    .parse(argv)
    .opts<SoakOptions>();
}

const log = (message: string) => process.stderr.write(`${message}\n`);

async function loadCollection(stack: SoakStack, ids: string[], bytes: number): Promise<void> {
  const client = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${stack.ports[0]}` }));
  const data = makeDocument(bytes);
  for (let i = 0; i < ids.length; i += 16) {
    await Promise.all(ids.slice(i, i + 16).map((id) => client.put({ collection: COLLECTION, id, data })));
  }
}

/** Samples RSS, active calls and calls in flight every second until stopped. */
function startSampler(stack: SoakStack, t0: number, inFlight: InFlight, samples: SoakSample[], onServerGone: (t: number) => void) {
  let stopped = false;
  const done = (async () => {
    for (let k = 0; !stopped; k++) {
      const t = Math.round(performance.now() - t0) / 1000;
      const [rssMiB, activeCalls] = await Promise.all([stack.rssMiB().catch(() => NaN), stack.activeCalls()]);
      if (Number.isNaN(rssMiB)) {
        onServerGone(t);
        return;
      }
      samples.push({
        t,
        rssMiB: Math.round(rssMiB * 10) / 10,
        ...(activeCalls === undefined ? {} : { activeCalls }),
        clientInFlight: inFlight.count,
      });
      if (k % 30 === 0) log(`t=${t.toFixed(0)} s  rss=${rssMiB.toFixed(1)} MiB  active=${activeCalls ?? '?'}  in flight=${inFlight.count}`);
      await sleep(Math.max(1, t0 + (Math.floor((performance.now() - t0) / 1000) + 1) * 1000 - performance.now()));
    }
  })();
  return async () => {
    stopped = true;
    await done;
  };
}

async function run(o: SoakOptions): Promise<SoakReport> {
  const startedAt = new Date().toISOString();
  const stallTimeoutMs = o.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const stack = await startSoakStack(o.stack, o.stallTimeoutMs);
  try {
    const readIds = Array.from({ length: o.docs }, (_, i) => `r${String(i).padStart(6, '0')}`);
    const writeIds = Array.from({ length: o.writeIds }, (_, i) => `w${String(i).padStart(6, '0')}`);
    log(`loading ${readIds.length + writeIds.length} documents on ${o.stack} ...`);
    await loadCollection(stack, [...readIds, ...writeIds], o.documentBytes);
    const tally = new SoakTally();
    const inFlight: InFlight = { count: 0 };
    const samples: SoakSample[] = [];
    const plan = seededRandom(o.seed);
    const caller = new SoakCaller(
      {
        ports: stack.ports,
        connectionsPerPort: o.connections,
        collection: COLLECTION,
        readIds,
        writeIds,
        document: (seq) => ({ ...makeDocument(o.documentBytes), age: seq % 100 }),
        batchIds: o.batchIds,
        queryLimit: o.queryLimit,
        callTimeoutMs: o.callTimeoutMs,
        stallGuardMs: stallTimeoutMs + 30_000,
      },
      tally,
      seededRandom(o.seed + 1),
    );
    const t0 = performance.now() + PRE_SECONDS * 1000;
    let serverGone: string | undefined;
    const stopSampler = startSampler(stack, t0, inFlight, samples, (t) => {
      serverGone = `the server (pid ${stack.server.pid}) is gone at t=${t} s (${stack.server.exitStatus?.() ?? 'still exiting'}); its last output:\n${stack.server.output()}`;
      log(serverGone);
    });
    await sleep(PRE_SECONDS * 1000);
    const loadStart = loadavg();
    const cpu0 = { server: processCpuMs(stack.server.pid), client: ownCpuMs(), at: performance.now() };
    const durationMs = o.minutes * 60_000;
    log(`load: ${o.rate} calls/s for ${o.minutes} min`);
    const loop = await runOpenLoop(
      { rate: o.rate, durationMs, maxInFlight: o.maxInFlight, abandon: () => serverGone !== undefined },
      (_i, dueAt) => caller.run(planCall(plan, o.mix), dueAt),
      inFlight,
    );
    if (serverGone !== undefined) throw new Error(serverGone);
    const loadEnd = loadavg();
    const loadEndAt = performance.now();
    const serverCpu1 = processCpuMs(stack.server.pid);
    const cpuPercent = (ms: number) => Math.round((ms * 1000) / (loadEndAt - cpu0.at)) / 10;
    const cpu = {
      ...(serverCpu1 === undefined || cpu0.server === undefined ? {} : { server: cpuPercent(serverCpu1 - cpu0.server) }),
      client: cpuPercent(ownCpuMs() - cpu0.client),
    };
    const loadSeconds = (performance.now() - t0) / 1000;
    const atLoadEnd = await stack.activeCalls();
    log(
      `load ended at ${loadSeconds.toFixed(1)} s; ${inFlight.count} calls in flight, ${atLoadEnd ?? '?'} active on the server; draining ...`,
    );
    await loop.settled;
    const drainLimit = performance.now() + 60_000;
    let afterDrain = await stack.activeCalls();
    while (afterDrain !== 0 && performance.now() < drainLimit) {
      await sleep(250);
      afterDrain = await stack.activeCalls();
    }
    const drainSeconds = (performance.now() - loadEndAt) / 1000;
    await sleep(5000); // a few samples after the drain
    await stopSampler();
    const rss = rssFigures(samples, Math.min(o.markSeconds, Math.round(loadSeconds / 5)), loadSeconds);
    const errorsByCode = tally.errorsByCode();
    if (loop.notStarted > 0) errorsByCode.NOT_STARTED_CLIENT_CAP = loop.notStarted;
    const errors = Object.values(errorsByCode).reduce((a, b) => a + b, 0);
    const { out: _out, ...parameters } = o;
    return {
      startedAt,
      finishedAt: new Date().toISOString(),
      machine: machineInfo(),
      parameters: { ...parameters, stallTimeoutMs },
      streamStallTimeoutMs: stallTimeoutMs,
      loadAverage: { start: loadStart, end: loadEnd },
      cpuPercent: cpu,
      load: {
        scheduled: loop.scheduled,
        started: loop.started,
        notStarted: loop.notStarted,
        maxInFlight: loop.maxInFlight,
        maxStartLagMs: loop.maxStartLagMs,
      },
      outcomes: tally.outcomes,
      errorsByCode,
      firstErrorMessages: tally.firstMessages,
      cancellations: tally.count('cancelled'),
      stallResets: tally.count('stall-reset'),
      latency: {
        unary: tally.latency(['get', 'put']),
        get: tally.latency(['get']),
        put: tally.latency(['put']),
        streams: tally.latency(['query', 'batchGet']),
      },
      rss,
      activeCalls: {
        max: Math.max(0, ...samples.map((s) => s.activeCalls ?? 0)),
        ...(atLoadEnd === undefined ? {} : { atLoadEnd }),
        ...(afterDrain === undefined ? {} : { afterDrain }),
        drainSeconds: Math.round(drainSeconds * 10) / 10,
      },
      serverWarnings: stack.warnings(),
      verdicts: soakVerdicts(rss, errors, afterDrain),
      samples,
    };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const report = await run(o);
  await mkdir(o.out, { recursive: true });
  const base = `soak-${report.startedAt.replace(/[:.]/g, '-')}`;
  const svg = soakChartSvg(
    `Soak, ${o.stack}: ${o.rate} calls/s for ${o.minutes} min: server RSS (blue, MiB) and active calls (red)`,
    report.samples,
    [
      { t: report.rss.markSeconds, label: `${report.rss.markSeconds} s` },
      { t: o.minutes * 60, label: 'load ends' },
    ],
  );
  await writeFile(join(o.out, `${base}.json`), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(o.out, `${base}.svg`), svg);
  const md = soakMarkdown(report, `${base}.svg`);
  await writeFile(join(o.out, `${base}.md`), md);
  process.stdout.write(`${md}\nresults: ${join(o.out, base)}.{json,md,svg}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`soak failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
