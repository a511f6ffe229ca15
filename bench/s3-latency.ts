/**
 * Scenario 1, the S3 path: sequential Get and Put of a 1 KB document through
 * our gRPC port (server on S3 storage) against raw @aws-sdk/client-s3
 * GetObject / PutObject on the same S3 server, in the same run.
 *
 * Ours and raw alternate in rounds of ROUND calls, so that drift of the machine
 * (other load, GC, S3 server state) hits both sides alike.
 *
 * It runs once per network × write-condition mode: loopback, and through a
 * delay proxy (bench/delay-proxy.ts, in a process of its own) standing for the
 * round trip to a remote S3, which both the raw SDK client and our server talk
 * through; each with the
 * server in `--s3-conditional auto` (lock mode against gofakes3) and `native`.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { performance } from 'node:perf_hooks';
import { createDocClient, type ClientKind, type DocClient } from './doc-client.js';
import { makeDocument, makeDocumentBytes } from './payload.js';
import { benchScriptPath, startGofakes3, startListening } from './processes.js';
import { benchS3Client, startSmarterbase } from './smarterbase-server.js';
import { compareGetMeans, type H2loadGetComparison } from './s3-h2load.js';
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';

/** Parameters of the S3 latency scenario. */
export interface S3LatencyOptions {
  /** Measured calls per operation and side, on loopback. */
  readonly iterations: number;
  /** Measured calls per operation and side through the delay proxy. */
  readonly delayedIterations: number;
  /** One-way delays of the proxy, ms, one delayed scenario each (0 or none: loopback only). */
  readonly oneWayDelaysMs: readonly number[];
  /** The server's write-condition modes to measure. */
  readonly modes: readonly ('auto' | 'native')[];
  /** Unmeasured calls per operation and side before measuring. */
  readonly warmup: number;
  /** JSON size of the document, bytes. */
  readonly documentBytes: number;
  /** gRPC client for our side. */
  readonly client: ClientKind;
  /** Measure only the raw SDK side (no SmarterBase server): for checking the harness. */
  readonly baselineOnly: boolean;
  /** Also measure Get driven by h2load (`-c1 -m1`) beside the raw SDK, by mean (bench/s3-h2load.ts). */
  readonly h2load: boolean;
  /** Progress messages (stderr). */
  readonly log: (message: string) => void;
}

/** One operation, ours beside raw. */
export interface LatencyComparison {
  /** Raw SDK call against the S3 server, ms. */
  readonly raw: LatencySummary;
  /** The same operation through our gRPC port, ms (absent with baselineOnly). */
  readonly ours?: LatencySummary;
  /** ours.p50 / raw.p50 (absent with baselineOnly). */
  readonly ratioP50?: number;
}

/** What the S3 latency scenario found: one result per network × mode, and our cost on memory storage. */
export interface S3LatencyResult {
  /** One per network (loopback, delayed) × write-condition mode, loopback first. */
  readonly scenarios: readonly S3ScenarioResult[];
  /**
   * Informative, no target: the same sequential Get / Put through our gRPC
   * port with memory storage: our overhead without any S3 round trip, ms.
   * Absent with baselineOnly.
   */
  readonly oursOnMemory?: { readonly get: LatencySummary; readonly put: LatencySummary };
}

/** The figures of one network × mode. */
export interface S3ScenarioResult {
  /** Short name, e.g. "loopback, auto" or "rtt 10ms, native". */
  readonly label: string;
  /** One-way delay added between the clients and S3, ms (0 = loopback). */
  readonly oneWayDelayMs: number;
  /** The server's `--s3-conditional`. */
  readonly conditional: 'auto' | 'native';
  /** Get: raw GetObject vs. DocumentService.Get. */
  readonly get: LatencyComparison;
  /** Put: raw PutObject vs. DocumentService.Put (upsert). */
  readonly put: LatencyComparison;
  /**
   * Informative: Get driven by h2load one request at a time against the raw
   * SDK, by mean: the server's cost without the Node gRPC client's (absent
   * without h2load or with baselineOnly).
   */
  readonly getH2load?: H2loadGetComparison;
  /**
   * Informative, no target: raw HeadObject + PutObject with If-Match, in
   * sequence: the S3 round trips an etag-checked update needs at least, ms.
   */
  readonly rawHeadThenConditionalPut: LatencySummary;
  /** The server's start-up log lines about S3 write conditions (probe result, mode). */
  readonly serverLog: readonly Record<string, unknown>[];
}

/** Messages of the server's log lines kept in S3LatencyResult.serverLog. */
const KEPT_LOG_MESSAGES = new Set(['conditional-write probe', 's3 write conditions', 'listening']);

const BUCKET = 'sb-bench';
const COLLECTION = 'bench';
const ROUND = 50;

type Op = () => Promise<unknown>;

/** Runs every network × mode, then ours on memory storage; every process is stopped before it returns or throws. */
export async function runS3Latency(o: S3LatencyOptions): Promise<S3LatencyResult> {
  const scenarios: S3ScenarioResult[] = [];
  const delays = [0, ...o.oneWayDelaysMs.filter((d) => d > 0)];
  for (const delay of delays) {
    for (const mode of o.baselineOnly ? (['auto'] as const) : o.modes) {
      const label = `${delay === 0 ? 'loopback' : `rtt ${2 * delay}ms`}, ${mode}`;
      const iterations = delay === 0 ? o.iterations : o.delayedIterations;
      const warmup = delay === 0 ? o.warmup : Math.min(o.warmup, 20);
      o.log(`s3: scenario ${label}`);
      const figures = await runScenario({ ...o, iterations, warmup }, delay, mode);
      scenarios.push({ label, oneWayDelayMs: delay, conditional: mode, ...figures });
    }
  }
  const oursOnMemory = o.baselineOnly ? undefined : await measureOnMemory(o);
  return { scenarios, ...(oursOnMemory ? { oursOnMemory } : {}) };
}

type ScenarioFigures = Omit<S3ScenarioResult, 'label' | 'oneWayDelayMs' | 'conditional'>;

/** One network × mode: a fresh gofakes3, proxy (when delayed) and server. */
async function runScenario(o: S3LatencyOptions, oneWayDelayMs: number, conditional: 'auto' | 'native'): Promise<ScenarioFigures> {
  const s3server = await startGofakes3(BUCKET);
  // The proxy runs in a process of its own: in this one, the raw client would share its event loop
  // and get each response without a process wakeup, which our server (another process) pays.
  const proxy =
    oneWayDelayMs > 0
      ? await startListening(benchScriptPath('delay-proxy-main.js'), [String(s3server.port), String(oneWayDelayMs)])
      : undefined;
  try {
    const endpoint = `http://127.0.0.1:${proxy?.port ?? s3server.port}`;
    const server = o.baselineOnly ? undefined : await startSmarterbase({ kind: 's3', endpoint, bucket: BUCKET, conditional });
    const s3 = benchS3Client(endpoint);
    const client = server ? createDocClient(o.client, `127.0.0.1:${server.port}`) : undefined;
    try {
      const figures = await measure(o, s3, client);
      const getH2load = server && o.h2load ? await measureH2load(o, s3, server) : undefined;
      return { ...figures, ...(getH2load ? { getH2load } : {}), serverLog: server ? keptLogLines(server.output()) : [] };
    } finally {
      client?.close();
      s3.destroy();
      await server?.stop();
    }
  } finally {
    await proxy?.stop();
    await s3server.stop();
  }
}

async function measure(o: S3LatencyOptions, s3: S3Client, client: DocClient | undefined): Promise<Omit<ScenarioFigures, 'serverLog'>> {
  const doc = makeDocument(o.documentBytes);
  const body = makeDocumentBytes(o.documentBytes);
  const rawGetKey = 'raw/doc-get.json';
  await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: rawGetKey, Body: body, ContentType: 'application/json' }));
  await client?.put(COLLECTION, 'doc-get', doc);

  const rawGet: Op = async () => {
    const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: rawGetKey }));
    const bytes = await res.Body?.transformToByteArray();
    if (bytes?.length !== body.length) throw new Error(`raw GetObject returned ${bytes?.length} bytes`);
  };
  const oursGet: Op | undefined =
    client &&
    (async () => {
      const res = await client.get(COLLECTION, 'doc-get');
      if (!res.document?.data) throw new Error('Get returned no data');
    });
  const rawPut: Op = () =>
    s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'raw/doc-put.json', Body: body, ContentType: 'application/json' }));
  const oursPut: Op | undefined = client && (() => client.put(COLLECTION, 'doc-put', doc));

  o.log(`s3: Get, ${o.warmup} warm-up + ${o.iterations} measured calls per side`);
  const get = await compare(rawGet, oursGet, o);
  o.log(`s3: Put, ${o.warmup} warm-up + ${o.iterations} measured calls per side`);
  const put = await compare(rawPut, oursPut, o);
  o.log(`s3: raw HeadObject + PutObject If-Match, ${o.warmup} warm-up + ${o.iterations} measured`);
  const casKey = 'raw/doc-cas.json';
  let etag = (await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: casKey, Body: body }))).ETag;
  const rawCas: Op = async () => {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: casKey }));
    etag = (await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: casKey, Body: body, IfMatch: etag }))).ETag;
  };
  const cas = await compare(rawCas, undefined, o);
  return { get, put, rawHeadThenConditionalPut: cas.raw };
}

/** Get driven by h2load vs. the raw SDK, interleaved (bench/s3-h2load.ts); the document is the one measure() wrote. */
function measureH2load(o: S3LatencyOptions, s3: S3Client, server: { port: number; pid: number }): Promise<H2loadGetComparison> {
  o.log('s3: (info) Get driven by h2load -c1 -m1 vs. raw SDK, by mean');
  const rawGet = async () => {
    const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'raw/doc-get.json' }));
    await res.Body?.transformToByteArray();
  };
  const rounds = 4;
  return compareGetMeans({
    rawGet,
    server,
    collection: COLLECTION,
    id: 'doc-get',
    rounds,
    rawCalls: Math.ceil(o.iterations / rounds),
    sliceMs: 1500,
  });
}

/** Sequential Get and Put through a server on memory storage (started and stopped here). */
async function measureOnMemory(o: S3LatencyOptions): Promise<{ get: LatencySummary; put: LatencySummary }> {
  const server = await startSmarterbase({ kind: 'memory' });
  const client = createDocClient(o.client, `127.0.0.1:${server.port}`);
  try {
    const doc = makeDocument(o.documentBytes);
    await client.put(COLLECTION, 'doc-get', doc);
    o.log(`s3: (info) ours on memory storage, Get and Put, ${o.warmup} warm-up + ${o.iterations} measured`);
    const get = await compare(() => client.get(COLLECTION, 'doc-get'), undefined, o);
    const put = await compare(() => client.put(COLLECTION, 'doc-put', doc), undefined, o);
    return { get: get.raw, put: put.raw };
  } finally {
    client.close();
    await server.stop();
  }
}

async function compare(raw: Op, ours: Op | undefined, o: S3LatencyOptions): Promise<LatencyComparison> {
  for (let i = 0; i < o.warmup; i++) {
    await raw();
    await ours?.();
  }
  const rawSamples: number[] = [];
  const ourSamples: number[] = [];
  while (rawSamples.length < o.iterations) {
    const n = Math.min(ROUND, o.iterations - rawSamples.length);
    await timed(raw, n, rawSamples);
    if (ours) await timed(ours, n, ourSamples);
  }
  const r = summarize(rawSamples);
  if (!ours) return { raw: roundSummary(r) };
  const s = summarize(ourSamples);
  return { raw: roundSummary(r), ours: roundSummary(s), ratioP50: round(s.p50 / r.p50) };
}

async function timed(op: Op, n: number, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op();
    into.push(performance.now() - t0);
  }
}

/** The JSON log lines of `output` whose msg is one of KEPT_LOG_MESSAGES. */
function keptLogLines(output: string): Record<string, unknown>[] {
  const kept: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (typeof rec.msg === 'string' && KEPT_LOG_MESSAGES.has(rec.msg)) kept.push(rec);
    } catch {
      // a partial or non-JSON line
    }
  }
  return kept;
}
