/**
 * The load generator process: drives DocumentService.Get on one gRPC server
 * in a closed loop and prints one JSON line with its LoadResult. Runs apart
 * from the servers so that client and server do not share an event loop.
 *
 * `node dist/bench/load-worker.js --client grpc-js --address 127.0.0.1:N
 *  --collection C --id I --concurrency 32 --warmup-ms 1000 --duration-ms 5000`
 */
import { Command } from 'commander';
import { CLIENT_KINDS, createDocClient, type ClientKind } from './doc-client.js';
import { runClosedLoop, type LoadResult } from './load.js';

/** What a load worker is told to do. */
export interface LoadWorkerOptions {
  /** Client library. */
  readonly client: ClientKind;
  /** host:port of the gRPC server. */
  readonly address: string;
  /** Collection of the document to Get. */
  readonly collection: string;
  /** Id of the document to Get (it must exist). */
  readonly id: string;
  /** Calls in flight. */
  readonly concurrency: number;
  /** Unmeasured warm-up time, ms. */
  readonly warmupMs: number;
  /** Measured time, ms. */
  readonly durationMs: number;
  /** The server's pid, for its CPU use (optional). */
  readonly serverPid?: number;
}

/** The command-line arguments that make a worker run `o`. */
export function loadWorkerArgs(o: LoadWorkerOptions): string[] {
  return [
    '--client',
    o.client,
    '--address',
    o.address,
    '--collection',
    o.collection,
    '--id',
    o.id,
    '--concurrency',
    String(o.concurrency),
    '--warmup-ms',
    String(o.warmupMs),
    '--duration-ms',
    String(o.durationMs),
    ...(o.serverPid === undefined ? [] : ['--server-pid', String(o.serverPid)]),
  ];
}

/** Runs the load described by `o` in this process. */
export async function runLoadWorker(o: LoadWorkerOptions): Promise<LoadResult> {
  const client = createDocClient(o.client, o.address);
  try {
    const first = await client.get(o.collection, o.id);
    if (first.document?.id !== o.id) throw new Error(`Get returned no document ${o.id}`);
    return await runClosedLoop(client.loadCall(o.collection, o.id), o);
  } finally {
    client.close();
  }
}

async function main(): Promise<void> {
  const raw = new Command()
    .requiredOption('--client <kind>', CLIENT_KINDS.join(' | '))
    .requiredOption('--address <host:port>', 'gRPC server')
    .requiredOption('--collection <name>', 'collection of the document')
    .requiredOption('--id <id>', 'id of the document')
    .requiredOption('--concurrency <n>', 'calls in flight')
    .requiredOption('--warmup-ms <ms>', 'warm-up time')
    .requiredOption('--duration-ms <ms>', 'measured time')
    .option('--server-pid <pid>', 'server process, for its CPU use')
    .parse()
    .opts<Record<string, string>>();
  if (!CLIENT_KINDS.includes(raw.client as ClientKind)) throw new Error(`unknown client ${raw.client}`);
  const result = await runLoadWorker({
    client: raw.client as ClientKind,
    address: raw.address,
    collection: raw.collection,
    id: raw.id,
    concurrency: Number(raw.concurrency),
    warmupMs: Number(raw.warmupMs),
    durationMs: Number(raw.durationMs),
    ...(raw.serverPid === undefined ? {} : { serverPid: Number(raw.serverPid) }),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`load-worker: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
