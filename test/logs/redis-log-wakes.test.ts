/**
 * RedisLogWakes against a real redis-server: a publish reaches every
 * subscriber (the publishing server's own too), a burst of publishes of one
 * log sends one message plus one owed after it, and after Redis restarts on
 * the same port the subscribers hear publishes again (ioredis resubscribes).
 */
import { openRedis, type RedisClient } from '../../server/src/coordination/redis/redis-connection.js';
import { RedisLogWakes } from '../../server/src/logs/redis-log-wakes.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';

jest.setTimeout(60_000);

/** Resolves once `heard` holds `n` entries of `log` (a hang guard, not a timing claim). */
async function until(heard: string[], log: string, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (heard.filter((l) => l === log).length < n) {
    if (Date.now() > deadline) throw new Error(`heard ${JSON.stringify(heard)}, wanted ${n} × ${log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('RedisLogWakes (real Redis)', () => {
  let redis: RedisTestServer;
  const open: RedisLogWakes[] = [];
  const connections: RedisClient[] = [];
  const server = async (heard: string[]): Promise<RedisLogWakes> => {
    const publisher = await openRedis({ url: redis.url });
    connections.push(publisher);
    const wakes = await RedisLogWakes.open(publisher, await openRedis({ url: redis.url }), (log) => heard.push(log));
    open.push(wakes);
    return wakes;
  };
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    for (const w of open) await w.close();
    for (const c of connections) c.disconnect();
    await redis.stop();
  });

  test('a publish wakes every server; a burst of one log sends two messages, not one per publish', async () => {
    const heardA: string[] = [];
    const heardB: string[] = [];
    const a = await server(heardA);
    await server(heardB);
    a.publish('orders');
    await until(heardB, 'orders', 1);
    await until(heardA, 'orders', 1);
    heardA.length = 0;
    heardB.length = 0;
    for (let i = 0; i < 100; i++) a.publish('burst');
    a.publish('other');
    await until(heardB, 'burst', 2);
    await until(heardB, 'other', 1);
    // A later publish is the marker that everything of the burst has arrived (one connection keeps order).
    await new Promise((r) => setTimeout(r, 200));
    a.publish('marker');
    await until(heardB, 'marker', 1);
    expect(heardB.filter((l) => l === 'burst')).toHaveLength(2);
  });

  test('after Redis restarts empty on its port, subscribers hear publishes again', async () => {
    const heard: string[] = [];
    const a = await server(heard);
    const port = redis.port;
    await redis.stop();
    a.publish('while-down'); // dropped: no error escapes
    redis = await startRedis(port);
    const deadline = Date.now() + 20_000;
    // Publish until one arrives: the subscriber reconnects and resubscribes on its own schedule.
    while (!heard.includes('back')) {
      if (Date.now() > deadline) throw new Error('no publish heard after the restart');
      a.publish('back');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(heard).toContain('back');
  });
});
