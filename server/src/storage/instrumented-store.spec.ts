import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { DbError } from '../errors/db-error.js';
import { InMemoryMetrics } from '../observability/in-memory-metrics.js';
import { createMetrics, METRIC_NAMES } from '../observability/metrics.js';
import { ConditionFailedError, type BlobStore } from './blob-store.js';
import { InstrumentedBlobStore, outcomeOf } from './instrumented-store.js';
import { MemoryBlobStore } from './memory/memory-store.js';

const spans = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
provider.register();
const tracer = provider.getTracer('spec');

describe('InstrumentedBlobStore', () => {
  let metrics: InMemoryMetrics;
  beforeEach(() => {
    metrics = new InMemoryMetrics();
    spans.reset();
  });
  afterEach(() => metrics.shutdown());

  const wrap = (inner: BlobStore, backend = 'memory'): InstrumentedBlobStore =>
    new InstrumentedBlobStore(inner, { backend, instruments: createMetrics(metrics.meter).storage, tracer });
  const count = (op: string, outcome: string, backend = 'memory'): Promise<number> =>
    metrics.value(METRIC_NAMES.storageOps, { op, outcome, backend });

  test('counts every op by outcome, including condition_failed, and times it', async () => {
    const store = wrap(new MemoryBlobStore());
    const a = await store.put('c/a', Buffer.from('1'), { ifNoneMatch: true });
    await expect(store.put('c/a', Buffer.from('2'), { ifNoneMatch: true })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(store.put('c/a', Buffer.from('3'), { ifMatch: `${a.etag}x` })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(store.delete('c/a', { ifMatch: `${a.etag}x` })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(Buffer.from((await store.get('c/a'))!.body).toString()).toBe('1');
    expect(await store.get('c/missing')).toBeUndefined();
    expect((await store.head('c/a'))?.etag).toBe(a.etag);
    expect((await store.list({ prefix: 'c/', limit: 10 })).keys).toEqual(['c/a']);
    expect(await store.delete('c/a')).toBe(true);

    expect(await count('put', 'ok')).toBe(1);
    expect(await count('put', 'condition_failed')).toBe(2);
    expect(await count('delete', 'condition_failed')).toBe(1);
    expect(await count('delete', 'ok')).toBe(1);
    expect(await count('get', 'ok')).toBe(2);
    expect(await count('head', 'ok')).toBe(1);
    expect(await count('list', 'ok')).toBe(1);
    expect(await count('put', 'error')).toBe(0);
    const hist = await metrics.point(METRIC_NAMES.storageDuration, { op: 'put', outcome: 'condition_failed', backend: 'memory' });
    expect(hist?.value).toMatchObject({ count: 2 });
  });

  test('calls are counted apart from requests; with requests: false only calls and spans are recorded', async () => {
    const calls = (op: string, outcome: string, backend: string): Promise<number> =>
      metrics.value(METRIC_NAMES.storageCalls, { op, outcome, backend });
    const own = wrap(new MemoryBlobStore());
    await own.put('k', Buffer.from('1'));
    expect(await calls('put', 'ok', 'memory')).toBe(1);
    expect(await count('put', 'ok')).toBe(1);
    const above = new InstrumentedBlobStore(new MemoryBlobStore(), {
      backend: 's3',
      instruments: createMetrics(metrics.meter).storage,
      requests: false,
    });
    await above.put('k', Buffer.from('1'));
    await expect(above.put('k', Buffer.from('2'), { ifNoneMatch: true })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await calls('put', 'ok', 's3')).toBe(1);
    expect(await calls('put', 'condition_failed', 's3')).toBe(1);
    expect(await count('put', 'ok', 's3')).toBe(0);
    expect(await metrics.point(METRIC_NAMES.storageDuration, { op: 'put', outcome: 'ok', backend: 's3' })).toBeUndefined();
  });

  test('other errors count as error, are rethrown unchanged, and mark the span failed', async () => {
    const boom = new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'down');
    const failing = { get: () => Promise.reject(boom) } as unknown as BlobStore;
    const store = wrap(failing, 's3');
    await expect(store.get('k')).rejects.toBe(boom);
    expect(await count('get', 'error', 's3')).toBe(1);
    expect(await count('get', 'ok', 's3')).toBe(0);
    const [span] = spans.getFinishedSpans();
    expect(span?.name).toBe('storage.get');
    expect(span?.status.code).toBe(2);
    expect(span?.attributes['smarterbase.storage.outcome']).toBe('error');
  });

  test('each op is a span, child of the span active when it was called', async () => {
    const store = wrap(new MemoryBlobStore());
    const parent = tracer.startSpan('rpc');
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await store.put('c/a', Buffer.from('1'));
      await store.get('c/a');
    });
    parent.end();
    const children = spans.getFinishedSpans().filter((s) => s.name.startsWith('storage.'));
    expect(children.map((s) => s.name)).toEqual(['storage.put', 'storage.get']);
    for (const s of children) {
      expect(s.spanContext().traceId).toBe(parent.spanContext().traceId);
      expect(s.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
      expect(s.attributes['smarterbase.storage.backend']).toBe('memory');
    }
  });

  test('outcomeOf tells condition failures from other errors', () => {
    expect(outcomeOf(new ConditionFailedError('k'))).toBe('condition_failed');
    expect(outcomeOf(new Error('x'))).toBe('error');
  });
});
