/**
 * The Prometheus scrape endpoint: an HTTP server answering `GET /metrics`
 * from a PrometheusExporter (which is told not to start its own server, so
 * that port 0 works and the bound port is known). Any other path is 404.
 * With a gate (metrics-gate.ts), a scrape must pass it first: 401 without
 * valid credentials, 503 until the gate's check is set.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import type { MetricsGate } from './metrics-gate.js';

/** The path Prometheus scrapes. */
export const METRICS_PATH = '/metrics';

/** A listening metrics endpoint. */
export interface MetricsEndpoint {
  /** The port bound. */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/** Serves `exporter` on host:port (0 = a free port), behind `gate` when given. Rejects when the port cannot be bound. */
export function serveMetrics(exporter: PrometheusExporter, host: string, port: number, gate?: MetricsGate): Promise<MetricsEndpoint> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '').split('?', 1)[0];
    if (path === METRICS_PATH && (req.method === 'GET' || req.method === 'HEAD')) {
      if (gate === undefined) {
        exporter.getMetricsRequestHandler(req, res);
        return;
      }
      void gate.statusOf(req.headers.authorization).then((status) => {
        if (status === 200) return exporter.getMetricsRequestHandler(req, res);
        res.statusCode = status;
        if (status === 401) res.setHeader('www-authenticate', 'Bearer');
        res.end(status === 401 ? 'unauthenticated: send authorization: Bearer <API key>\n' : 'metrics are not available yet\n');
      });
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
