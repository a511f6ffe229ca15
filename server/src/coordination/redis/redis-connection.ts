/**
 * One way to open an ioredis connection for SmarterBase's adapters: fail
 * fast instead of queueing while disconnected (commands are not queued
 * offline and are retried at most once), reconnect in the background with
 * capped backoff, and turn connection failures into DbError('unavailable',
 * 'BACKEND_UNAVAILABLE'). With `cluster`, an ioredis Cluster client over the
 * seed URLs (SB_REDIS_CLUSTER): it follows MOVED/ASK and failovers itself.
 */
import Redis, { Cluster, type ChainableCommander } from 'ioredis';
import { abortError } from '../../common/abort.js';
import { DbError } from '../../errors/db-error.js';
import { keySlot } from './cluster-slots.js';

/** A connection to one Redis server or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;
/** One Redis node's connection (a cluster member, or the single server): what nodeForKey returns. */
export type RedisNode = Redis;

/**
 * How often a cluster client re-reads the slot table, in ms. ioredis learns a
 * failover from MOVED replies or a closed connection; a master that hangs
 * (stopped, partitioned) sends neither, so without this the client kept
 * sending its slots' commands into timeouts after the cluster had promoted
 * its replica, until the old master came back (test/cluster/cluster-breaker.test.ts).
 */
export const CLUSTER_SLOTS_REFRESH_MS = 2000;

/** Where and how patiently to connect. */
export interface RedisConnectionOptions {
  /** redis://host:port[/db]; with `cluster`, one or more seed URLs separated by commas. */
  readonly url: string;
  /** Connect to a Redis Cluster (SB_REDIS_CLUSTER). Default false. */
  readonly cluster?: boolean;
  /** How long connecting may take, in ms. Default 2000. */
  readonly connectTimeoutMs?: number;
  /** How long one command may take, in ms. Default 2000. */
  readonly commandTimeoutMs?: number;
  /** TLS of a rediss:// URL: a CA bundle and a client certificate (SB_REDIS_CA_FILE, …); ignored for redis://. */
  readonly tls?: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer };
}

/**
 * Connects and checks the connection with PING. `configure` runs before
 * connecting (e.g. to define Lua commands). Throws DbError('unavailable')
 * when Redis does not answer within connectTimeoutMs.
 */
export async function openRedis(options: RedisConnectionOptions, configure?: (redis: RedisClient) => void): Promise<RedisClient> {
  const connectTimeout = options.connectTimeoutMs ?? 2000;
  const retry = (times: number): number => Math.min(50 * 2 ** Math.min(times, 5), 1000);
  const redis: RedisClient = options.cluster
    ? new Cluster(clusterSeeds(options.url), {
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: retry,
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        slotsRefreshTimeout: connectTimeout,
        slotsRefreshInterval: CLUSTER_SLOTS_REFRESH_MS,
        redisOptions: {
          ...seedCredentials(options.url, options.tls),
          connectTimeout,
          commandTimeout: options.commandTimeoutMs ?? 2000,
          maxRetriesPerRequest: 1,
        },
      })
    : new Redis(options.url, {
        lazyConnect: true,
        connectTimeout,
        commandTimeout: options.commandTimeoutMs ?? 2000,
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
        disconnectTimeout: 500,
        retryStrategy: retry,
        ...(options.url.trim().startsWith('rediss://') && options.tls !== undefined ? { tls: { ...options.tls } } : {}),
      });
  // Surfaced through failing commands instead; the last one kept, since a refused connect rejects only "Connection is closed."
  let lastError: unknown;
  redis.on('error', (err: unknown) => (lastError = err));
  configure?.(redis);
  try {
    await withTimeout(redis.connect(), connectTimeout + 100);
    await redis.ping();
  } catch (cause) {
    redis.disconnect();
    const why = lastError ?? cause;
    throw redisUnavailable(`cannot connect to Redis: ${describeError(why)}`, why);
  }
  return redis;
}

/** The seeds of a cluster URL list: `redis://a:1,redis://b:2` → [{host a, port 1}, …]. */
export function clusterSeeds(urls: string): { host: string; port: number }[] {
  return urls
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '')
    .map((u) => {
      const url = new URL(u);
      return { host: url.hostname, port: url.port === '' ? 6379 : Number(url.port) };
    });
}

/** The user, password and TLS of the first seed, for every node of the cluster. */
function seedCredentials(urls: string, tls: RedisConnectionOptions['tls']): { username?: string; password?: string; tls?: object } {
  const first = new URL(urls.split(',')[0]!.trim());
  return {
    ...(first.username !== '' ? { username: decodeURIComponent(first.username) } : {}),
    ...(first.password !== '' ? { password: decodeURIComponent(first.password) } : {}),
    ...(first.protocol === 'rediss:' ? { tls: { ...tls } } : {}),
  };
}

/**
 * The node serving `key`'s slot: the one server, or on a cluster the master the
 * client's slot table names for it (the first master while the table is not
 * known yet; a MOVED answer then fails the call, which is retried). For
 * commands that a Cluster client cannot route, e.g. SCAN of one collection's
 * keys, which share the collection's hash tag and so one slot.
 */
export function nodeForKey(redis: RedisClient, key: string): RedisNode {
  if (!(redis instanceof Cluster)) return redis;
  const masters = redis.nodes('master');
  const owner = redis.slots[keySlot(key)]?.[0];
  return masters.find((n) => `${n.options.host}:${n.options.port}` === owner) ?? masters[0] ?? redis.nodes()[0]!;
}

/** The nodes a key-space walk (SCAN) must visit: every master of a cluster, or the one server. */
export function scanTargets(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes('master') : [redis];
}

/**
 * Sends `queue`'s one command followed by `WAIT replicas timeoutMs` in one
 * pipeline, so both go to the node serving the command's keys (on a cluster
 * too), and returns the command's reply with the number of replicas that
 * acknowledged it. Error replies and lost connections reject.
 */
export async function sendAndWait<T>(
  redis: RedisClient,
  queue: (pipeline: ChainableCommander) => void,
  replicas: number,
  timeoutMs: number,
): Promise<{ reply: T; acked: number }> {
  const pipeline = redis.pipeline();
  queue(pipeline);
  pipeline.call('WAIT', String(replicas), String(timeoutMs));
  const results = (await pipeline.exec()) ?? [];
  for (const [err] of results) if (err) throw err;
  if (results.length !== 2) throw new Error(`a pipeline of 2 commands answered ${results.length} replies`);
  return { reply: results[0]![1] as T, acked: Number(results[1]![1]) };
}

/** The message clients see when Redis fails; ioredis's own text stays in the cause, for logs. */
export const COORDINATION_UNAVAILABLE = 'coordination unavailable';

/** How long a client should wait before retrying after a Redis failure, in ms (the reconnect backoff starts at 100 ms). */
export const REDIS_RETRY_DELAY_MS = 200;

/**
 * The error of an unreachable or failing Redis: 'unavailable' /
 * BACKEND_UNAVAILABLE with the generic COORDINATION_UNAVAILABLE message.
 * `detail` (and ioredis's error, as its cause) is kept as the DbError's
 * cause: logged, never sent (e.g. "Stream isn't writeable and
 * enableOfflineQueue options is false"). `retryDelayMs` is the RetryInfo
 * (default REDIS_RETRY_DELAY_MS).
 */
export function redisUnavailable(detail: string, cause?: unknown, retryDelayMs = REDIS_RETRY_DELAY_MS): DbError {
  return new DbError('unavailable', 'BACKEND_UNAVAILABLE', COORDINATION_UNAVAILABLE, {
    cause: new Error(detail, cause === undefined ? undefined : { cause }),
    retryDelayMs,
  });
}

/** A short description of an unknown error, for messages. */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** `promise`, or a rejection after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/** `promise`, or the abort DbError as soon as `signal` aborts; a result arriving after that goes to `onLate`. */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal | undefined, onLate?: (result: T) => void): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      settled = true;
      reject(abortError(signal));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) onLate?.(v);
        else resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!settled) reject(e);
      },
    );
  });
}
