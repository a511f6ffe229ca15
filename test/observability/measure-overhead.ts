/**
 * Measures what observability costs per call, in process (no sockets):
 * the DocumentService handlers over a memory store, called N times
 * (Put then Get of one document) in four set-ups, interleaved over several
 * rounds, reporting the median µs per call of each:
 *   off      no telemetry at all;
 *   default  metrics (a real MeterProvider) + the no-op tracer: what the server runs without SB_OTLP_ENDPOINT;
 *   tracing  metrics + a recording tracer with the AsyncLocalStorage context manager, spans dropped;
 * then the same over loopback gRPC (RpcServer + connect-node gRPC client, sequential calls)
 * with telemetry off and default.
 * Run: npm run build && node dist/test/observability/measure-overhead.js [calls per round]
 */
import { createClient, createHandlerContext } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { RpcServer } from '../../server/src/rpc/server/rpc-server.js';
import { NodeTracerProvider, NoopSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ProxyTracerProvider } from '@opentelemetry/api';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { InMemoryMetrics } from '../../server/src/observability/in-memory-metrics.js';
import { createMetrics } from '../../server/src/observability/metrics.js';
import { createDocumentHandlers } from '../../server/src/rpc/services/documents/document-handlers.js';
import { observeCalls } from '../../server/src/rpc/decorators/observe-calls.js';
import { wrapErrors } from '../../server/src/rpc/decorators/wrap-errors.js';
import type { BlobStore } from '../../server/src/storage/blob-store.js';
import { InstrumentedBlobStore } from '../../server/src/storage/instrumented-store.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';

type Impl = Record<'put' | 'get', (input: unknown, ctx: unknown) => Promise<unknown>>;

const calls = Number(process.argv[2] ?? 20000);
const ctxFor = (name: 'put' | 'get') =>
  createHandlerContext({
    service: DocumentService,
    method: DocumentService.method[name],
    protocolName: 'grpc',
    requestMethod: 'POST',
    url: `/x/${name}`,
  });

function setup(kind: 'off' | 'default' | 'tracing'): Impl {
  let store: BlobStore = new MemoryBlobStore();
  let impl = wrapErrors(DocumentService, createDocumentHandlers(new DocumentEngine({ coordinator: new LocalCoordinator(), store })));
  if (kind === 'off') return impl as unknown as Impl;
  const metrics = createMetrics(new InMemoryMetrics().meter);
  let tracer = new ProxyTracerProvider().getTracer('noop');
  if (kind === 'tracing') {
    const provider = new NodeTracerProvider({ spanProcessors: [new NoopSpanProcessor()] });
    provider.register();
    tracer = provider.getTracer('bench');
  }
  store = new InstrumentedBlobStore(new MemoryBlobStore(), { backend: 'memory', instruments: metrics.storage, tracer });
  impl = observeCalls(
    DocumentService,
    wrapErrors(DocumentService, createDocumentHandlers(new DocumentEngine({ coordinator: new LocalCoordinator(), store }))),
    'grpc',
    { instruments: metrics.rpc, tracer },
  );
  return impl as unknown as Impl;
}

async function round(impl: Impl): Promise<number> {
  const put = ctxFor('put');
  const get = ctxFor('get');
  const start = performance.now();
  for (let i = 0; i < calls; i++) {
    await impl.put({ collection: 'c', id: `d${i % 100}`, data: { n: i } }, put);
    await impl.get({ collection: 'c', id: `d${i % 100}` }, get);
  }
  return ((performance.now() - start) * 1000) / (2 * calls);
}

/** A loopback gRPC server with or without telemetry, and a client of it. */
async function socketSetup(telemetry: boolean) {
  const metrics = createMetrics(new InMemoryMetrics().meter);
  const tracer = new ProxyTracerProvider().getTracer('noop');
  const inner = new MemoryBlobStore();
  const store = telemetry ? new InstrumentedBlobStore(inner, { backend: 'memory', instruments: metrics.storage, tracer }) : inner;
  const server = new RpcServer({
    api: new DocumentEngine({ coordinator: new LocalCoordinator(), store }),
    grpcPort: 0,
    httpPort: 0,
    telemetry: telemetry ? { instruments: metrics.rpc, tracer } : undefined,
  });
  const { grpcPort } = await server.start();
  return { server, client: createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${grpcPort}` })) };
}

/** µs per call of n sequential Put+Get pairs. */
async function socketRound(client: Awaited<ReturnType<typeof socketSetup>>['client'], n: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    await client.put({ collection: 'c', id: `d${i % 100}`, data: { n: i } });
    await client.get({ collection: 'c', id: `d${i % 100}` });
  }
  return ((performance.now() - start) * 1000) / (2 * n);
}

async function main(): Promise<void> {
  const n = Math.max(1, Math.floor(calls / 10));
  const sockets = { off: await socketSetup(false), default: await socketSetup(true) };
  const socketTimes: Record<string, number[]> = { off: [], default: [] };
  for (const k of ['off', 'default'] as const) await socketRound(sockets[k].client, n); // warm-up
  for (let r = 0; r < 7; r++) for (const k of ['off', 'default'] as const) socketTimes[k]!.push(await socketRound(sockets[k].client, n));
  for (const k of ['off', 'default'] as const) await sockets[k].server.shutdown(100);
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  console.log(
    `loopback gRPC: off ${med(socketTimes['off']!).toFixed(1)} µs/call, default ${med(socketTimes['default']!).toFixed(1)} µs/call`,
  );
  const kinds = ['off', 'default'] as const;
  const impls = Object.fromEntries(kinds.map((k) => [k, setup(k)])) as Record<string, Impl>;
  const results: Record<string, number[]> = { off: [], default: [], tracing: [] };
  for (const k of kinds) await round(impls[k]!); // warm-up
  for (let r = 0; r < 7; r++) for (const k of kinds) results[k]!.push(await round(impls[k]!));
  // Registering the context manager affects every later call in the process, so tracing runs last, alone.
  const tracing = setup('tracing');
  await round(tracing);
  for (let r = 0; r < 7; r++) results['tracing']!.push(await round(tracing));
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = median(results['off']!);
  for (const [k, xs] of Object.entries(results)) {
    const m = median(xs);
    console.log(`${k.padEnd(8)} ${m.toFixed(2)} µs/call  (+${(m - base).toFixed(2)} µs, ${(((m - base) / base) * 100).toFixed(1)}%)`);
  }
}

void main();
