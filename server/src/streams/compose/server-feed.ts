/**
 * The change feed a server runs, from its settings (docs/streams.md): the
 * in-process feed with in-process coordination (journaled beside
 * filesystem documents, or in SB_FEED_DIR), none with Redis in this version.
 */
import { join } from 'node:path';
import { systemClock } from '../../common/clock.js';
import type { Config } from '../../config/settings.js';
import { openLocalFeed, type LocalFeedSetup, type OpenedFeed } from './open-feed.js';

/** What the feed needs besides the settings. */
export type FeedDeps = Pick<LocalFeedSetup, 'store' | 'inner' | 'log' | 'failpoints' | 'finishTransaction'>;

/** The server's feed; undefined when its coordination has none. */
export async function openServerFeed(config: Config, deps: FeedDeps): Promise<OpenedFeed | undefined> {
  if (config.coordination !== 'local') return undefined;
  return openLocalFeed({
    ...feedDirOf(config),
    retainCount: config.feedRetainCount,
    retainMs: config.feedRetainMs,
    pendingAfterMs: config.feedPendingAfterMs,
    sweepMs: config.feedSweepMs,
    maxWatchers: config.maxWatchers,
    clock: systemClock,
    ...deps,
  });
}

/** The feed journal's directory: the setting, else beside filesystem documents; none (memory) otherwise. */
export function feedDirOf(config: Pick<Config, 'feedDir' | 'storage' | 'dataDir'>): { dir?: string } {
  if (config.feedDir !== undefined) return { dir: config.feedDir };
  return config.storage === 'filesystem' ? { dir: join(config.dataDir, '.feed') } : {};
}
