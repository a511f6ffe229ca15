/**
 * The Prometheus scrape endpoint: an HTTP server answering `GET /metrics`
 * from a PrometheusExporter (which is told not to start its own server, so
 * that port 0 works and the bound port is known). Any other path is 404.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

/** A listening metrics endpoint. */
export interface MetricsEndpoint {
  /** The port bound. */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Serves `exporter` on host:port (0 = a free port). Rejects when the port cannot be bound. */
export function serveMetrics(exporter: PrometheusExporter, host: string, port: number): Promise<MetricsEndpoint> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path === METRICS_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      exporter.getMetricsRequestHandler(req, res);
      return;
    }
    res.statusCode = 404;
    res.end('not found: metrics are at /metrics\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
