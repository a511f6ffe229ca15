/**
 * The query benchmark's processes: gofakes3 (S3), redis-server and our
 * server with `--storage s3 --coordination redis`, all on free loopback
 * ports, plus readers of the server's RSS and Prometheus counters.
 */
import { readFile } from 'node:fs/promises';
import { startRedis, type RedisTestServer } from '../test/harness/redis-server.js';
import { freePort, serverMainPath, startGofakes3, startListening, type RunningProcess } from './processes.js';
import { parseVmRssKiB, sumMetric } from './query-data.js';
import { BENCH_S3_ENV, serverArgs } from './smarterbase-server.js';
import { startDelayProxy } from './delay-proxy.js';

/** Bucket the benchmark's gofakes3 starts with. */
const BUCKET = 'bench-query';

/** The three running processes of one query benchmark. */
export interface QueryStack {
  /** Our server (port = gRPC port). */
  readonly server: RunningProcess;
  /** host:port of our gRPC port. */
  readonly address: string;
  /** Port of the server's Prometheus /metrics endpoint. */
  readonly metricsPort: number;
  /** The server's resident set size now, MiB (VmRSS of /proc/<pid>/status). */
  rssMiB(): Promise<number>;
  /** Sum of smarterbase_storage_operations_total over all labels, or undefined without metrics. */
  storageOperations(): Promise<number | undefined>;
  /** Stops the server, Redis and gofakes3 (each by its own handle). */
  stop(): Promise<void>;
}

/** Options of startQueryStack. */
export interface QueryStackOptions {
  /** Delay added to each direction between our server and gofakes3 (bench/delay-proxy.ts), ms; 5 ≈ 10 ms RTT. Default 0. */
  readonly s3OneWayDelayMs?: number;
}

/** Starts gofakes3, redis-server and our server on S3 + Redis. */
export async function startQueryStack(options: QueryStackOptions = {}): Promise<QueryStack> {
  const started: { stop(): Promise<void> }[] = [];
  const stopAll = async () => {
    for (const p of started.reverse()) await p.stop().catch(() => undefined);
  };
  try {
    const s3 = await startGofakes3(BUCKET);
    started.push(s3);
    const delay = options.s3OneWayDelayMs ?? 0;
    const proxy = delay > 0 ? await startDelayProxy(s3.port, delay) : undefined;
    if (proxy) started.push({ stop: () => proxy.close() });
    const redis: RedisTestServer = await startRedis();
    started.push(redis);
    const metricsPort = await freePort();
    const args = [
      ...serverArgs({ kind: 's3', endpoint: `http://127.0.0.1:${proxy?.port ?? s3.port}`, bucket: BUCKET }),
      ...['--coordination', 'redis', '--redis-url', redis.url, '--metrics-port', String(metricsPort)],
    ];
    const server = await startListening(serverMainPath(), args, { ...BENCH_S3_ENV });
    started.push(server);
    return {
      server,
      address: `127.0.0.1:${server.port}`,
      metricsPort,
      async rssMiB() {
        const kib = parseVmRssKiB(await readFile(`/proc/${server.pid}/status`, 'utf8'));
        if (kib === undefined) throw new Error(`no VmRSS for server pid ${server.pid}`);
        return kib / 1024;
      },
      async storageOperations() {
        try {
          const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
          if (!res.ok) return undefined;
          return sumMetric(await res.text(), 'smarterbase_storage_operations_total');
        } catch {
          return undefined;
        }
      },
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}
