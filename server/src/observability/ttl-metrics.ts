/**
 * Document expiry's counter (docs/observability.md): purges by outcome
 * (`purged`: the expired version was deleted; `dropped`: it was absent,
 * rewritten or no longer expired; `failed`: retried later). Summed over the
 * servers, `purged` counts each expired document once.
 */
import type { Meter } from '@opentelemetry/api';
import { METRIC_NAMES } from './metrics.js';

/** A purge's outcome. */
export type PurgeOutcome = 'purged' | 'dropped' | 'failed';

/** Creates `smarterbase.ttl.purges` (attribute outcome) and returns what counts one purge. */
export function ttlPurgeCounter(meter: Meter): (outcome: PurgeOutcome) => void {
  const counter = meter.createCounter(METRIC_NAMES.ttlPurges, {
    description: 'Expired documents this server tried to purge, by outcome (purged, dropped: rewritten or already gone, failed: retried).',
  });
  return (outcome) => counter.add(1, { outcome });
}
