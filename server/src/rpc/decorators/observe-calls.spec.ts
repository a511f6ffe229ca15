import { Code, ConnectError, createClient, createHandlerContext } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { DocumentEngine } from '../../engine/document-engine.js';
import { Health, HealthCheckResponse_ServingStatus as S, type HealthCheckResponse } from '../../gen/grpc/health/v1/health_pb.js';
import { DocumentService } from '../../gen/smarterbase/v1/document_service_pb.js';
import { InMemoryMetrics } from '../../observability/in-memory-metrics.js';
import { createMetrics, METRIC_NAMES } from '../../observability/metrics.js';
import { InstrumentedBlobStore } from '../../storage/instrumented-store.js';
import { MemoryBlobStore } from '../../storage/memory/memory-store.js';
import { observeCalls, statusCodeOf } from './observe-calls.js';
import { RpcServer } from '../server/rpc-server.js';
import { LocalCoordinator } from '../../coordination/local/local-coordinator.js';

const spans = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
provider.register(); // AsyncLocalStorage context manager + W3C propagator, as main.ts does with tracing on
const tracer = provider.getTracer('spec');

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';

describe('observeCalls through RpcServer', () => {
  let metrics: InMemoryMetrics;
  let server: RpcServer;
  let ports: { grpcPort: number; httpPort: number };
  beforeAll(async () => {
    metrics = new InMemoryMetrics();
    const instruments = createMetrics(metrics.meter);
    const store = new InstrumentedBlobStore(new MemoryBlobStore(), { backend: 'memory', instruments: instruments.storage, tracer });
    server = new RpcServer({
      api: new DocumentEngine({ coordinator: new LocalCoordinator(), store }),
      grpcPort: 0,
      httpPort: 0,
      telemetry: { instruments: instruments.rpc, tracer },
    });
    ports = await server.start();
  });
  afterAll(async () => {
    await server.shutdown(100);
    await metrics.shutdown();
  });
  beforeEach(() => spans.reset());

  const calls = (method: string, transport: string, code: number): Promise<number> =>
    metrics.value(METRIC_NAMES.rpcCalls, {
      'rpc.service': 'smarterbase.v1.DocumentService',
      'rpc.method': method,
      transport,
      'rpc.grpc.status_code': code,
    });

  test('counts and times calls by method, status code and transport', async () => {
    const grpc = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${ports.grpcPort}` }));
    const connect = createClient(
      DocumentService,
      createConnectTransport({ baseUrl: `http://127.0.0.1:${ports.httpPort}`, httpVersion: '1.1' }),
    );
    await grpc.put({ collection: 'users', id: 'a', data: { name: 'Ada' } });
    await grpc.put({ collection: 'users', id: 'b', data: { name: 'Bob' } });
    await expect(connect.get({ collection: 'users', id: 'missing' })).rejects.toMatchObject({ code: Code.NotFound });
    await expect(grpc.get({ collection: 'users', id: 'missing' })).rejects.toMatchObject({ code: Code.NotFound });
    await connect.get({ collection: 'users', id: 'a' });

    expect(await calls('Put', 'grpc', 0)).toBe(2);
    expect(await calls('Put', 'connect', 0)).toBe(0);
    expect(await calls('Get', 'connect', Code.NotFound)).toBe(1);
    expect(await calls('Get', 'grpc', Code.NotFound)).toBe(1);
    expect(await calls('Get', 'connect', 0)).toBe(1);
    const hist = await metrics.point(METRIC_NAMES.rpcDuration, { 'rpc.method': 'Put', transport: 'grpc', 'rpc.grpc.status_code': 0 });
    expect(hist?.value).toMatchObject({ count: 2 });
    expect(hist?.attributes['rpc.system']).toBe('grpc');
    const active = await metrics.points(METRIC_NAMES.rpcActive);
    expect(active.length).toBeGreaterThan(0);
    expect(active.every((p) => p.value === 0)).toBe(true);
  });

  test.each([
    ['grpc', () => ports.grpcPort, (baseUrl: string) => createGrpcTransport({ baseUrl })],
    ['connect', () => ports.httpPort, (baseUrl: string) => createConnectTransport({ baseUrl, httpVersion: '1.1' })],
  ])("a traceparent sent over %s makes the server span its child, and storage spans the server span's", async (transport, port, make) => {
    const client = createClient(DocumentService, make(`http://127.0.0.1:${port()}`));
    await client.put(
      { collection: 'users', id: `t-${transport}`, data: {} },
      { headers: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` } },
    );
    const finished = spans.getFinishedSpans();
    const rpc = finished.find((s) => s.name === 'smarterbase.v1.DocumentService/Put');
    expect(rpc).toBeDefined();
    expect(rpc!.spanContext().traceId).toBe(TRACE_ID);
    expect(rpc!.parentSpanContext?.spanId).toBe(PARENT_SPAN_ID);
    expect(rpc!.kind).toBe(1); // SERVER
    expect(rpc!.attributes).toMatchObject({ 'rpc.method': 'Put', transport, 'rpc.grpc.status_code': 0 });
    const storage = finished.filter((s) => s.name.startsWith('storage.'));
    expect(storage.length).toBeGreaterThan(0);
    for (const s of storage) {
      expect(s.spanContext().traceId).toBe(TRACE_ID);
      expect(s.parentSpanContext?.spanId).toBe(rpc!.spanContext().spanId);
    }
  });

  test('without a traceparent each call starts its own trace', async () => {
    const client = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${ports.grpcPort}` }));
    await client.get({ collection: 'users', id: 'a' });
    await client.get({ collection: 'users', id: 'a' });
    const rpcs = spans.getFinishedSpans().filter((s) => s.name.endsWith('/Get'));
    expect(rpcs).toHaveLength(2);
    expect(rpcs[0]!.parentSpanContext).toBeUndefined();
    expect(rpcs[0]!.spanContext().traceId).not.toBe(rpcs[1]!.spanContext().traceId);
  });
});

describe('observeCalls on streams', () => {
  const ctx = (signal?: AbortSignal) =>
    createHandlerContext({
      service: Health,
      method: Health.method.watch,
      protocolName: 'grpc',
      requestMethod: 'POST',
      url: '/grpc.health.v1.Health/Watch',
      requestSignal: signal,
    });

  test('a stream that fails is recorded with its error code once it ends; one that is cut short by an abort as CANCELLED', async () => {
    const metrics = new InMemoryMetrics();
    const impl = {
      check: () => ({ status: S.SERVING }),
      async *watch(): AsyncGenerator<Partial<HealthCheckResponse>> {
        yield { status: S.SERVING };
        yield { status: S.SERVING };
        throw new ConnectError('gone', Code.NotFound);
      },
    };
    const observed = observeCalls(Health, impl as never, 'grpc', { instruments: createMetrics(metrics.meter).rpc, tracer });
    const watch = (observed as unknown as { watch: (i: unknown, c: unknown) => AsyncIterable<unknown> }).watch;
    const got: unknown[] = [];
    await expect(
      (async () => {
        for await (const m of watch({}, ctx())) got.push(m);
      })(),
    ).rejects.toMatchObject({ code: Code.NotFound });
    expect(got).toHaveLength(2);
    const code = (c: number) => metrics.value(METRIC_NAMES.rpcCalls, { 'rpc.method': 'Watch', 'rpc.grpc.status_code': c });
    expect(await code(Code.NotFound)).toBe(1);

    const abort = new AbortController();
    for await (const _ of watch({}, ctx(abort.signal))) {
      abort.abort();
      break;
    }
    expect(await code(Code.Canceled)).toBe(1);
    expect(await code(0)).toBe(0);
    await metrics.shutdown();
  });

  test('statusCodeOf reads ConnectError codes; anything else is UNKNOWN', () => {
    expect(statusCodeOf(new ConnectError('x', Code.Aborted))).toBe(Code.Aborted);
    expect(statusCodeOf(new Error('x'))).toBe(Code.Unknown);
  });
});
