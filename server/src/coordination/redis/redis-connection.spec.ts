import { createServer, type Server } from 'node:net';
import { isDbError } from '../../errors/db-error.js';
import { COORDINATION_UNAVAILABLE, clusterSeeds, describeError, openRedis, redisUnavailable, withTimeout } from './redis-connection.js';

describe('openRedis', () => {
  it('fails with unavailable / BACKEND_UNAVAILABLE (not a hang: the test timeout bounds it) when nothing answers like Redis', async () => {
    // A TCP server that accepts and never answers: connect succeeds, PING must time out.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const err = await openRedis({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300, commandTimeoutMs: 300 }).catch((e) => e);
    silent.close();
    expect(isDbError(err, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect((err as Error).message).toBe(COORDINATION_UNAVAILABLE);
  }, 10_000);
});

describe('redisUnavailable', () => {
  it('sends a generic message with RetryInfo; ioredis text is only in the cause chain', () => {
    const raw = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    const err = redisUnavailable(`Redis command failed: ${raw.message}`, raw);
    expect(err).toMatchObject({
      kind: 'unavailable',
      reason: 'BACKEND_UNAVAILABLE',
      message: 'coordination unavailable',
      retryDelayMs: 200,
    });
    expect(err.message).not.toMatch(/writeable|Redis/);
    const cause = err.cause as Error;
    expect(cause.message).toContain('enableOfflineQueue');
    expect(cause.cause).toBe(raw);
    expect((redisUnavailable('coordinator is closed').cause as Error).message).toBe('coordinator is closed');
  });
});

describe('withTimeout and describeError', () => {
  it('passes a value through and rejects a promise that takes too long', async () => {
    await expect(withTimeout(Promise.resolve(7), 50)).resolves.toBe(7);
    await expect(withTimeout(new Promise(() => undefined), 20)).rejects.toThrow('timed out after 20 ms');
    expect(describeError(new Error('boom'))).toBe('boom');
    expect(describeError('plain')).toBe('plain');
  });
});

describe('clusterSeeds', () => {
  it('reads every seed of a comma-separated list, port 6379 by default', () => {
    expect(clusterSeeds('redis://10.0.0.1:7000, redis://u:p@10.0.0.2,')).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: '10.0.0.2', port: 6379 },
    ]);
  });
});
