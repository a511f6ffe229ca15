/**
 * Sets up the OpenTelemetry SDK for the server process: a MeterProvider
 * read by a Prometheus exporter served on its own port (or a no-op meter
 * when metrics are off), and a tracer that exports spans over OTLP/HTTP
 * when an endpoint is set (or a no-op tracer, which costs next to nothing,
 * when none is). Only main.ts (and specs) construct it; the other layers get
 * the Meter/Tracer/instruments it exposes through @opentelemetry/api types.
 */
import { createNoopMeter, ProxyTracerProvider, type Meter, type Tracer } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, NodeTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { buildInfo } from './build-info.js';
import { createMetrics, registerBuildInfo, type Metrics } from './metrics.js';
import { serveMetrics, type MetricsEndpoint } from './metrics-endpoint.js';
import type { MetricsGate } from './metrics-gate.js';

/** Options of Telemetry.start. */
export interface TelemetryOptions {
  /** Where to serve /metrics; undefined disables metrics (a no-op meter is used). */
  readonly metrics?: { readonly host: string; readonly port: number; readonly gate?: MetricsGate };
  /** OTLP/HTTP base URL (spans go to `<endpoint>/v1/traces`); undefined = no OTLP export. */
  readonly otlpEndpoint?: string;
  /** An extra span exporter, flushed span by span (specs use an InMemorySpanExporter). */
  readonly spanExporter?: SpanExporter;
  /** Attributes of smarterbase_build_info besides version and node_version (e.g. storage). */
  readonly buildAttributes?: Readonly<Record<string, string>>;
  /**
   * Register the tracer provider, the AsyncLocalStorage context manager and
   * the W3C propagator as the process's globals when tracing is on (default
   * true; without a global context manager storage spans cannot find their
   * RPC parent).
   */
  readonly registerGlobals?: boolean;
}

/** The process's meter, tracer and metric catalogue. */
export class Telemetry {
  private constructor(
    /** Where instruments are created (no-op when metrics are off). */
    readonly meter: Meter,
    /** Where spans are made (no-op when tracing is off). */
    readonly tracer: Tracer,
    /** The catalogue's recording instruments on `meter`. */
    readonly metrics: Metrics,
    /** True when spans are recorded and exported somewhere. */
    readonly tracing: boolean,
    private readonly endpoint: MetricsEndpoint | undefined,
    /** Why the metrics port could not be bound (metrics stay off); undefined otherwise. */
    readonly metricsError: Error | undefined,
    private readonly meterProvider: MeterProvider | undefined,
    private readonly tracerProvider: NodeTracerProvider | undefined,
  ) {}

  /** The port /metrics is served on; undefined when metrics are off or the port could not be bound. */
  get metricsPort(): number | undefined {
    return this.endpoint?.port;
  }

  /**
   * Builds the providers and binds the metrics port. A port that cannot be
   * bound does not stop the server: metricsError says why and metrics are off.
   */
  static async start(opts: TelemetryOptions): Promise<Telemetry> {
    const info = buildInfo();
    const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'smarterbase', [ATTR_SERVICE_VERSION]: info.version });

    let meter: Meter = createNoopMeter();
    let meterProvider: MeterProvider | undefined;
    let endpoint: MetricsEndpoint | undefined;
    let metricsError: Error | undefined;
    if (opts.metrics !== undefined) {
      const exporter = new PrometheusExporter({ preventServerStart: true });
      try {
        endpoint = await serveMetrics(exporter, opts.metrics.host, opts.metrics.port, opts.metrics.gate);
        meterProvider = new MeterProvider({ resource, readers: [exporter] });
        meter = meterProvider.getMeter('smarterbase', info.version);
        registerBuildInfo(meter, { version: info.version, node_version: info.nodeVersion, ...opts.buildAttributes });
      } catch (err) {
        metricsError = err instanceof Error ? err : new Error(String(err));
      }
    }

    const processors = [];
    if (opts.otlpEndpoint !== undefined) {
      processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: `${opts.otlpEndpoint.replace(/\/+$/, '')}/v1/traces` })));
    }
    if (opts.spanExporter !== undefined) processors.push(new SimpleSpanProcessor(opts.spanExporter));
    let tracer: Tracer;
    let tracerProvider: NodeTracerProvider | undefined;
    if (processors.length > 0) {
      tracerProvider = new NodeTracerProvider({ resource, spanProcessors: processors });
      if (opts.registerGlobals ?? true) tracerProvider.register();
      tracer = tracerProvider.getTracer('smarterbase', info.version);
    } else {
      // No delegate: every span is a non-recording no-op.
      tracer = new ProxyTracerProvider().getTracer('smarterbase');
    }
    return new Telemetry(
      meter,
      tracer,
      createMetrics(meter),
      tracerProvider !== undefined,
      endpoint,
      metricsError,
      meterProvider,
      tracerProvider,
    );
  }

  /** Flushes pending spans, stops the metrics endpoint and the providers. */
  async shutdown(): Promise<void> {
    await Promise.allSettled([this.tracerProvider?.shutdown(), this.meterProvider?.shutdown(), this.endpoint?.close()]);
  }
}
