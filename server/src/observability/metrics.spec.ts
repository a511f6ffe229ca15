import { InMemoryMetrics } from './in-memory-metrics.js';
import {
  countCoordinationLosses,
  createMetrics,
  METRIC_NAMES,
  registerBackendHealth,
  registerBreakerState,
  registerBuildInfo,
  registerConditionalWrites,
  registerIndexDrift,
  registerIndexesNotReady,
  RPC_DURATION_BUCKETS,
  STORAGE_DURATION_BUCKETS,
} from './metrics.js';

describe('metric catalogue', () => {
  let metrics: InMemoryMetrics;
  beforeEach(() => (metrics = new InMemoryMetrics()));
  afterEach(() => metrics.shutdown());

  test('histograms use the catalogue buckets', async () => {
    const m = createMetrics(metrics.meter);
    m.rpc.duration.record(0.003, { 'rpc.method': 'Get' });
    m.storage.duration.record(0.0002, { op: 'get' });
    const rpc = await metrics.point(METRIC_NAMES.rpcDuration, { 'rpc.method': 'Get' });
    const storage = await metrics.point(METRIC_NAMES.storageDuration, { op: 'get' });
    expect(rpc?.value).toMatchObject({ count: 1, buckets: { boundaries: RPC_DURATION_BUCKETS } });
    expect(storage?.value).toMatchObject({ count: 1, buckets: { boundaries: STORAGE_DURATION_BUCKETS } });
    expect([...RPC_DURATION_BUCKETS].sort((a, b) => a - b)).toEqual(RPC_DURATION_BUCKETS);
    expect([...STORAGE_DURATION_BUCKETS].sort((a, b) => a - b)).toEqual(STORAGE_DURATION_BUCKETS);
  });

  test('conditional writes: native gauge follows the mode in use, one gauge per probe check', async () => {
    registerConditionalWrites(metrics.meter, {
      mode: 'lock',
      source: 'probe',
      checks: { atomicIfMatch: true, deleteWrongEtagRefused: false },
    });
    expect(await metrics.value(METRIC_NAMES.conditionalNative, { mode: 'lock', source: 'probe' })).toBe(0);
    expect(await metrics.points(METRIC_NAMES.conditionalNative)).toHaveLength(1);
    expect(await metrics.value(METRIC_NAMES.conditionalCheck, { check: 'atomicIfMatch', mode: 'lock' })).toBe(1);
    expect(await metrics.point(METRIC_NAMES.conditionalCheck, { check: 'deleteWrongEtagRefused' })).toMatchObject({ value: 0 });
  });

  test('conditional writes configured native report 1 and no checks', async () => {
    registerConditionalWrites(metrics.meter, { mode: 'native', source: 'config', checks: {} });
    expect(await metrics.value(METRIC_NAMES.conditionalNative, { mode: 'native', source: 'config' })).toBe(1);
    expect(await metrics.points(METRIC_NAMES.conditionalCheck)).toHaveLength(0);
  });

  test('build info is 1 with the given attributes', async () => {
    registerBuildInfo(metrics.meter, { version: '1.2.3', storage: 'memory' });
    expect(await metrics.value(METRIC_NAMES.buildInfo, { version: '1.2.3', storage: 'memory' })).toBe(1);
  });

  test('backend up: one gauge per subsystem, 1 up and 0 down, read at collection time', async () => {
    const up = new Map([
      ['storage', true],
      ['coordination', true],
    ]);
    registerBackendHealth(metrics.meter, { subsystems: ['storage', 'coordination'], isUp: (s) => up.get(s) ?? false });
    expect(await metrics.value(METRIC_NAMES.backendUp, { subsystem: 'storage' })).toBe(1);
    up.set('storage', false);
    expect(await metrics.value(METRIC_NAMES.backendUp, { subsystem: 'storage' })).toBe(0);
    expect(await metrics.value(METRIC_NAMES.backendUp, { subsystem: 'coordination' })).toBe(1);
  });

  test('breaker state: 0 closed, 1 half-open, 2 open per backend, read at collection time', async () => {
    const breaker: { state: 'closed' | 'half-open' | 'open' } = { state: 'closed' };
    registerBreakerState(metrics.meter, { redis: breaker });
    expect(await metrics.value(METRIC_NAMES.redisBreakerState, { backend: 'redis' })).toBe(0);
    breaker.state = 'open';
    expect(await metrics.value(METRIC_NAMES.redisBreakerState, { backend: 'redis' })).toBe(2);
    breaker.state = 'half-open';
    expect(await metrics.value(METRIC_NAMES.redisBreakerState, { backend: 'redis' })).toBe(1);
  });

  test('redis commands and breaker rejections are counters by their attributes', async () => {
    const m = createMetrics(metrics.meter);
    m.redis.commands.cell('c/ping/failed', { client: 'coordination', op: 'ping', outcome: 'failed' }).add();
    m.redis.rejected.cell('c/redis', { client: 'coordination', backend: 'redis' }).add(3);
    expect(await metrics.value(METRIC_NAMES.redisCommands, { op: 'ping', outcome: 'failed' })).toBe(1);
    expect(await metrics.value(METRIC_NAMES.redisBreakerRejected, { client: 'coordination' })).toBe(3);
  });

  test('index, lock and coordination counters are exported under their catalogue names', async () => {
    const m = createMetrics(metrics.meter);
    m.index.applyFailures.cell('users', { collection: 'users' }).add(2);
    m.index.restores.cell('', {}).add();
    m.index.rebuildDocuments.cell('users/by_age', { collection: 'users', index: 'by_age' }).add(40);
    m.locks.grants.cell('', {}).add(3);
    m.locks.losses.cell('unreachable', { reason: 'unreachable' }).add();
    expect(await metrics.value(METRIC_NAMES.indexApplyFailures, { collection: 'users' })).toBe(2);
    expect(await metrics.value(METRIC_NAMES.indexRestores, {})).toBe(1);
    expect(await metrics.value(METRIC_NAMES.indexRebuildDocuments, { index: 'by_age' })).toBe(40);
    expect(await metrics.value(METRIC_NAMES.lockGrants, {})).toBe(3);
    expect(await metrics.value(METRIC_NAMES.lockLosses, { reason: 'unreachable' })).toBe(1);
  });

  test('coordination losses: one count per loss the source reports, none after unsubscribing', async () => {
    const listeners = new Set<() => void>();
    const source = {
      onLoss: (l: () => void) => {
        listeners.add(l);
        return () => listeners.delete(l);
      },
    };
    const stop = countCoordinationLosses(source, createMetrics(metrics.meter).coordination);
    for (const l of listeners) l();
    for (const l of listeners) l();
    expect(await metrics.value(METRIC_NAMES.coordinationLosses, {})).toBe(2);
    stop();
    expect(listeners.size).toBe(0);
  });

  test('indexes not ready: one gauge per collection, read at collection time', async () => {
    const counts = new Map([['users', 2]]);
    registerIndexesNotReady(metrics.meter, { notReadyIndexes: () => counts });
    expect(await metrics.value(METRIC_NAMES.indexesNotReady, { collection: 'users' })).toBe(2);
    counts.set('users', 0).set('orders', 1);
    expect(await metrics.point(METRIC_NAMES.indexesNotReady, { collection: 'users' })).toMatchObject({ value: 0 });
    expect(await metrics.value(METRIC_NAMES.indexesNotReady, { collection: 'orders' })).toBe(1);
  });

  test('index drift: the last sample per collection, by kind', async () => {
    const last = new Map([['users', { missing: 2, stale: 1 }]]);
    registerIndexDrift(metrics.meter, { lastDrift: () => last });
    expect(await metrics.value(METRIC_NAMES.indexDrift, { collection: 'users', kind: 'missing' })).toBe(2);
    expect(await metrics.value(METRIC_NAMES.indexDrift, { collection: 'users', kind: 'stale' })).toBe(1);
    last.set('users', { missing: 0, stale: 0 });
    expect(await metrics.point(METRIC_NAMES.indexDrift, { collection: 'users', kind: 'missing' })).toMatchObject({ value: 0 });
  });
});
