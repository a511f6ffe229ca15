/**
 * Scenario 2 with h2load as the load generator (the default): Get of one 1 KB
 * document through gRPC, h2load sending the framed request over one
 * connection with `concurrency` streams, against
 *   - `echo`: the grpc-js echo server decoding requests and encoding responses
 *     with protobuf-es `toBinary` (the codec a plain server pays);
 *   - `echo-pre-encoded`: the same server answering pre-encoded bytes (the
 *     gRPC-only ceiling: no codec work at all);
 *   - our server per storage, and optionally another build of it (`before`).
 * h2load is a C program that needs a fraction of a core where a Node client
 * needed a whole one, so the server is the bound (its CPU % and h2load's are
 * reported). Every target is checked once with a real client (the Get returns
 * the document) and its response size compared with h2load's data bytes per
 * call. Targets are measured in interleaved slices, each after a warm-up run.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { isDeepStrictEqual } from 'node:util';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetResponseSchema } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import { createDocClient } from './doc-client.js';
import { PRE_ENCODED_DOCUMENT } from './echo-server.js';
import { GRPC_PREFIX_BYTES, getRequestBody } from './grpc-frame.js';
import { combineH2loadSlices, compareFigures, type H2loadComparison, type H2loadFigure } from './h2load-figure.js';
import { requireH2load, runH2load, type H2loadSlice } from './h2load-run.js';
import { makeDocument } from './payload.js';
import { benchScriptPath, startListening, type RunningProcess } from './processes.js';
import { startSmarterbase } from './smarterbase-server.js';

/** Parameters of the h2load throughput scenario. */
export interface H2loadThroughputOptions {
  /** Measured time per target (split over the rounds), ms. */
  readonly durationMs: number;
  /** Warm-up run before each slice, ms. */
  readonly warmupMs: number;
  /** Slices per target, interleaved (≥ 1). */
  readonly rounds: number;
  /** Streams in flight on the one connection. */
  readonly concurrency: number;
  /** JSON size of the document, bytes. */
  readonly documentBytes: number;
  /** Our storages to measure (none: baselines only). */
  readonly storages: readonly ('memory' | 'filesystem')[];
  /** main.js of another build of the server, measured on memory storage as `memory-before`. */
  readonly beforeServerMain?: string;
  /** Progress messages (stderr). */
  readonly log: (message: string) => void;
}

/** What the scenario found. */
export interface H2loadThroughputResult {
  /** The load generator. */
  readonly load: 'h2load';
  /** Streams in flight in every run. */
  readonly concurrency: number;
  /** Interleaved slices per target. */
  readonly rounds: number;
  /** Measured length of one slice, ms. */
  readonly sliceMs: number;
  /** Load average (1, 5, 15 min) when the measurements started and ended. */
  readonly loadAverage: { readonly start: readonly number[]; readonly end: readonly number[] };
  /** The other build measured as `memory-before`, when given. */
  readonly beforeServerMain?: string;
  /** Figures by target: echo, echo-pre-encoded, memory, filesystem, memory-before. */
  readonly figures: Readonly<Record<string, H2loadFigure>>;
  /** Each of our targets against each baseline. */
  readonly comparisons: readonly H2loadComparison[];
}

/** The baselines, in the order they are reported. */
export const H2LOAD_BASELINES = ['echo', 'echo-pre-encoded'] as const;

const COLLECTION = PRE_ENCODED_DOCUMENT.collection;
const DOC_ID = PRE_ENCODED_DOCUMENT.id;

interface Target {
  readonly name: string;
  readonly server: RunningProcess;
  /** The framed response a real client got, bytes. */
  expectedBytes: number;
}

/** Runs the scenario; every child process and temp dir is gone before it returns or throws. */
export async function runH2loadThroughput(o: H2loadThroughputOptions): Promise<H2loadThroughputResult> {
  requireH2load();
  const started: RunningProcess[] = [];
  const dirs: string[] = [];
  const start = async (p: Promise<RunningProcess>) => {
    const r = await p;
    started.push(r);
    return r;
  };
  try {
    const work = await mkdtemp(join(tmpdir(), 'sb-h2load-'));
    dirs.push(work);
    const bodyFile = join(work, 'get-request.bin');
    await writeFile(bodyFile, getRequestBody(COLLECTION, DOC_ID));
    const echoArgs = ['--document-bytes', String(o.documentBytes)];
    const targets: Target[] = [
      { name: 'echo', server: await start(startListening(benchScriptPath('echo-server.js'), echoArgs)), expectedBytes: 0 },
      {
        name: 'echo-pre-encoded',
        server: await start(startListening(benchScriptPath('echo-server.js'), [...echoArgs, '--pre-encoded'])),
        expectedBytes: 0,
      },
    ];
    const ours: Target[] = [];
    for (const kind of o.storages) {
      const storage = kind === 'memory' ? { kind } : { kind, dataDir: await mkdtemp(join(tmpdir(), 'sb-bench-')) };
      if (storage.kind === 'filesystem') dirs.push(storage.dataDir);
      ours.push({ name: kind, server: await start(startSmarterbase(storage)), expectedBytes: 0 });
    }
    if (o.beforeServerMain) {
      ours.push({ name: 'memory-before', server: await start(startSmarterbase({ kind: 'memory' }, o.beforeServerMain)), expectedBytes: 0 });
    }
    for (const t of ours) await seed(t.server, o.documentBytes);
    targets.push(...ours);
    for (const t of targets) t.expectedBytes = await verify(t, o.documentBytes);

    const loadStart = loadavg().map((v) => Math.round(v * 100) / 100);
    const sliceMs = Math.max(100, Math.round(o.durationMs / o.rounds));
    const slices = new Map<string, H2loadSlice[]>(targets.map((t) => [t.name, []]));
    for (let r = 1; r <= o.rounds; r++) {
      for (const t of targets) {
        const run = (ms: number) =>
          runH2load({ port: t.server.port, serverPid: t.server.pid, bodyFile, concurrency: o.concurrency, durationMs: ms });
        if (o.warmupMs > 0) await run(o.warmupMs);
        const slice = await run(sliceMs);
        const cpuUs = Math.round((slice.serverCpuMs * 1000) / Math.max(1, slice.summary.status['2xx']));
        o.log(`grpc/h2load: round ${r}/${o.rounds}: ${t.name}: ${slice.summary.requestsPerSecond} req/s, ${cpuUs} µs server CPU per call`);
        slices.get(t.name)?.push(slice);
      }
    }
    const figures: Record<string, H2loadFigure> = {};
    for (const t of targets) figures[t.name] = combineH2loadSlices(slices.get(t.name) ?? [], t.expectedBytes, t.name);
    return {
      load: 'h2load',
      concurrency: o.concurrency,
      rounds: o.rounds,
      sliceMs,
      loadAverage: { start: loadStart, end: loadavg().map((v) => Math.round(v * 100) / 100) },
      ...(o.beforeServerMain ? { beforeServerMain: o.beforeServerMain } : {}),
      figures,
      comparisons: compareFigures(
        figures,
        ours.map((t) => t.name),
        H2LOAD_BASELINES,
      ),
    };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

async function seed(server: RunningProcess, documentBytes: number): Promise<void> {
  const client = createDocClient('grpc-js', `127.0.0.1:${server.port}`);
  try {
    await client.put(COLLECTION, DOC_ID, makeDocument(documentBytes));
  } finally {
    client.close();
  }
}

/**
 * Gets the document through a real gRPC client and checks it is the one sent;
 * resolves with the size of the framed response (what h2load should receive per call).
 */
async function verify(t: Target, documentBytes: number): Promise<number> {
  const client = createDocClient('grpc-js', `127.0.0.1:${t.server.port}`);
  try {
    const res = await client.get(COLLECTION, DOC_ID);
    if (!isDeepStrictEqual(res.document?.data, makeDocument(documentBytes))) {
      throw new Error(`${t.name}: Get did not return the benchmark document`);
    }
    return GRPC_PREFIX_BYTES + toBinary(GetResponseSchema, create(GetResponseSchema, res)).byteLength;
  } finally {
    client.close();
  }
}
