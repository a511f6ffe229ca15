/**
 * Scenario 2, gRPC throughput: Get of one 1 KB document through our gRPC port
 * (memory and filesystem storage) against a bare grpc-js echo server returning
 * the same document, with the same client, concurrency and duration.
 *
 * Every server runs in its own process and the load generator in another.
 * All servers are started first; then the targets are measured one at a time,
 * interleaved in `rounds` slices each, so that drift of the machine (other
 * load, thermal state) hits every target alike. Two phases: the clients
 * against the echo server (to find the lighter one, when client is 'auto'),
 * then the echo server and our storages with that client.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLIENT_KINDS, createDocClient, type ClientKind } from './doc-client.js';
import type { LoadResult } from './load.js';
import { loadWorkerArgs } from './load-worker.js';
import { makeDocument } from './payload.js';
import { benchScriptPath, runJsonScript, startListening, type RunningProcess } from './processes.js';
import { startSmarterbase } from './smarterbase-server.js';
import { round } from './stats.js';
import { combineSlices, type ThroughputFigure } from './throughput-figure.js';

/** Our storages this scenario can measure. */
export type ThroughputStorage = 'memory' | 'filesystem';

/** Parameters of the throughput scenario. */
export interface GrpcThroughputOptions {
  /** Measured time per target (split over the rounds), ms. */
  readonly durationMs: number;
  /** Warm-up time per slice (each slice is a fresh load process), ms. */
  readonly warmupMs: number;
  /** Slices per target, interleaved (≥ 1). */
  readonly rounds: number;
  /** Calls in flight. */
  readonly concurrency: number;
  /** JSON size of the document, bytes. */
  readonly documentBytes: number;
  /** The client to use; 'auto' measures all against the echo server and keeps the fastest. */
  readonly client: ClientKind | 'auto';
  /** Storages of our server to measure (none: baselines only). */
  readonly storages: readonly ThroughputStorage[];
  /** Progress messages (stderr). */
  readonly log: (message: string) => void;
}

/** One of our storages beside the echo baseline. */
export interface ThroughputComparison {
  /** Our server's figure. */
  readonly ours: ThroughputFigure;
  /** ours.callsPerSecond / echo.callsPerSecond. */
  readonly ratio: number;
}

/** What the throughput scenario found. */
export interface GrpcThroughputResult {
  /** Phase 1: the echo server per client (absent when one client was given). */
  readonly clients?: Partial<Record<ClientKind, ThroughputFigure>>;
  /** The client used for phase 2. */
  readonly client: ClientKind;
  /** Calls in flight in every measurement. */
  readonly concurrency: number;
  /** Phase 2: the baseline with that client. */
  readonly echo: ThroughputFigure;
  /** Phase 2: our server per storage. */
  readonly ours: Partial<Record<ThroughputStorage, ThroughputComparison>>;
}

const COLLECTION = 'bench';
const DOC_ID = 'doc-1kb';

/** A server and client to measure. */
interface Target {
  readonly name: string;
  readonly server: RunningProcess;
  readonly client: ClientKind;
}

/** Runs the scenario; every child process and temp dir is gone before it returns or throws. */
export async function runGrpcThroughput(o: GrpcThroughputOptions): Promise<GrpcThroughputResult> {
  const started: RunningProcess[] = [];
  const dirs: string[] = [];
  try {
    const echo = await startListening(benchScriptPath('echo-server.js'), ['--document-bytes', String(o.documentBytes)]);
    started.push(echo);
    const servers = new Map<ThroughputStorage, RunningProcess>();
    for (const kind of o.storages) {
      let server: RunningProcess;
      if (kind === 'filesystem') {
        const dataDir = await mkdtemp(join(tmpdir(), 'sb-bench-'));
        dirs.push(dataDir);
        server = await startSmarterbase({ kind, dataDir });
      } else {
        server = await startSmarterbase({ kind });
      }
      started.push(server);
      servers.set(kind, server);
    }

    let clients: Partial<Record<ClientKind, ThroughputFigure>> | undefined;
    let client: ClientKind;
    if (o.client === 'auto') {
      const phase1 = await interleave(
        CLIENT_KINDS.map((kind) => ({ name: kind, server: echo, client: kind })),
        o,
      );
      clients = Object.fromEntries(phase1) as Partial<Record<ClientKind, ThroughputFigure>>;
      client = CLIENT_KINDS.reduce((a, b) => ((phase1.get(b)?.callsPerSecond ?? 0) > (phase1.get(a)?.callsPerSecond ?? 0) ? b : a));
      o.log(`grpc: lighter client: ${client}`);
    } else {
      client = o.client;
    }

    for (const server of servers.values()) await seed(client, server, o.documentBytes);
    const targets: Target[] = [{ name: 'echo', server: echo, client }];
    for (const [kind, server] of servers) targets.push({ name: kind, server, client });
    const phase2 = await interleave(targets, o);
    const echoFigure = phase2.get('echo') as ThroughputFigure;
    const ours: Partial<Record<ThroughputStorage, ThroughputComparison>> = {};
    for (const kind of servers.keys()) {
      const figure = phase2.get(kind) as ThroughputFigure;
      ours[kind] = { ours: figure, ratio: round(figure.callsPerSecond / echoFigure.callsPerSecond) };
    }
    return { ...(clients ? { clients } : {}), client, concurrency: o.concurrency, echo: echoFigure, ours };
  } finally {
    await Promise.all(started.map((p) => p.stop()));
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

/** Measures each target in `o.rounds` slices, round-robin; figures by target name. */
async function interleave(targets: readonly Target[], o: GrpcThroughputOptions): Promise<Map<string, ThroughputFigure>> {
  const slices = new Map<string, LoadResult[]>(targets.map((t) => [t.name, []]));
  const sliceMs = Math.max(1, Math.round(o.durationMs / o.rounds));
  for (let r = 1; r <= o.rounds; r++) {
    for (const t of targets) {
      o.log(`grpc: round ${r}/${o.rounds}: ${t.name}, client ${t.client}, ${o.concurrency} in flight, ${sliceMs} ms`);
      slices.get(t.name)?.push(await load(t, sliceMs, o));
    }
  }
  return new Map([...slices].map(([name, s]) => [name, combineSlices(s)]));
}

async function seed(kind: ClientKind, server: RunningProcess, documentBytes: number): Promise<void> {
  const client = createDocClient(kind, `127.0.0.1:${server.port}`);
  try {
    await client.put(COLLECTION, DOC_ID, makeDocument(documentBytes));
  } finally {
    client.close();
  }
}

async function load(t: Target, durationMs: number, o: GrpcThroughputOptions): Promise<LoadResult> {
  const args = loadWorkerArgs({
    client: t.client,
    address: `127.0.0.1:${t.server.port}`,
    collection: COLLECTION,
    id: DOC_ID,
    concurrency: o.concurrency,
    warmupMs: o.warmupMs,
    durationMs,
    serverPid: t.server.pid,
  });
  return (await runJsonScript(benchScriptPath('load-worker.js'), args)) as LoadResult;
}
