/**
 * Model-based check: random writes applied to a LocalIndexStore and a
 * RedisIndexStore (real redis-server) must leave both answering every
 * lookup, range, set expression and walk identically, and the local store
 * must agree with a naive evaluation over the final documents.
 */
import fc from 'fast-check';
import { LocalIndexStore } from '../../server/src/index/local/local-index-store.js';
import { RedisIndexStore } from '../../server/src/index/redis/redis-index-store.js';
import { compareUtf8, fieldValue, indexValues } from '../../server/src/index/extract-values.js';
import type { IdSetExpr, IndexStore, OrderedWalk } from '../../server/src/index/index-store.js';
import type { JsonObject, JsonValue } from '../../server/src/model/json.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';

const IDS = ['a', 'b', 'c', 'd', 'e', 'f', 'é', 'Z'];
const value = fc.oneof(
  fc.constantFrom<JsonValue>(0, 1, 2, -1, 2.5, 'x', 'y', '', 'x\u0000', 'ü', true, null),
  fc.array(fc.constantFrom<JsonValue>(1, 'x', 'y'), { maxLength: 3 }),
);
const doc = fc.record({ v: value, k: fc.constantFrom('p', 'q') }, { requiredKeys: [] });
const write = fc.record({ id: fc.constantFrom(...IDS), data: fc.option(doc, { nil: null, freq: 4 }) });

/** The order of an ordered walk per docs/queries.md: numbers then strings, ties by id ascending. */
function expectedWalk(docs: Map<string, JsonObject>, direction: 'asc' | 'desc'): string[] {
  const entries = [...docs].flatMap(([id, d]) => {
    const v = fieldValue(d, 'v');
    return typeof v === 'number' || typeof v === 'string' ? [{ id, v }] : [];
  });
  const rank = (v: number | string): number => (typeof v === 'number' ? 0 : 1);
  const cmpValue = (x: number | string, y: number | string): number =>
    rank(x) - rank(y) || (typeof x === 'number' ? (x as number) - (y as number) : compareUtf8(x as string, y as string));
  return entries
    .sort((x, y) => (direction === 'asc' ? cmpValue(x.v, y.v) : cmpValue(y.v, x.v)) || compareUtf8(x.id, y.id))
    .map((e) => e.id);
}

describe('LocalIndexStore and RedisIndexStore agree on random histories', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('answers every read identically', async () => {
    let run = 0;
    const remote = await RedisIndexStore.connect({ url: redis.url, keyPrefix: 'model:' });
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(write, { minLength: 1, maxLength: 30 }),
          fc.nat(5),
          fc.integer({ min: 1, max: 6 }),
          async (writes, offset, limit) => {
            const collection = `m${run++}`;
            const local = new LocalIndexStore();
            const docs = new Map<string, JsonObject>();
            for (const s of [local, remote] as IndexStore[]) {
              await s.createIndex({ collection, name: 'v_eq', kind: 'equality', fields: ['v'] }, new Date(0));
              await s.createIndex({ collection, name: 'v_ord', kind: 'ordered', fields: ['v'] }, new Date(0));
              await s.createIndex({ collection, name: 'vk', kind: 'equality', fields: ['v', 'k'] }, new Date(0));
            }
            for (const w of writes) {
              for (const s of [local, remote] as IndexStore[]) {
                const catalog = await s.catalog(collection);
                const seq = await s.nextSeq(collection);
                await s.apply(collection, w.id, seq, w.data === null ? null : indexValues(catalog, w.data), catalog.version);
              }
              if (w.data === null) docs.delete(w.id);
              else docs.set(w.id, w.data);
            }
            const exprs: IdSetExpr[] = [
              { op: 'all' },
              { op: 'eq', index: 'v_eq', values: ['x'] },
              { op: 'eq', index: 'v_eq', values: [1] },
              { op: 'eq', index: 'vk', values: ['x', 'p'] },
              {
                op: 'range',
                index: 'v_ord',
                range: { type: 'number', lower: { value: 0, inclusive: false }, upper: { value: 2, inclusive: true } },
              },
              { op: 'range', index: 'v_ord', range: { type: 'string', lower: { value: 'x', inclusive: true } } },
              {
                op: 'diff',
                from: { op: 'all' },
                minus: {
                  op: 'or',
                  args: [
                    { op: 'eq', index: 'v_eq', values: ['y'] },
                    { op: 'eq', index: 'vk', values: [1, 'q'] },
                  ],
                },
              },
            ];
            for (const e of exprs) {
              const l = await local.ids(collection, e);
              expect(await remote.ids(collection, e)).toEqual(l);
              expect(await remote.count(collection, e)).toBe(l.length);
            }
            expect(await local.ids(collection, { op: 'all' })).toEqual([...docs.keys()].sort(compareUtf8));
            for (const direction of ['asc', 'desc'] as const) {
              expect(await local.walk(collection, { index: 'v_ord', direction, offset: 0, limit: 100 })).toEqual(
                expectedWalk(docs, direction),
              );
              const walks: OrderedWalk[] = [
                { index: 'v_ord', direction, offset, limit },
                { index: 'v_ord', direction, offset, limit, within: { op: 'eq', index: 'vk', values: ['x', 'q'] } },
                { index: 'v_ord', direction, offset, limit, range: { type: 'number', upper: { value: 2, inclusive: false } } },
                { index: 'v_ord', direction, offset, limit, within: { op: 'eq', index: 'v_eq', values: [2] }, range: { type: 'number' } },
              ];
              for (const w of walks) expect(await remote.walk(collection, w)).toEqual(await local.walk(collection, w));
            }
          },
        ),
        { numRuns: 150 },
      );
    } finally {
      await remote.close();
    }
  });
});
