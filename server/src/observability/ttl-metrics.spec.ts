import { InMemoryMetrics } from './in-memory-metrics.js';
import { METRIC_NAMES } from './metrics.js';
import { ttlPurgeCounter } from './ttl-metrics.js';

describe('ttlPurgeCounter', () => {
  it('counts purges by outcome', async () => {
    const metrics = new InMemoryMetrics();
    try {
      const count = ttlPurgeCounter(metrics.meter);
      count('purged');
      count('purged');
      count('dropped');
      expect(await metrics.value(METRIC_NAMES.ttlPurges, { outcome: 'purged' })).toBe(2);
      expect(await metrics.value(METRIC_NAMES.ttlPurges, { outcome: 'dropped' })).toBe(1);
      expect(await metrics.point(METRIC_NAMES.ttlPurges, { outcome: 'failed' })).toBeUndefined();
    } finally {
      await metrics.shutdown();
    }
  });
});
