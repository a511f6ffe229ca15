/**
 * A real Redis Cluster for a test suite (issue 10, "Redis Cluster"): six
 * `redis-server --cluster-enabled yes` processes on free loopback ports (each
 * in its own temporary directory with its own cluster config file, no
 * persistence, a 1 s node timeout so a failover takes seconds), joined by
 * `redis-cli --cluster create … --cluster-replicas 1` into 3 masters with one
 * replica each. Helpers kill a master and wait until its replica took over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './free-port.js';
import { waitFor } from './redis-process.js';

/** One redis-server of the cluster. */
export interface ClusterNode {
  /** Its client port on 127.0.0.1. */
  readonly port: number;
  /** Its cluster bus port. */
  readonly busPort: number;
  /** Its process (exited after a kill). */
  readonly child: ChildProcess;
}

/** One row of CLUSTER NODES. */
export interface ClusterNodeInfo {
  readonly id: string;
  readonly port: number;
  readonly role: 'master' | 'replica';
  /** The master's id (replicas only). */
  readonly masterId?: string;
  /** Marked failed (fail flag) or disconnected. */
  readonly failed: boolean;
  /** How many slots it serves (masters). */
  readonly slots: number;
}

/** A running cluster. */
export interface RedisTestCluster {
  /** The seeds as one setting value: `redis://127.0.0.1:<p1>,redis://127.0.0.1:<p2>,…` (every node). */
  readonly url: string;
  /** Every node, masters first as created. */
  readonly nodes: readonly ClusterNode[];
  /** CLUSTER NODES as seen by a live node. */
  topology(): Promise<ClusterNodeInfo[]>;
  /** The live master serving `slot`. */
  masterOfSlot(slot: number): Promise<ClusterNodeInfo>;
  /**
   * SIGKILLs the master on `port` and waits until one of its replicas is a
   * master serving its slots and every live node reports cluster_state:ok.
   * Returns the promoted replica's port. `afterKill` runs once the master
   * exited (e.g. to SIGCONT a replica stopped so that it lags behind).
   */
  killMasterAndAwaitFailover(port: number, afterKill?: () => void): Promise<number>;
  /** Waits until every live node reports cluster_state:ok with all 16384 slots served. */
  awaitOk(ms?: number): Promise<void>;
  /** Stops every node (SIGKILL) and removes the temporary directories. Idempotent. */
  stop(): Promise<void>;
}

const NODES = 6;

/** Starts and joins a 3-master, 3-replica cluster (binaries: redis-server and redis-cli on PATH). */
export async function startRedisCluster(): Promise<RedisTestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-redis-cluster-'));
  const nodes: ClusterNode[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => killNode(n.child)));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < NODES; i++) nodes.push(await startNode(dir, i));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes']);
    const cluster = handle(nodes, stop);
    await cluster.awaitOk();
    await waitFor('every replica to finish its first sync', () => replicasInSync(nodes), 30_000, 100);
    return cluster;
  } catch (e) {
    await stop();
    throw e;
  }
}

function handle(nodes: ClusterNode[], stop: () => Promise<void>): RedisTestCluster {
  const live = (): ClusterNode[] => nodes.filter((n) => n.child.exitCode === null && n.child.signalCode === null);
  /** CLUSTER NODES of the first live node that answers (a node may be stopped with SIGSTOP). */
  const topology = async (): Promise<ClusterNodeInfo[]> => {
    let last: unknown = new Error('no live node');
    for (const n of live()) {
      try {
        return parseNodes(String(await command(n.port, ['CLUSTER', 'NODES'])));
      } catch (e) {
        last = e;
      }
    }
    throw last;
  };
  const awaitOk = async (ms = 30_000): Promise<void> => {
    await waitFor(
      'cluster_state:ok on every live node',
      async () => {
        for (const n of live()) {
          const info = String(await command(n.port, ['CLUSTER', 'INFO']).catch(() => ''));
          if (!info.includes('cluster_state:ok') || !info.includes('cluster_slots_ok:16384')) return false;
        }
        return true;
      },
      ms,
      100,
    );
  };
  return {
    url: nodes.map((n) => `redis://127.0.0.1:${n.port}`).join(','),
    nodes,
    topology,
    async masterOfSlot(slot) {
      const slots = (await command(live()[0]!.port, ['CLUSTER', 'SLOTS'])) as [number, number, [string, number, string]][];
      const range = slots.find(([from, to]) => from <= slot && slot <= to);
      if (range === undefined) throw new Error(`no master serves slot ${slot}`);
      const info = (await topology()).find((n) => n.port === range[2][1]);
      if (info === undefined) throw new Error(`slot ${slot}: unknown master on port ${range[2][1]}`);
      return info;
    },
    async killMasterAndAwaitFailover(port, afterKill) {
      const before = await topology();
      const master = before.find((n) => n.port === port && n.role === 'master');
      if (master === undefined) throw new Error(`no master on port ${port}`);
      const replicas = before.filter((n) => n.masterId === master.id).map((n) => n.port);
      await killNode(nodes.find((n) => n.port === port)!.child);
      afterKill?.();
      let promoted = 0;
      await waitFor(
        `a replica of ${port} to be promoted`,
        async () => {
          const now = await topology().catch(() => []);
          promoted = now.find((n) => replicas.includes(n.port) && n.role === 'master' && n.slots > 0 && !n.failed)?.port ?? 0;
          return promoted !== 0;
        },
        30_000,
        100,
      );
      await awaitOk();
      return promoted;
    },
    awaitOk,
    stop,
  };
}

async function startNode(dir: string, i: number): Promise<ClusterNode> {
  for (let attempt = 0; ; attempt++) {
    const [port, busPort] = [await freePort(), await freePort()];
    const child = spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...['--cluster-enabled', 'yes', '--cluster-port', String(busPort), '--cluster-node-timeout', '1000'],
        ...['--cluster-config-file', join(dir, `nodes-${i}.conf`), '--dir', dir, '--dbfilename', `dump-${i}.rdb`],
      ],
      { stdio: 'ignore' },
    );
    try {
      await waitFor(
        `redis-server node ${i} on ${port}`,
        async () => (await command(port, ['PING']).catch(() => '')) === 'PONG',
        10_000,
        25,
      );
      return { port, busPort, child };
    } catch (e) {
      await killNode(child);
      if (attempt >= 2) throw e; // most likely a port was taken between freePort() and bind: try others
    }
  }
}

async function killNode(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/**
 * One command on a plain (non-cluster) connection to one node; fails after
 * 3 s (a node stopped with SIGSTOP accepts the connection but never answers).
 */
async function command(port: number, args: string[]): Promise<unknown> {
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 2000,
  });
  redis.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`node ${port} did not answer ${args[0]}`)), 3000);
  });
  try {
    return await Promise.race([redis.connect().then(() => redis.call(args[0]!, ...args.slice(1))), timeout]);
  } finally {
    clearTimeout(timer);
    redis.disconnect();
  }
}

async function replicasInSync(nodes: ClusterNode[]): Promise<boolean> {
  for (const n of nodes) {
    const info = String(await command(n.port, ['INFO', 'replication']));
    if (info.includes('role:slave') && !info.includes('master_link_status:up')) return false;
  }
  return true;
}

/** Parses CLUSTER NODES: `<id> <ip:port@bus> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges…>`. */
export function parseNodes(text: string): ClusterNodeInfo[] {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, addr, flags, master, , , , link, ...ranges] = line.trim().split(' ');
      const flagList = (flags ?? '').split(',');
      const slots = ranges
        .filter((r) => !r.startsWith('['))
        .reduce((sum, r) => {
          const [from, to] = r.split('-').map(Number);
          return sum + ((to ?? from!) - from! + 1);
        }, 0);
      return {
        id: id!,
        port: Number(addr!.split('@')[0]!.split(':')[1]),
        role: flagList.includes('master') ? ('master' as const) : ('replica' as const),
        ...(master !== '-' ? { masterId: master } : {}),
        failed: flagList.includes('fail') || flagList.includes('fail?') || link === 'disconnected',
        slots,
      };
    });
}

function run(binary: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${binary} ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}
