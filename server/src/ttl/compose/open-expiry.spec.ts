import { loadConfig } from '../../config/load-config.js';
import { isDbError } from '../../errors/db-error.js';
import { createLogger } from '../../observability/logger.js';
import { InMemoryMetrics } from '../../observability/in-memory-metrics.js';
import { MemoryBlobStore } from '../../storage/memory/memory-store.js';
import { LocalExpiry } from '../local-expiry.js';
import { openExpiry } from './open-expiry.js';

describe('openExpiry', () => {
  const metrics = new InMemoryMetrics();
  afterAll(() => metrics.shutdown());
  const deps = { store: new MemoryBlobStore(), log: createLogger('silent'), meter: metrics.meter };

  it('runs the in-process schedule with local coordination', async () => {
    const { config } = loadConfig({ argv: [], env: { SB_STORAGE: 'memory', SB_COORDINATION: 'local' } });
    expect(await openExpiry(config, deps)).toBeInstanceOf(LocalExpiry);
  });

  it('connects the shared schedule with Redis coordination (unreachable here: unavailable)', async () => {
    const { config } = loadConfig({
      argv: [],
      env: { SB_STORAGE: 'memory', SB_COORDINATION: 'redis', SB_REDIS_URL: 'redis://127.0.0.1:1' },
    });
    const opened = openExpiry(config, { ...deps, redis: { url: 'redis://127.0.0.1:1', connectTimeoutMs: 500 } });
    const err: unknown = await opened.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isDbError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
  });
});
