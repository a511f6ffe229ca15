import * as net from 'node:net';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { METRICS_PATH, serveMetrics } from './metrics-endpoint.js';
import { MetricsGate } from './metrics-gate.js';

describe('serveMetrics', () => {
  test('GET and HEAD /metrics (with a query string) answer in the Prometheus text format; other paths and methods are 404', async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    provider.getMeter('t').createCounter('spec.things').add(3, { kind: 'a' });
    const endpoint = await serveMetrics(exporter, '127.0.0.1', 0);
    const base = `http://127.0.0.1:${endpoint.port}`;
    const res = await fetch(`${base}${METRICS_PATH}?x=1`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toMatch(/^spec_things_total\{kind="a"[^}]*\} 3$/m);
    expect((await fetch(`${base}${METRICS_PATH}`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${base}${METRICS_PATH}`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${base}/`)).status).toBe(404);
    await endpoint.close();
    await provider.shutdown();
  });

  test('behind a gate: 503 before its check is set, 401 without valid credentials, the metrics with them', async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    provider.getMeter('t').createCounter('spec.gated').add(1);
    const gate = new MetricsGate(true);
    const endpoint = await serveMetrics(exporter, '127.0.0.1', 0, gate);
    const url = `http://127.0.0.1:${endpoint.port}${METRICS_PATH}`;
    expect((await fetch(url)).status).toBe(503);
    gate.set((a) => Promise.resolve(a === 'Bearer good'));
    const refused = await fetch(url, { headers: { authorization: 'Bearer bad' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect(await refused.text()).not.toMatch(/spec_gated/);
    const served = await fetch(url, { headers: { authorization: 'Bearer good' } });
    expect(served.status).toBe(200);
    expect(await served.text()).toMatch(/^spec_gated_total/m);
    await endpoint.close();
    await provider.shutdown();
  });

  test('a port in use rejects with EADDRINUSE', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    await expect(serveMetrics(new PrometheusExporter({ preventServerStart: true }), '127.0.0.1', port)).rejects.toThrow(/EADDRINUSE/);
    await new Promise((r) => blocker.close(r));
  });
});
