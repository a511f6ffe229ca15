import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { ManualClock } from '../../common/manual-clock.js';
import { isDbError } from '../../errors/db-error.js';
import { InMemoryMetrics } from '../../observability/in-memory-metrics.js';
import { createMetrics, METRIC_NAMES } from '../../observability/metrics.js';
import { classifyRedisError, isReplyError, RedisGuard, redisBreaker } from './redis-guard.js';

/** An error shaped like ioredis's ReplyError (a Lua error reply). */
function replyError(message: string): Error {
  const e = new Error(message);
  e.name = 'ReplyError';
  return e;
}

describe('RedisGuard', () => {
  let metrics: InMemoryMetrics;
  beforeEach(() => (metrics = new InMemoryMetrics()));
  afterEach(() => metrics.shutdown());

  test('error replies are answers, timeouts and lost connections are failures', () => {
    expect(isReplyError(replyError('ERR user_script:1: refused'))).toBe(true);
    expect(classifyRedisError(replyError('NOSCRIPT No matching script'))).toBe('answer');
    expect(classifyRedisError(new Error('Command timed out'))).toBe('failure');
    expect(classifyRedisError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe('failure');
  });

  test('opens after the threshold, then refuses without sending: BACKEND_UNAVAILABLE with the cool-down as RetryInfo, counted', async () => {
    const clock = new ManualClock({ startMs: 0 });
    const m = createMetrics(metrics.meter);
    const guard = new RedisGuard({ breaker: redisBreaker({ failureThreshold: 2, coolDownMs: 3000, clock }), instruments: m.redis });
    const indexes = guard.forClient('indexes');
    let sent = 0;
    const timeout = () => {
      sent++;
      return Promise.reject(new Error('Command timed out'));
    };
    await expect(guard.call('ping', timeout)).rejects.toThrow('Command timed out');
    await expect(indexes.call('index.apply', timeout)).rejects.toThrow('Command timed out');
    expect(guard.breaker.state).toBe('open');
    expect(indexes.breaker).toBe(guard.breaker); // one breaker per Redis
    clock.advance(1000);
    const refused = await indexes.call('index.apply', timeout).catch((e: unknown) => e);
    expect(isDbError(refused, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect(refused).toMatchObject({ kind: 'unavailable', message: 'coordination unavailable', retryDelayMs: 2000 });
    expect(sent).toBe(2);
    expect(await metrics.value(METRIC_NAMES.redisBreakerRejected, { client: 'indexes', backend: 'redis' })).toBe(1);
    expect(await metrics.value(METRIC_NAMES.redisCommands, { client: 'coordination', op: 'ping', outcome: 'failed' })).toBe(1);
    clock.advance(2000);
    await expect(guard.call('ping', async () => 'PONG')).resolves.toBe('PONG');
    expect(guard.breaker.state).toBe('closed');
    expect(await metrics.value(METRIC_NAMES.redisCommands, { client: 'coordination', op: 'ping', outcome: 'ok' })).toBe(1);
  });

  test('a Lua error reply passes through unchanged and never opens the breaker', async () => {
    const m = createMetrics(metrics.meter);
    const guard = new RedisGuard({ breaker: redisBreaker({ failureThreshold: 1, clock: new ManualClock() }), instruments: m.redis });
    for (let i = 0; i < 3; i++) {
      await expect(guard.call('lease.acquire', () => Promise.reject(replyError('ERR refused')))).rejects.toMatchObject({
        name: 'ReplyError',
      });
    }
    expect(guard.breaker.state).toBe('closed');
    expect(await metrics.value(METRIC_NAMES.redisCommands, { op: 'lease.acquire', outcome: 'reply_error' })).toBe(3);
  });

  test('one client span per command, an error status on failure and on refusal', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const guard = new RedisGuard({
      breaker: redisBreaker({ failureThreshold: 1, clock: new ManualClock() }),
      tracer: provider.getTracer('t'),
    });
    await guard.call('ping', async () => 'PONG');
    await expect(guard.call('ping', () => Promise.reject(new Error('Command timed out')))).rejects.toThrow();
    await expect(guard.call('ping', async () => 'PONG')).rejects.toMatchObject({ reason: 'BACKEND_UNAVAILABLE' });
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => [s.name, s.attributes['db.system'], s.attributes['smarterbase.redis.outcome'] ?? 'ok', s.status.code])).toEqual(
      [
        ['redis.ping', 'redis', 'ok', 0],
        ['redis.ping', 'redis', 'failed', 2],
        ['redis.ping', 'redis', 'rejected', 2],
      ],
    );
    await provider.shutdown();
  });
});
