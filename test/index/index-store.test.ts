import Redis from 'ioredis';
import { DbError } from '../../server/src/errors/db-error.js';
import { refusedPort } from '../harness/free-port.js';
import { LocalIndexStore } from '../../server/src/index/local/local-index-store.js';
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import { indexValues } from '../../server/src/index/extract-values.js';
import type { IndexStore } from '../../server/src/index/index-store.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { indexStoreScenarios } from './index-store-scenarios.js';
import { indexStoreSwapScenarios } from './index-store-swap-scenarios.js';

describe('LocalIndexStore', () => {
  indexStoreScenarios(async () => new LocalIndexStore());
  indexStoreSwapScenarios(async () => new LocalIndexStore());
});

describe('RedisIndexStore (one real redis-server)', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('fails fast with unavailable when Redis is unreachable', async () => {
    const port = await refusedPort();
    const started = Date.now();
    const e = await RedisIndexStore.connect({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(DbError);
    expect((e as DbError).reason).toBe('BACKEND_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  describe('scenarios', () => {
    indexStoreScenarios(async () => RedisIndexStore.connect({ url: redis.url }));
    indexStoreSwapScenarios(async () => RedisIndexStore.connect({ url: redis.url }));
  });

  describe('across connections and key layout', () => {
    let a: RedisIndexStore;
    let b: RedisIndexStore;
    let raw: Redis;
    beforeEach(async () => {
      // The sparse-walk case runs scripts over 45,000 entries: on a loaded 2-core machine one call
      // can pass the default 2 s command timeout, which this suite does not test.
      a = await RedisIndexStore.connect({ url: redis.url, keyPrefix: 'lay:', commandTimeoutMs: 20_000 });
      b = await RedisIndexStore.connect({ url: redis.url, keyPrefix: 'lay:', commandTimeoutMs: 20_000 });
      raw = new Redis(redis.url);
      await raw.flushall();
    });
    afterEach(async () => {
      raw.disconnect();
      await a.close();
      await b.close();
    });

    async function put(store: IndexStore, collection: string, id: string, data: Record<string, string | number>): Promise<string> {
      const catalog = await store.catalog(collection);
      const seq = await store.nextSeq(collection);
      return store.apply(collection, id, seq, indexValues(catalog, data), catalog.version);
    }

    it('sees catalog changes made through another connection (cache revalidation)', async () => {
      expect((await b.catalog('users')).indexes).toEqual([]);
      await a.createIndex({ collection: 'users', name: 'email', kind: 'unique', fields: ['email'] }, new Date());
      expect((await b.catalog('users')).indexes.map((i) => i.name)).toEqual(['email']);
      await a.setIndexState('users', 'email', { state: 'ready', documentsScanned: 3 });
      expect((await b.catalog('users')).indexes[0]).toMatchObject({ state: 'ready', documentsScanned: 3 });
      await a.dropIndex('users', 'email');
      expect((await b.catalog('users')).indexes).toEqual([]);
    });

    it('swapShadow leaves no key of the old token, and the other connection sees the swapped catalog', async () => {
      for (const name of ['by_s', 'by_s~shadow']) {
        await a.createIndex({ collection: 'users', name, kind: 'equality', fields: ['s'] }, new Date());
        await a.setIndexState('users', name, { state: 'ready' });
      }
      for (let i = 0; i < 5; i++) expect(await put(a, 'users', `u${i}`, { s: `v${i}` })).toBe('applied');
      const tok = async (name: string): Promise<string> =>
        (JSON.parse((await raw.hget('lay:{ix:users}:cat', `d:${name}`)) as string) as { tok: string }).tok;
      const [oldTok, newTok] = [await tok('by_s'), await tok('by_s~shadow')];
      expect(await b.swapShadow('users', 'by_s', 'by_s~shadow')).toBe(true);
      expect(await tok('by_s')).toBe(newTok);
      expect(await raw.keys(`lay:{ix:users}:e:${oldTok}:*`)).toEqual([]);
      expect(await raw.keys(`lay:{ix:users}:e:${newTok}:*`)).toHaveLength(5);
      expect((await a.catalog('users')).indexes.map((i) => i.name)).toEqual(['by_s']);
      expect(await a.ids('users', { op: 'eq', index: 'by_s', values: ['v3'] })).toEqual(['u3']);
    });

    it('lets one of 20 reservations spread over two connections win', async () => {
      await a.createIndex({ collection: 'users', name: 'email', kind: 'unique', fields: ['email'] }, new Date());
      const catalog = await a.catalog('users');
      const values = indexValues(catalog, { email: 'hot@x' });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).reserveUnique('users', `u${i}`, values, 10_000)),
      );
      expect(results.filter((r) => r === undefined)).toHaveLength(1);
    });

    it('keeps every key of a collection under its hash tag and prefix, and leaves no temporaries', async () => {
      for (const [name, kind] of [
        ['status', 'equality'],
        ['n', 'ordered'],
        ['email', 'unique'],
      ] as const) {
        await a.createIndex({ collection: 'users', name, kind, fields: [name] }, new Date());
      }
      await a.createIndex({ collection: 'orders', name: 'status', kind: 'equality', fields: ['status'] }, new Date());
      await put(a, 'users', 'x:{y}*', { status: 'a b:*', n: 1, email: 'e' });
      await put(a, 'users', 'w', { n: 'str' });
      await put(a, 'orders', 'o', { status: 'a b:*' });
      expect(await a.ids('users', { op: 'and', args: [{ op: 'all' }, { op: 'eq', index: 'status', values: ['a b:*'] }] })).toEqual([
        'x:{y}*',
      ]);
      expect(await a.walk('users', { index: 'n', direction: 'desc', offset: 0, limit: 10, within: { op: 'all' } })).toEqual([
        'w',
        'x:{y}*',
      ]);
      const keys = await raw.keys('*');
      for (const k of keys) expect(k).toMatch(/^lay:\{ix:(users|orders)\}:/);
      expect(keys.filter((k) => k.includes('}:t:'))).toEqual([]);
      const slots = new Set(keys.filter((k) => k.startsWith('lay:{ix:users}')).map((k) => k.slice(0, k.indexOf('}') + 1)));
      expect(slots).toEqual(new Set(['lay:{ix:users}']));
      await a.dropIndex('users', 'status');
      expect(await raw.keys('lay:{ix:users}:e:*')).toEqual([]);
      expect(await raw.keys('lay:{ix:orders}:e:*')).toHaveLength(1);
    });

    it('pages a sparse within-walk over more entries than one script call scans', async () => {
      await a.createIndex({ collection: 'big', name: 'n', kind: 'ordered', fields: ['n'] }, new Date());
      await a.createIndex({ collection: 'big', name: 'tag', kind: 'equality', fields: ['tag'] }, new Date());
      const catalog = await a.catalog('big');
      for (let start = 0; start < 45_000; start += 1000) {
        const batch: Promise<unknown>[] = [];
        for (let i = start; i < start + 1000; i++) {
          const data = { n: i, tag: i % 22_000 === 0 ? 'rare' : 'common' };
          batch.push(a.apply('big', `d${i}`, i + 1, indexValues(catalog, data), catalog.version));
        }
        await Promise.all(batch);
      }
      const within = { op: 'eq' as const, index: 'tag', values: ['rare'] };
      expect(await a.walk('big', { index: 'n', direction: 'asc', offset: 0, limit: 10, within })).toEqual(['d0', 'd22000', 'd44000']);
      expect(await a.walk('big', { index: 'n', direction: 'desc', offset: 1, limit: 10, within })).toEqual(['d22000', 'd0']);
    });
  });
});
