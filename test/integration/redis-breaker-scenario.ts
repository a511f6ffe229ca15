/**
 * Issue 10, "Circuit breaker and visibility", written once and run on a
 * single redis-server (redis-breaker.test.ts) and on a Redis Cluster
 * (test/cluster/cluster-breaker.test.ts): Redis stopped with SIGSTOP (it
 * accepts nothing, answers nothing) under a built server with
 * SB_REDIS_TIMEOUT_MS=5000 and a breaker that opens after 3 failed commands.
 *
 * - Before the breaker opens, calls wait for the command timeout and fail
 *   UNAVAILABLE. After it opened, calls answer UNAVAILABLE (BACKEND_UNAVAILABLE,
 *   RetryInfo) before the configured timeout could have passed.
 * - Meanwhile smarterbase.coordination is NOT_SERVING and /metrics shows the
 *   breaker state 2 and refused calls.
 * - SIGCONT: the breaker closes by itself (the health probe's PING is its
 *   half-open probe), health SERVING, the gauge 0, lock calls succeed.
 */
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { ErrorInfoSchema, RetryInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../server/src/gen/grpc/health/v1/health_pb.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { waitFor } from '../harness/redis-process.js';

/** The configured Redis command timeout: calls that reach a stopped Redis take this long. */
export const REDIS_TIMEOUT_MS = 5000;
const THRESHOLD = 3;
/** Long enough that the fast-fail checks below run inside one cool-down. */
const COOLDOWN_MS = 8000;

/** The breaker settings of the scenario's server (add the Redis ones). */
export const BREAKER_ENV = {
  SB_STORAGE: 'memory',
  SB_COORDINATION: 'redis',
  SB_REDIS_TIMEOUT_MS: String(REDIS_TIMEOUT_MS),
  SB_REDIS_BREAKER_FAILURES: String(THRESHOLD),
  SB_REDIS_BREAKER_COOLDOWN_MS: String(COOLDOWN_MS),
  SB_HEALTH_PROBE_INTERVAL_MS: '500',
};

/** A lock call (it goes to Redis and nowhere else); its error, or undefined, and how long it took. */
export async function lockCall(c: ServerClients, name: string): Promise<{ error: ConnectError | undefined; ms: number }> {
  const started = performance.now();
  const error = await c.locks.acquire({ name, ttl: { seconds: 5n, nanos: 0 }, holder: 'breaker-test' }, { timeoutMs: 60_000 }).then(
    () => undefined,
    (e: unknown) => ConnectError.from(e),
  );
  return { error, ms: performance.now() - started };
}

/** What a client sees of a failed call. */
export function summary(e: ConnectError | undefined): unknown {
  if (e === undefined) return 'ok';
  const retry = e.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return { code: Code[e.code], reason: e.findDetails(ErrorInfoSchema)[0]?.reason, retryInfo: retry !== undefined };
}

/** What a call refused for want of Redis looks like. */
export const UNAVAILABLE = { code: 'Unavailable', reason: 'BACKEND_UNAVAILABLE', retryInfo: true };

/** A server process with the breaker settings, and ways to look at it. */
export interface BreakerServer {
  readonly server: ServerProcess;
  readonly clients: ServerClients;
  /** The health status of `service`. */
  status(service: string): Promise<S>;
  /** The value of a `backend="redis"` metric (summed over its other labels), or undefined. */
  metric(name: string): Promise<number | undefined>;
}

/** Starts a server with BREAKER_ENV plus `env` (the Redis URL); stop it with server.stop(). */
export async function startBreakerServer(env: Record<string, string>): Promise<BreakerServer> {
  const server = await startServer({ ...BREAKER_ENV, ...env });
  const clients = serverClients(server.grpcUrl);
  const health: Client<typeof Health> = createClient(Health, createGrpcTransport({ baseUrl: server.grpcUrl }));
  return {
    server,
    clients,
    status: async (service) => (await health.check({ service }, { timeoutMs: 5000 })).status,
    metric: async (name) => {
      const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
      // Summed over the other labels: each Redis client (coordination, indexes, feed) counts its own refusals.
      const lines = text.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes('backend="redis"'));
      return lines.length === 0 ? undefined : lines.reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
    },
  };
}

/** How the scenario stops and continues every Redis process. */
export interface RedisFreeze {
  /** SIGSTOPs every Redis process. */
  stop(): void;
  /** SIGCONTs them. */
  cont(): void;
}

/**
 * Registers the scenario in the current describe block: `get` returns the
 * running breaker server and the way to freeze its Redis.
 */
export function redisBreakerScenario(get: () => { s: BreakerServer; redis: RedisFreeze }): void {
  it('opens after the threshold, fails fast while open, shows in health and /metrics; closes after SIGCONT', async () => {
    const { s, redis } = get();
    const { clients, status, metric } = s;
    expect(summary((await lockCall(clients, 'warm-up')).error)).toBe('ok');
    expect(await status('smarterbase.coordination')).toBe(S.SERVING);
    expect(await metric('smarterbase_redis_breaker_state')).toBe(0);

    redis.stop();
    try {
      // THRESHOLD calls that reach the stopped Redis: each ends at the command timeout, UNAVAILABLE.
      const first = await Promise.all(Array.from({ length: THRESHOLD }, (_, i) => lockCall(clients, `slow-${i}`)));
      for (const r of first) expect(summary(r.error)).toEqual(UNAVAILABLE);
      await waitFor('the breaker to open', async () => (await metric('smarterbase_redis_breaker_state')) === 2, 2 * REDIS_TIMEOUT_MS);

      // Open: every call answers UNAVAILABLE before the command timeout could have passed.
      const fast = [];
      for (let i = 0; i < 5; i++) fast.push(await lockCall(clients, `fast-${i}`));
      for (const r of fast) {
        expect(summary(r.error)).toEqual(UNAVAILABLE);
        expect(r.ms).toBeLessThan(REDIS_TIMEOUT_MS);
      }
      expect(await status('smarterbase.coordination')).toBe(S.NOT_SERVING);
      expect(await status('')).toBe(S.SERVING); // storage answers: coordination is not a readiness subsystem
      expect(await metric('smarterbase_redis_breaker_state')).toBe(2);
      expect(await metric('smarterbase_redis_breaker_rejected_total')).toBeGreaterThanOrEqual(fast.length);
    } finally {
      redis.cont();
    }

    await waitFor('the breaker to close', async () => (await metric('smarterbase_redis_breaker_state')) === 0, 60_000, 100);
    await waitFor('coordination SERVING again', async () => (await status('smarterbase.coordination')) === S.SERVING, 60_000, 100);
    await waitFor('a lock call to succeed', async () => (await lockCall(clients, 'after')).error === undefined, 30_000, 200);
    const log = s.server.output();
    expect(log).toMatch(/"state":"open".*"redis circuit breaker state changed"|"redis circuit breaker state changed".*"state":"open"/);
    expect(log).toMatch(/"state":"closed".*"redis circuit breaker state changed"|"redis circuit breaker state changed".*"state":"closed"/);
  });
}
