import * as net from 'node:net';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-node';
import { METRICS_PATH } from './metrics-endpoint.js';
import { Telemetry } from './telemetry.js';

describe('Telemetry', () => {
  test('serves the catalogue on /metrics at a free port; other paths are 404; shutdown frees the port', async () => {
    const t = await Telemetry.start({
      metrics: { host: '127.0.0.1', port: 0 },
      buildAttributes: { storage: 'memory' },
      registerGlobals: false,
    });
    expect(t.metricsPort).toBeGreaterThan(0);
    t.metrics.rpc.calls.cell('get/5', { 'rpc.method': 'Get', 'rpc.grpc.status_code': 5 }).add();
    t.metrics.storage.operations.cell('put/cf', { op: 'put', outcome: 'condition_failed', backend: 'memory' }).add(2);
    t.metrics.rpc.duration.record(0.003, { 'rpc.method': 'Get' });
    const res = await fetch(`http://127.0.0.1:${t.metricsPort}${METRICS_PATH}`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^smarterbase_rpc_server_calls_total\{rpc_method="Get",rpc_grpc_status_code="5"[^}]*\} 1$/m);
    expect(text).toMatch(/^smarterbase_storage_operations_total\{op="put",outcome="condition_failed",backend="memory"[^}]*\} 2$/m);
    expect(text).toMatch(/^smarterbase_rpc_server_duration_seconds_bucket\{rpc_method="Get",[^}]*le="0.0025"\} 0$/m);
    expect(text).toMatch(/^smarterbase_rpc_server_duration_seconds_bucket\{rpc_method="Get",[^}]*le="0.005"\} 1$/m);
    expect(text).toMatch(/^smarterbase_build_info\{version="[^"]+",node_version="v[^"]+",storage="memory"[^}]*\} 1$/m);
    expect((await fetch(`http://127.0.0.1:${t.metricsPort}/other`)).status).toBe(404);
    const port = t.metricsPort!;
    await t.shutdown();
    await expect(fetch(`http://127.0.0.1:${port}${METRICS_PATH}`)).rejects.toThrow();
  });

  test('metrics off: no port, instruments are no-ops', async () => {
    const t = await Telemetry.start({ registerGlobals: false });
    expect(t.metricsPort).toBeUndefined();
    expect(t.tracing).toBe(false);
    t.metrics.rpc.calls.cell('x', {}).add();
    expect(t.tracer.startSpan('x').isRecording()).toBe(false);
    await t.shutdown();
  });

  test('a taken metrics port leaves metrics off with the reason, instead of failing', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    const t = await Telemetry.start({ metrics: { host: '127.0.0.1', port }, registerGlobals: false });
    expect(t.metricsPort).toBeUndefined();
    expect(t.metricsError?.message).toMatch(/EADDRINUSE/);
    await t.shutdown();
    await new Promise((r) => blocker.close(r));
  });

  test('with a span exporter, spans are recorded and exported', async () => {
    const exporter = new InMemorySpanExporter();
    const t = await Telemetry.start({ spanExporter: exporter, registerGlobals: false });
    expect(t.tracing).toBe(true);
    t.tracer.startSpan('work').end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['work']);
    expect(exporter.getFinishedSpans()[0]!.resource.attributes['service.name']).toBe('smarterbase');
    await t.shutdown();
  });
});
