/**
 * The logs a server runs, from its settings (docs/streams.md, "Logs"): the
 * engine over the server's store and coordinator, with the request-id index
 * in process (local coordination) or in Redis (shared by every server).
 */
import { systemClock } from '../../common/clock.js';
import type { Failpoints } from '../../common/failpoints.js';
import type { Config } from '../../config/settings.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import { openRedis, type RedisConnectionOptions } from '../../coordination/redis/redis-connection.js';
import type { AppLogger } from '../../observability/logger.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { LogEngine } from '../log-engine.js';
import { RedisRequestIndex } from '../redis-request-index.js';
import { LocalRequestIndex, type RequestIndex } from '../request-index.js';

/** What the logs need besides the settings. */
export interface LogsDeps {
  readonly store: BlobStore;
  readonly coordinator: Coordinator;
  readonly log: AppLogger;
  readonly failpoints?: Failpoints;
  /** With Redis coordination: where Redis is. */
  readonly redis?: RedisConnectionOptions;
}

/** The server's log engine (close it at shutdown: it finishes the batches in flight). */
export async function openLogs(config: Config, deps: LogsDeps): Promise<LogEngine> {
  const windowMs = config.logRequestIdWindowMs;
  const now = (): number => systemClock.now();
  const index: RequestIndex =
    config.coordination === 'redis' && deps.redis !== undefined
      ? new RedisRequestIndex(await openRedis(deps.redis), windowMs, now)
      : new LocalRequestIndex(windowMs, now);
  return new LogEngine({
    store: deps.store,
    coordinator: deps.coordinator,
    index,
    clock: systemClock,
    ...(deps.failpoints === undefined ? {} : { failpoints: deps.failpoints }),
    onWarning: (err, msg) => deps.log.warn({ err }, msg),
    settings: {
      batchMaxLines: config.logBatchMaxLines,
      batchMaxBytes: config.logBatchMaxBytes,
      maxLineBytes: config.logMaxLineBytes ?? config.maxDocumentBytes,
      requestIdWindowMs: windowMs,
      followPollMs: config.logFollowPollMs,
      maxFollowers: config.maxWatchers,
    },
  });
}
