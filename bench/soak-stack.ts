/**
 * The server under soak: the built server (`dist/server/src/main.js`) on
 * filesystem storage in a temporary directory (the embedded default), or on
 * gofakes3 + redis-server (`--stack s3`), all on free loopback ports, with
 * readers of its RSS, its active calls and the warnings it logs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rssOf, scrapeSum } from '../test/harness/raw-wire.js';
import { startRedis } from '../test/harness/redis-server.js';
import { freePort, serverMainPath, startGofakes3, startListening, type RunningProcess } from './processes.js';
import { BENCH_S3_ENV, serverArgs } from './smarterbase-server.js';

/** Which stack the soak runs on. */
export type SoakStackKind = 'fs' | 's3';

/** How many server warning lines are kept verbatim. */
const KEPT_WARNINGS = 5;

/** A running server under soak. */
export interface SoakStack {
  /** The server (port = gRPC port, httpPort = Connect port). */
  readonly server: RunningProcess;
  /** [grpc-js port, connect-node port]. */
  readonly ports: readonly [number, number];
  /** Server VmRSS now, MiB. */
  rssMiB(): Promise<number>;
  /** Sum of smarterbase_rpc_server_active_calls now, or undefined when the scrape failed. */
  activeCalls(): Promise<number | undefined>;
  /** Server log lines at warn level or above so far, and the first few. */
  warnings(): { count: number; first: string[] };
  /** Stops everything it started (each by its own handle) and removes the temporary directory. */
  stop(): Promise<void>;
}

/** Starts the stack; `stallTimeoutMs` (when set) becomes the server's --stream-stall-timeout-ms. */
export async function startSoakStack(kind: SoakStackKind, stallTimeoutMs?: number): Promise<SoakStack> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const p of started.reverse()) await p.stop().catch(() => undefined);
  };
  const warnings = { count: 0, first: [] as string[] };
  const onLine = (line: string) => {
    try {
      const level = (JSON.parse(line) as { level?: unknown }).level;
      if (typeof level !== 'number' || level < 40) return;
    } catch {
      if (!/warn|error/i.test(line)) return;
    }
    warnings.count++;
    if (warnings.first.length < KEPT_WARNINGS) warnings.first.push(line.slice(0, 400));
  };
  try {
    let args: string[];
    if (kind === 'fs') {
      const dataDir = await mkdtemp(join(tmpdir(), 'sb-soak-'));
      started.push({ stop: () => rm(dataDir, { recursive: true, force: true }) });
      args = serverArgs({ kind: 'filesystem', dataDir });
    } else {
      const s3 = await startGofakes3('bench-soak');
      started.push(s3);
      const redis = await startRedis();
      started.push(redis);
      args = [
        ...serverArgs({ kind: 's3', endpoint: `http://127.0.0.1:${s3.port}`, bucket: 'bench-soak' }),
        ...['--coordination', 'redis', '--redis-url', redis.url],
      ];
    }
    const metricsPort = await freePort();
    args.push('--metrics-port', String(metricsPort));
    if (stallTimeoutMs !== undefined) args.push('--stream-stall-timeout-ms', String(stallTimeoutMs));
    const server = await startListening(serverMainPath(), args, { ...BENCH_S3_ENV }, onLine);
    started.push(server);
    if (server.httpPort === undefined) throw new Error('the server reported no HTTP port');
    return {
      server,
      ports: [server.port, server.httpPort],
      rssMiB: async () => (await rssOf(server.pid)) / 2 ** 20,
      activeCalls: () => scrapeSum(metricsPort, 'smarterbase_rpc_server_active_calls').catch(() => undefined),
      warnings: () => ({ count: warnings.count, first: [...warnings.first] }),
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
