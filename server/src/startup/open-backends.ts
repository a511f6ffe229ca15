/**
 * The start-up steps that reach a backend, wrapped so that a failure is one
 * explained line (explain-failure.ts) and, with SB_STARTUP_RETRY_MS, retried
 * while the backend may still be coming up (retry-startup.ts).
 */
import type { Closer } from '../common/closer.js';
import type { Config } from '../config/settings.js';
import type { Coordinator } from '../coordination/coordinator.js';
import type { AppLogger } from '../observability/logger.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { BlobStore } from '../storage/blob-store.js';
import { openStore } from '../storage/compose/open-store.js';
import { storageProbe } from '../storage/probe-store.js';
import { explainDataDir, explainRedis, explainS3 } from './explain-failure.js';
import { retryStartup, type RetryStartupOptions } from './retry-startup.js';

function retryOptions(config: Config, log: AppLogger): RetryStartupOptions {
  return {
    budgetMs: config.startupRetryMs,
    onRetry: (err, waitMs, attempt) =>
      log.warn({ attempt, waitMs, setting: err.setting, retryForMs: config.startupRetryMs }, `${err.message}; retrying`),
  };
}

async function closeQuietly(closers: Closer[]): Promise<void> {
  for (const c of closers.reverse()) await c.close().catch(() => undefined);
}

/** Opens the coordinator (`open`), explaining and, within SB_STARTUP_RETRY_MS, retrying a Redis that cannot be reached. */
export async function openCoordinatorRetrying(config: Config, log: AppLogger, open: () => Promise<Coordinator>): Promise<Coordinator> {
  if (config.coordination !== 'redis') return open();
  return retryStartup(open, (e) => explainRedis(e, config), retryOptions(config, log));
}

/**
 * Opens the store (storage/compose/open-store.ts) and, for S3, proves it
 * answers (one HEAD within SB_S3_TIMEOUT_MS), so that a missing bucket,
 * refused credentials or an unreachable endpoint stop start-up here with
 * their explanation instead of later. An attempt that fails closes what it
 * opened; the successful one's closers join `closers`.
 */
export async function openStoreRetrying(
  config: Config,
  coordinator: Coordinator,
  log: AppLogger,
  closers: Closer[],
  telemetry: Telemetry,
): Promise<BlobStore> {
  const attempt = async (): Promise<BlobStore> => {
    const opened: Closer[] = [];
    try {
      const store = await openStore(config, coordinator, log, opened, telemetry);
      if (config.storage === 's3') await storageProbe(store)(AbortSignal.timeout(config.s3TimeoutMs));
      closers.push(...opened);
      return store;
    } catch (err) {
      await closeQuietly(opened);
      throw err;
    }
  };
  const explain = (e: unknown): unknown =>
    config.storage === 's3' ? explainS3(e, config) : config.storage === 'filesystem' ? explainDataDir(e, config) : e;
  return retryStartup(attempt, explain, retryOptions(config, log));
}
