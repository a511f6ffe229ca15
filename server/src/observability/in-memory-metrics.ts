/**
 * For specs and benchmarks: a MeterProvider whose metrics can be collected
 * on demand, and helpers to find one data point by name and attributes.
 */
import type { Attributes, Meter } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';

class OnDemandReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** One collected data point: its value (a number, or a histogram) and attributes. */
export type CollectedPoint = DataPoint<number | Histogram>;

/** A meter whose instruments can be read back. */
export class InMemoryMetrics {
  /** The meter to create instruments on. */
  readonly meter: Meter;
  private readonly reader = new OnDemandReader();
  private readonly provider: MeterProvider;

  constructor() {
    this.provider = new MeterProvider({ readers: [this.reader] });
    this.meter = this.provider.getMeter('test');
  }

  /** Every data point of the metric `name` (the OpenTelemetry name, with dots). */
  async points(name: string): Promise<CollectedPoint[]> {
    const { resourceMetrics } = await this.reader.collect();
    const out: CollectedPoint[] = [];
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const m of scope.metrics) {
        if (m.descriptor.name === name) out.push(...(m.dataPoints as CollectedPoint[]));
      }
    }
    return out;
  }

  /** The data point of `name` whose attributes include all of `match`; undefined when none does. */
  async point(name: string, match: Attributes): Promise<CollectedPoint | undefined> {
    const points = await this.points(name);
    return points.find((p) => Object.entries(match).every(([k, v]) => p.attributes[k] === v));
  }

  /** The value of a counter or gauge point (0 when absent), or the count of a histogram point. */
  async value(name: string, match: Attributes): Promise<number> {
    const p = await this.point(name, match);
    if (p === undefined) return 0;
    return typeof p.value === 'number' ? p.value : p.value.count;
  }

  /** Stops the provider. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}
