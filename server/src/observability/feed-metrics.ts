/**
 * The change feed's gauges (docs/observability.md): watches served, and
 * revisions allocated but not yet resolved per collection (a revision
 * pending for long holds its collection's watchers back: docs/streams.md,
 * "Stalls").
 */
import type { Meter } from '@opentelemetry/api';
import { METRIC_NAMES } from './metrics.js';

/** What the feed gauges read. */
export interface FeedView {
  /** Watches this server serves now. */
  watchers(): number;
  /** Pending revisions by collection (collections with none may be left out). */
  pendingByCollection(): ReadonlyMap<string, number>;
}

/** Registers `smarterbase.feed.watchers` and `smarterbase.feed.pending_revisions` (attribute collection). */
export function registerFeedGauges(meter: Meter, view: FeedView): void {
  meter
    .createObservableGauge(METRIC_NAMES.feedWatchers, { description: 'Watches (StreamService.Watch) this server serves now.' })
    .addCallback((r) => r.observe(view.watchers()));
  meter
    .createObservableGauge(METRIC_NAMES.feedPending, {
      description:
        'Change-feed revisions allocated and not yet resolved, per collection: writes in flight, or left by a dead writer for the feed sweeper.',
    })
    .addCallback((r) => {
      for (const [collection, n] of view.pendingByCollection()) r.observe(n, { collection });
    });
}
