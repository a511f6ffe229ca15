/**
 * The logs a server runs, from its settings (docs/streams.md, "Logs"): the
 * engine over the server's store and coordinator, with the request-id index
 * in process (local coordination) or in Redis (shared by every server), and
 * with Redis its followers woken by other servers' appends (pub/sub).
 */
import { systemClock } from '../../common/clock.js';
import type { Failpoints } from '../../common/failpoints.js';
import type { Config } from '../../config/settings.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import type { LogRetention } from '../log-retention.js';
import { redisConnectionOf } from '../../config/tls-files.js';
import { openRedis, type RedisConnectionOptions } from '../../coordination/redis/redis-connection.js';
import type { AppLogger } from '../../observability/logger.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { LogEngine } from '../log-engine.js';
import { RedisLogWakes } from '../redis-log-wakes.js';
import { RedisRequestIndex } from '../redis-request-index.js';
import { LocalRequestIndex, type RequestIndex } from '../request-index.js';
import type { Closer } from '../../common/closer.js';

/** What the logs need besides the settings. */
export interface LogsDeps {
  readonly store: BlobStore;
  readonly coordinator: Coordinator;
  readonly log: AppLogger;
  readonly failpoints?: Failpoints;
  /** Per-log retention from the collections file's `logs:` section. */
  readonly logRetention?: ReadonlyMap<string, LogRetention>;
}

/** With Redis coordination: where Redis is and how to reach it (config/tls-files.ts redisConnectionOf). */
function redisOf(config: Config): RedisConnectionOptions | undefined {
  if (config.coordination !== 'redis' || config.redisUrl === undefined) return undefined;
  return redisConnectionOf(config);
}

/**
 * The server's log engine; its closer (finish the batches in flight, close
 * the index's connection) joins `closers`.
 */
export async function openLogs(config: Config, deps: LogsDeps, closers: Closer[]): Promise<LogEngine> {
  const windowMs = config.logRequestIdWindowMs;
  const now = (): number => systemClock.now();
  const redis = redisOf(config);
  const defaultRetention: LogRetention = {
    ...(config.logRetainMs === undefined ? {} : { retainMs: config.logRetainMs }),
    ...(config.logRetainBytes === undefined ? {} : { retainBytes: config.logRetainBytes }),
  };
  const connection = redis === undefined ? undefined : await openRedis(redis);
  const index: RequestIndex =
    connection !== undefined ? new RedisRequestIndex(connection, windowMs, now) : new LocalRequestIndex(windowMs, now);
  let wakes: RedisLogWakes | undefined;
  const engine = new LogEngine({
    store: deps.store,
    coordinator: deps.coordinator,
    index,
    clock: systemClock,
    ...(deps.failpoints === undefined ? {} : { failpoints: deps.failpoints }),
    onWarning: (err, msg) => deps.log.warn({ err }, msg),
    retentionOf: (name) => deps.logRetention?.get(name) ?? defaultRetention,
    publishWake: (log) => wakes?.publish(log),
    settings: {
      batchMaxLines: config.logBatchMaxLines,
      batchMaxBytes: config.logBatchMaxBytes,
      maxLineBytes: config.logMaxLineBytes ?? config.maxDocumentBytes,
      requestIdWindowMs: windowMs,
      followPollMs: config.logFollowPollMs,
      segmentBytes: config.logSegmentBytes,
      segmentMaxAgeMs: config.logSegmentMaxAgeMs,
      maxFollowers: config.maxWatchers,
    },
  });
  if (redis !== undefined && connection !== undefined) {
    wakes = await RedisLogWakes.open(connection, await openRedis(redis), (log) => engine.wakeFollowers(log));
  }
  closers.push({
    name: 'logs',
    close: async () => {
      await wakes?.close();
      await engine.close();
    },
  });
  return engine;
}

/** The shutdown step that ends streams which never end by themselves: `previous` (the watches), then the log followers. */
export function alsoEndFollowers(previous: (() => void) | undefined, logs: LogEngine): () => void {
  return () => {
    previous?.();
    logs.endFollowers();
  };
}
