/**
 * The document expiry a server runs, from its settings (docs/streams.md,
 * "Document expiry (TTL)"): an in-process schedule with local coordination,
 * the schedule shared through Redis (single server or Cluster: its keys are
 * hash-tagged per collection) with Redis coordination. Also starts it once
 * the engine exists: purges go through the engine's write hooks, so the
 * index and the change feed see them as they see local ones.
 */
import type { Meter } from '@opentelemetry/api';
import { systemClock } from '../../common/clock.js';
import type { Config } from '../../config/settings.js';
import type { RedisGuard } from '../../coordination/redis/redis-guard.js';
import type { RedisConnectionOptions } from '../../coordination/redis/redis-connection.js';
import type { AppLogger } from '../../observability/logger.js';
import { ttlPurgeCounter } from '../../observability/ttl-metrics.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { PurgeOne } from '../expiry-purger.js';
import type { ExpiryService } from '../expiry-service.js';
import { LocalExpiry } from '../local-expiry.js';
import { RedisExpiry } from '../redis/redis-expiry.js';

/** What expiry needs besides the settings. */
export interface ExpiryDeps {
  readonly store: BlobStore;
  readonly log: AppLogger;
  readonly meter: Meter;
  /** Default TTLs in ms by collection (collections file). */
  readonly defaultTtlMs?: ReadonlyMap<string, number>;
  /** With Redis coordination: where Redis is, and the breaker shared with the other Redis clients. */
  readonly redis?: RedisConnectionOptions & { readonly guard?: RedisGuard };
}

/** The server's expiry service for its coordination. */
export async function openExpiry(config: Config, deps: ExpiryDeps): Promise<ExpiryService> {
  const common = {
    store: deps.store,
    clock: systemClock,
    sweepMs: config.ttlSweepMs,
    log: deps.log,
    onOutcome: ttlPurgeCounter(deps.meter),
    ...(deps.defaultTtlMs === undefined ? {} : { defaultTtlMs: deps.defaultTtlMs }),
  };
  if (config.coordination !== 'redis' || deps.redis === undefined) return new LocalExpiry(common);
  return RedisExpiry.connect({
    ...common,
    ...deps.redis,
    claimMs: config.ttlClaimMs,
    rebuildSettleMs: config.ttlRebuildSettleMs,
    onLoss: (what) =>
      deps.log.warn(
        what,
        what.registry === true
          ? 'expiry: the registry of expiring collections was lost (or is new); reloading it from storage'
          : 'expiry: a collection schedule was lost (or is new); rebuilding it by listing the collection',
      ),
  });
}

/** Starts the purger (and the rebuilds) with the engine's purge; rebuilds are logged. */
export async function startExpiry(expiry: ExpiryService, purge: PurgeOne, log: AppLogger): Promise<void> {
  await expiry.start(
    purge,
    (r, collections) =>
      r instanceof Error
        ? log.error({ err: r, collections }, 'rebuilding the expiry schedule failed')
        : log.info({ ...r }, 'expiry schedule rebuilt'),
    AbortSignal.timeout(600_000),
  );
}
