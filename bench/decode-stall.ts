/**
 * Issue-8 decode-stall benchmark, run on demand: `npm run build && npm run
 * bench:decode-stall` (`--quick` for 4 s phases, `--help` for the options).
 * How much one client sending huge requests that the server must refuse
 * slows everyone else: p99 of small unary Gets alone, then while a worker
 * thread keeps sending ~5 MB requests (BatchGet with 300,000 ids; Put whose
 * Struct has 300,000 keys) to the gRPC port and to the HTTP port (gRPC h2c
 * and Connect binary). Target: p99 added < 50 ms. Writes
 * bench/results/decode-stall-<timestamp>.json and .md.
 */
import { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import { positiveInt } from './cli-args.js';
import type { AbuserJob, AbuserReport } from './decode-stall-abuser.js';
import { batchGetBytes, envelope, putStructBytes } from './decode-stall-payloads.js';
import { addedP99, formatStallMarkdown, SCENARIOS, type StallResult, type StallRun, type StallScenario } from './decode-stall-report.js';
import { processCpuMs } from './cpu-time.js';
import { repoRoot, sleep } from './processes.js';
import { startSmarterbase } from './smarterbase-server.js';
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';

const SERVICE = '/smarterbase.v1.DocumentService';
/** The server's default SB_MAX_MESSAGE_BYTES; both requests stay under it. */
const MAX_MESSAGE_BYTES = 5 * 1024 * 1024;

/** The parsed command line. */
interface CliOptions {
  readonly quick: boolean;
  readonly durationS?: number;
  readonly clients: number;
  readonly intervalMs: number;
  readonly elements: number;
  readonly only?: string[];
  readonly label: string;
}

function parse(argv: string[]): CliOptions {
  return new Command('decode-stall')
    .description('p99 of small Gets alone and while ~5 MB requests are refused, on each port and protocol')
    .option('--quick', 'phases of 4 s instead of 10 s', false)
    .option('--duration-s <n>', 'measured seconds per phase', positiveInt)
    .option('--clients <n>', 'small-Get clients (one HTTP/2 connection each)', positiveInt, 4)
    .option('--interval-ms <n>', 'each client starts a Get this often, ms (open loop)', positiveInt, 20)
    .option('--elements <n>', 'ids of the BatchGet and keys of the Put Struct', positiveInt, 300_000)
    .option('--only <keys>', `scenarios to run, comma-separated: ${SCENARIOS.map((s) => s.key).join(', ')}`, (v) => v.split(','))
    .option('--label <text>', 'names the run in the report', 'run')
    .parse(argv)
    .opts<CliOptions>();
}

/** Small Gets of one phase: latencies of those that answered, and the failures. */
interface GetsPhase {
  readonly latency: LatencySummary;
  readonly errors: number;
  readonly firstError?: string;
}

/**
 * Open-loop small Gets: each client starts one every `intervalMs` whatever
 * the previous did, so a stalled server shows in every call that waits on it
 * (no coordinated omission). The calls started in `ms`, once all ended.
 */
async function measureGets(clients: Client<typeof DocumentService>[], intervalMs: number, ms: number): Promise<GetsPhase> {
  const samples: number[] = [];
  const calls: Promise<void>[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const timers = clients.map((c) =>
    setInterval(() => {
      const t = performance.now();
      calls.push(
        c.get({ collection: 'stall', id: 'small' }).then(
          () => {
            samples.push(performance.now() - t);
          },
          (e: unknown) => {
            errors++;
            firstError ??= e instanceof Error ? e.message : String(e);
          },
        ),
      );
    }, intervalMs),
  );
  await sleep(ms);
  timers.forEach(clearInterval);
  await Promise.all(calls);
  if (samples.length === 0) throw new Error(`no small Get answered: ${firstError}`);
  return { latency: roundSummary(summarize(samples)), errors, ...(firstError === undefined ? {} : { firstError }) };
}

/** Server CPU ms per wall ms over `fn`, and fn's result. */
async function withCpu<T>(pid: number, fn: () => Promise<T>): Promise<{ value: T; cpuMs?: number; wallMs: number }> {
  const cpu0 = processCpuMs(pid);
  const t0 = performance.now();
  const value = await fn();
  const cpu1 = processCpuMs(pid);
  return { value, wallMs: performance.now() - t0, ...(cpu0 === undefined || cpu1 === undefined ? {} : { cpuMs: cpu1 - cpu0 }) };
}

/** The oversized request of `s`, as the worker sends it. */
function jobOf(s: StallScenario, ports: { grpc: number; http: number }, messages: Record<StallScenario['request'], Uint8Array>): AbuserJob {
  const message = messages[s.request];
  const method = s.request === 'batchget' ? 'BatchGet' : 'Put';
  const port = s.port === 'grpc' ? ports.grpc : ports.http;
  if (s.protocol === 'grpc')
    return { port, protocol: 'grpc', path: `${SERVICE}/${method}`, contentType: 'application/grpc', body: envelope(message) };
  // BatchGet is server-streaming: Connect sends its request enveloped; Put is Connect unary.
  if (s.request === 'batchget')
    return { port, protocol: 'connect', path: `${SERVICE}/${method}`, contentType: 'application/connect+proto', body: envelope(message) };
  return { port, protocol: 'connect', path: `${SERVICE}/${method}`, contentType: 'application/proto', body: message };
}

/**
 * One scenario: small Gets alone (its own baseline, just before, so that a
 * change in the machine's load between scenarios does not count), then the
 * same while the worker sends the oversized request again and again.
 */
async function measureScenario(
  s: StallScenario,
  job: AbuserJob,
  messageBytes: number,
  clients: Client<typeof DocumentService>[],
  o: { intervalMs: number; durationMs: number },
  pid: number,
): Promise<StallResult> {
  const quiet = await withCpu(pid, () => measureGets(clients, o.intervalMs, o.durationMs));
  const abused = await withCpu(pid, async () => {
    const worker = new Worker(join(__dirname, 'decode-stall-abuser.js'), { workerData: job });
    const report = new Promise<AbuserReport>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await sleep(1000); // the first oversized requests are on their way
    const gets = await measureGets(clients, o.intervalMs, o.durationMs);
    worker.postMessage('stop');
    const r = await report;
    await worker.terminate();
    return { gets, r };
  });
  await sleep(1000); // let the server settle
  const { gets, r } = abused.value;
  const serverCpuMsPerRequest =
    quiet.cpuMs === undefined || abused.cpuMs === undefined || r.sent === 0
      ? undefined
      : round((abused.cpuMs - (quiet.cpuMs / quiet.wallMs) * abused.wallMs) / r.sent, 1);
  return {
    ...s,
    requestBytes: messageBytes,
    oversizedAnswered: r.sent,
    outcomes: r.outcomes,
    rejection: roundSummary(summarize(r.latenciesMs)),
    ...(serverCpuMsPerRequest === undefined ? {} : { serverCpuMsPerRequest }),
    baseline: quiet.value.latency,
    gets: gets.latency,
    getErrors: quiet.value.errors + gets.errors,
    ...((gets.firstError ?? quiet.value.firstError) === undefined ? {} : { firstGetError: gets.firstError ?? quiet.value.firstError }),
    ...addedP99(gets.latency, quiet.value.latency),
  };
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const durationS = o.durationS ?? (o.quick ? 4 : 10);
  const scenarios = o.only === undefined ? SCENARIOS : SCENARIOS.filter((s) => o.only!.includes(s.key));
  const when = new Date().toISOString();
  const loadAverage = loadavg().map((v) => round(v, 2));
  const messages = { batchget: batchGetBytes('stall', o.elements), 'put-struct': putStructBytes('stall', 'big', o.elements) };
  for (const [k, m] of Object.entries(messages)) {
    if (m.length >= MAX_MESSAGE_BYTES) throw new Error(`the ${k} request is ${m.length} bytes, over the server's ${MAX_MESSAGE_BYTES}`);
  }
  const server = await startSmarterbase({ kind: 'memory' });
  try {
    const ports = { grpc: server.port, http: server.httpPort! };
    const clients = Array.from({ length: o.clients }, () =>
      createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${ports.grpc}` })),
    );
    await clients[0]!.put({ collection: 'stall', id: 'small', data: { hello: 'world', n: 1 } });
    await measureGets(clients, o.intervalMs, 3000); // warm-up: JIT, connections
    const phase = { intervalMs: o.intervalMs, durationMs: durationS * 1000 };
    const results: StallResult[] = [];
    for (const s of scenarios) {
      const r = await measureScenario(s, jobOf(s, ports, messages), messages[s.request].length, clients, phase, server.pid);
      log(
        `decode-stall: ${s.key}: ${r.oversizedAnswered} refused (p50 ${r.rejection.p50} ms, server CPU ${r.serverCpuMsPerRequest} ms each), Get p99 ${r.baseline.p99} → ${r.gets.p99} ms, added ${r.addedP99Ms} ms; ${JSON.stringify(r.outcomes)}${r.getErrors > 0 ? `; ${r.getErrors} Gets failed: ${r.firstGetError}` : ''}`,
      );
      results.push(r);
    }
    const run: StallRun = {
      when,
      finishedAt: new Date().toISOString(),
      label: o.label,
      machine: { cpus: cpus().length, node: process.version, loadAverage, loadAverageAtEnd: loadavg().map((v) => round(v, 2)) },
      parameters: { clients: o.clients, intervalMs: o.intervalMs, durationS, elements: o.elements, maxMessageBytes: MAX_MESSAGE_BYTES },
      scenarios: results,
    };
    const dir = join(repoRoot(), 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    const stem = join(dir, `decode-stall-${when.replace(/[:.]/g, '-')}`);
    writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(`${stem}.md`, formatStallMarkdown(run));
    console.log(formatStallMarkdown(run));
    console.log(`written: ${stem}.json, ${stem}.md`);
  } finally {
    await server.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
