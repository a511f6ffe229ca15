/**
 * The change feed a server runs, from its settings (docs/streams.md): the
 * in-process feed with in-process coordination (journaled beside
 * filesystem documents, or in SB_FEED_DIR); the Redis feed with Redis
 * coordination on one Redis server, through the coordinator's connection
 * settings and circuit breaker; none with Redis Cluster in this version.
 */
import { join } from 'node:path';
import { systemClock } from '../../common/clock.js';
import type { Config } from '../../config/settings.js';
import type { RedisConnectionOptions } from '../../coordination/redis/redis-connection.js';
import type { RedisGuard } from '../../coordination/redis/redis-guard.js';
import { RedisFeed } from '../redis/redis-feed.js';
import { openFeed, openLocalFeed, type LocalFeedSetup, type OpenedFeed } from './open-feed.js';

/** The Redis the coordinator uses (SB_COORDINATION=redis): the feed shares its settings and breaker. */
export interface FeedRedis {
  /** URL (redis:// or rediss:// for TLS) and timeouts, as the coordinator's. */
  readonly connection: RedisConnectionOptions;
  /** The coordinator's guard (one breaker per Redis), for the feed's client. */
  readonly guard?: RedisGuard;
  /** Subscribes to the coordinator's loss signal (Redis lost its data): every collection's feed then settles. */
  readonly onLoss?: (listener: () => void) => void;
}

/** What the feed needs besides the settings. */
export type FeedDeps = Pick<LocalFeedSetup, 'store' | 'inner' | 'log' | 'failpoints' | 'finishTransaction' | 'snapshots' | 'keyring'> & {
  /** Required with Redis coordination. */
  readonly redis?: FeedRedis;
};

/** The server's feed; undefined when its coordination has none (Redis Cluster). */
export async function openServerFeed(config: Config, deps: FeedDeps): Promise<OpenedFeed | undefined> {
  const { redis, ...rest } = deps;
  const common = {
    pendingAfterMs: config.feedPendingAfterMs,
    sweepMs: config.feedSweepMs,
    maxWatchers: config.maxWatchers,
    clock: systemClock,
    ...rest,
  };
  if (config.coordination === 'local')
    return openLocalFeed({ ...feedDirOf(config), retainCount: config.feedRetainCount, retainMs: config.feedRetainMs, ...common });
  if (config.redisCluster) {
    deps.log.warn({}, 'the change feed does not support Redis Cluster yet: StreamService is not served');
    return undefined;
  }
  if (redis === undefined) throw new Error('the Redis change feed needs the Redis connection settings');
  const feed = await RedisFeed.connect({
    ...redis.connection,
    ...(redis.guard === undefined ? {} : { guard: redis.guard }),
    retainCount: config.feedRetainCount,
    retainMs: config.feedRetainMs,
    settleMs: config.feedPendingAfterMs, // every write in flight across a loss has landed or failed by then
    log: deps.log,
  });
  redis.onLoss?.(() => feed.noteLoss());
  // Other servers' writes are in flight: only revisions past the threshold are swept, never everything at start.
  return openFeed(feed, common, { sweepAllAtStart: false });
}

/** The feed journal's directory: the setting, else beside filesystem documents; none (memory) otherwise. */
export function feedDirOf(config: Pick<Config, 'feedDir' | 'storage' | 'dataDir'>): { dir?: string } {
  if (config.feedDir !== undefined) return { dir: config.feedDir };
  return config.storage === 'filesystem' ? { dir: join(config.dataDir, '.feed') } : {};
}
