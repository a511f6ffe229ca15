/**
 * The IndexStore scenarios, written once and run against every adapter
 * (index-store.test.ts): LocalIndexStore and RedisIndexStore on a real
 * redis-server.
 */
import { compareUtf8 } from '../../server/src/index/extract-values.js';
import type { IdSetExpr, IndexStore, OrderedWalk } from '../../server/src/index/index-store.js';
import type { IndexDefinition } from '../../server/src/model/index-def.js';
import type { JsonObject, JsonValue } from '../../server/src/model/json.js';
import { Fixture, errorOf, freshCollection, type StoreFactory } from './index-store-fixture.js';

export type { StoreFactory } from './index-store-fixture.js';

export function indexStoreScenarios(makeStore: StoreFactory): void {
  let store: IndexStore;
  let fx: Fixture;
  beforeEach(async () => {
    store = await makeStore();
    fx = new Fixture(store, freshCollection());
  });
  afterEach(async () => {
    await store.close();
  });

  describe('catalog', () => {
    it('creates indexes in state building, idempotently, and rejects another definition under the same name', async () => {
      const def: IndexDefinition = { collection: fx.collection, name: 'by_status', kind: 'equality', fields: ['status'] };
      const v0 = (await store.catalog(fx.collection)).version;
      const first = await store.createIndex(def, new Date(1000));
      expect(first.created).toBe(true);
      expect(first.index).toMatchObject({ ...def, state: 'building', documentsScanned: 0 });
      expect(first.index.createTime.getTime()).toBe(1000);
      const again = await store.createIndex({ ...def, fields: ['status'] }, new Date(2000));
      expect(again.created).toBe(false);
      expect(again.index.createTime.getTime()).toBe(1000);
      const e = await errorOf(store.createIndex({ ...def, kind: 'unique' }, new Date()));
      expect(e.reason).toBe('INDEX_ALREADY_EXISTS');
      const catalog = await store.catalog(fx.collection);
      expect(catalog.version).toBeGreaterThan(v0);
      expect(catalog.indexes.map((i) => i.name)).toEqual(['by_status']);
    });

    it('lists indexes by name, shows state changes without changing the version, and drops', async () => {
      await fx.define(['zeta', 'ordered', 'n'], ['alpha', 'unique', 'email'], ['mid', 'equality', 'a', 'b.c']);
      const before = await store.catalog(fx.collection);
      expect(before.indexes.map((i) => i.name)).toEqual(['alpha', 'mid', 'zeta']);
      expect(before.indexes.find((i) => i.name === 'mid')?.fields).toEqual(['a', 'b.c']);
      await store.setIndexState(fx.collection, 'zeta', { state: 'failed', documentsScanned: 7, error: 'boom' });
      const after = await store.catalog(fx.collection);
      expect(after.version).toBe(before.version);
      expect(after.indexes.find((i) => i.name === 'zeta')).toMatchObject({ state: 'failed', documentsScanned: 7, error: 'boom' });
      expect(await store.dropIndex(fx.collection, 'zeta')).toBe(true);
      expect(await store.dropIndex(fx.collection, 'zeta')).toBe(false);
      const dropped = await store.catalog(fx.collection);
      expect(dropped.version).toBeGreaterThan(after.version);
      expect(dropped.indexes.map((i) => i.name)).toEqual(['alpha', 'mid']);
      expect((await errorOf(store.setIndexState(fx.collection, 'zeta', { state: 'ready' }))).reason).toBe('INDEX_NOT_FOUND');
    });

    it('hands out strictly increasing sequence numbers, also concurrently', async () => {
      const first = await store.nextSeq(fx.collection);
      const many = await Promise.all(Array.from({ length: 50 }, () => store.nextSeq(fx.collection)));
      expect(new Set(many).size).toBe(50);
      expect(Math.min(...many)).toBeGreaterThan(first);
      expect(await store.nextSeq(fx.collection)).toBeGreaterThan(Math.max(...many));
    });
  });

  describe('apply', () => {
    beforeEach(async () => {
      await fx.define(['status', 'equality', 'status'], ['n', 'ordered', 'n'], ['email', 'unique', 'email'], ['tags', 'equality', 'tags']);
    });

    it('replaces and deletes without leaving stale entries', async () => {
      expect(await fx.put('d1', { status: 'a', n: 1, email: 'x@y', tags: ['t1', 't2'] })).toBe('applied');
      expect(await fx.eq('status', 'a')).toEqual(['d1']);
      expect(await fx.eq('tags', 't2')).toEqual(['d1']);
      expect(await fx.eq('tags', ['t1', 't2'])).toEqual(['d1']);
      expect(await fx.eq('email', 'x@y')).toEqual(['d1']);
      expect(await fx.put('d1', { status: 'b', n: 2, email: 'z@y', tags: ['t2'] })).toBe('applied');
      expect(await fx.eq('status', 'a')).toEqual([]);
      expect(await fx.eq('status', 'b')).toEqual(['d1']);
      expect(await fx.eq('tags', 't1')).toEqual([]);
      expect(await fx.eq('tags', 't2')).toEqual(['d1']);
      expect(await fx.eq('email', 'x@y')).toEqual([]);
      expect(await fx.ids({ op: 'range', index: 'n', range: { type: 'number', upper: { value: 1, inclusive: true } } })).toEqual([]);
      expect(await fx.walk({ index: 'n' })).toEqual(['d1']);
      expect(await fx.reserve('other', { email: 'x@y' })).toBeUndefined();
      expect(await fx.put('d1', null)).toBe('applied');
      for (const [index, value] of [
        ['status', 'b'],
        ['tags', 't2'],
        ['email', 'z@y'],
      ] as const) {
        expect(await fx.eq(index, value)).toEqual([]);
      }
      expect(await fx.walk({ index: 'n' })).toEqual([]);
      expect(await fx.ids({ op: 'all' })).toEqual([]);
      expect(await fx.reserve('other2', { email: 'z@y' })).toBeUndefined();
    });

    it('applyMany: several documents in one step, each with its own seq check; a changed catalog changes nothing', async () => {
      const s1 = await store.nextSeq(fx.collection);
      const s2 = await store.nextSeq(fx.collection);
      expect(await fx.put('b', { status: 'newer' }, s2)).toBe('applied');
      const { version } = await fx.values({});
      const v = async (data: JsonObject | null) => (await fx.values(data)).values;
      const outcomes = await store.applyMany(
        fx.collection,
        [
          { id: 'a', seq: s1, values: await v({ status: 'tx', n: 5, email: 'a@x' }) },
          { id: 'b', seq: s1, values: await v({ status: 'tx' }) },
          { id: 'c', seq: s1, values: null },
        ],
        version,
      );
      expect(outcomes).toEqual(['applied', 'stale', 'applied']);
      expect(await fx.eq('status', 'tx')).toEqual(['a']);
      expect(await fx.eq('status', 'newer')).toEqual(['b']);
      expect(await fx.eq('email', 'a@x')).toEqual(['a']);
      expect(await fx.ids({ op: 'all' })).toEqual(['a', 'b']);
      await fx.define(['extra', 'equality', 'status']);
      const s3 = await store.nextSeq(fx.collection);
      expect(
        await store.applyMany(
          fx.collection,
          [
            { id: 'a', seq: s3, values: null },
            { id: 'd', seq: s3, values: { status: ['"x"'] } },
          ],
          version,
        ),
      ).toEqual(['catalog_changed', 'catalog_changed']);
      expect(await fx.ids({ op: 'all' })).toEqual(['a', 'b']);
      expect(await store.applyMany(fx.collection, [], version)).toEqual([]);
    });

    it('ignores older writes, and the same seq unless the catalog is newer', async () => {
      const s1 = await store.nextSeq(fx.collection);
      const s2 = await store.nextSeq(fx.collection);
      expect(await fx.put('d', { status: 'new' }, s2)).toBe('applied');
      expect(await fx.put('d', { status: 'old' }, s1)).toBe('stale');
      expect(await fx.put('d', { status: 'same' }, s2)).toBe('stale');
      expect(await fx.eq('status', 'new')).toEqual(['d']);
      const { version } = await fx.values({});
      await fx.define(['extra', 'equality', 'status']);
      // computed under the old catalog: the caller must recompute
      expect(await store.apply(fx.collection, 'd', s2, { status: ['"x"'] }, version)).toBe('catalog_changed');
      // the same seq under the new catalog (a background build) replaces
      expect(await fx.put('d', { status: 'new' }, s2)).toBe('applied');
      expect(await fx.eq('extra', 'new')).toEqual(['d']);
      // a delete leaves a record, so a late older write cannot resurrect the document
      const s3 = await store.nextSeq(fx.collection);
      expect(await fx.put('d', null, s3 + 1)).toBe('applied');
      expect(await fx.put('d', { status: 'late' }, s3)).toBe('stale');
      expect(await fx.ids({ op: 'all' })).toEqual([]);
      expect(await fx.eq('status', 'late')).toEqual([]);
    });

    it('keeps collections apart: same index name and value in two collections', async () => {
      const other = new Fixture(store, freshCollection());
      await other.define(['status', 'equality', 'status'], ['email', 'unique', 'email']);
      await fx.put('a', { status: 'on', email: 'same' });
      await other.put('b', { status: 'on' });
      expect(await fx.eq('status', 'on')).toEqual(['a']);
      expect(await other.eq('status', 'on')).toEqual(['b']);
      expect(await other.reserve('b2', { email: 'same' })).toBeUndefined();
      await fx.put('a', null);
      expect(await other.eq('status', 'on')).toEqual(['b']);
      expect(await other.ids({ op: 'all' })).toEqual(['b']);
    });
  });

  describe('unique', () => {
    beforeEach(async () => {
      await fx.define(['email', 'unique', 'email'], ['pair', 'unique', 'a', 'b']);
    });

    it('reports the holder of a value to a second document, not to the holder itself', async () => {
      await fx.put('alice', { email: 'a@x', a: 1, b: 2 });
      expect(await fx.reserve('bob', { email: 'a@x' })).toEqual({ index: 'email', conflictingId: 'alice' });
      expect(await fx.reserve('bob', { email: 'b@x', a: 1, b: 2 })).toEqual({ index: 'pair', conflictingId: 'alice' });
      expect(await fx.reserve('bob', { email: 'b@x', a: 2, b: 1 })).toBeUndefined();
      expect(await fx.reserve('alice', { email: 'a@x', a: 1, b: 2 })).toBeUndefined();
      expect(await fx.reserve('carol', { email: 'b@x' })).toEqual({ index: 'email', conflictingId: 'bob' });
    });

    it('lets exactly one of 20 concurrent reservations of one value win', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => fx.reserve(`id${i}`, { email: 'hot@x' })));
      const winners = results.flatMap((r, i) => (r === undefined ? [`id${i}`] : []));
      expect(winners).toHaveLength(1);
      for (const r of results) if (r !== undefined) expect(r).toEqual({ index: 'email', conflictingId: winners[0] });
    });

    it('lets an expired or released reservation be taken over', async () => {
      expect(await fx.reserve('p', { email: 'e' }, 150)).toBeUndefined();
      expect(await fx.reserve('q', { email: 'e' })).toEqual({ index: 'email', conflictingId: 'p' });
      await new Promise((r) => setTimeout(r, 250));
      expect(await fx.reserve('q', { email: 'e' })).toBeUndefined();
      const { values } = await fx.values({ email: 'e' });
      await store.releaseUnique(fx.collection, 'p', values ?? {}); // not p's any more: no effect
      expect(await fx.reserve('r', { email: 'e' })).toEqual({ index: 'email', conflictingId: 'q' });
      await store.releaseUnique(fx.collection, 'q', values ?? {});
      expect(await fx.reserve('r', { email: 'e' })).toBeUndefined();
    });

    it('confirms a reservation on apply (it no longer expires) and frees the value on delete', async () => {
      expect(await fx.reserve('p', { email: 'e' }, 100)).toBeUndefined();
      await fx.put('p', { email: 'e' });
      await new Promise((r) => setTimeout(r, 200));
      expect(await fx.reserve('q', { email: 'e' })).toEqual({ index: 'email', conflictingId: 'p' });
      await fx.put('p', null);
      expect(await fx.reserve('q', { email: 'e' })).toBeUndefined();
    });
  });

  describe('awkward values', () => {
    const values = [
      'a',
      'a:b',
      'a*',
      '*',
      '{x}',
      '}{',
      'with space',
      'ünïcödé',
      '日本',
      '😀',
      'a\u0000b',
      'a\u0000',
      '',
      'a\u0001',
      'e:status:a',
    ];

    it('keeps every value apart in equality, unique and ordered indexes', async () => {
      await fx.define(['status', 'equality', 'status'], ['u', 'unique', 'status'], ['o', 'ordered', 'status']);
      for (const [i, v] of values.entries()) await fx.put(`id:${i}*{}`, { status: v });
      for (const [i, v] of values.entries()) {
        expect(await fx.eq('status', v)).toEqual([`id:${i}*{}`]);
        expect(await fx.eq('u', v)).toEqual([`id:${i}*{}`]);
        const range = { type: 'string' as const, lower: { value: v, inclusive: true }, upper: { value: v, inclusive: true } };
        expect(await fx.ids({ op: 'range', index: 'o', range })).toEqual([`id:${i}*{}`]);
      }
      const expected = values.map((v, i) => ({ v, id: `id:${i}*{}` })).sort((x, y) => compareUtf8(x.v, y.v));
      expect(await fx.walk({ index: 'o' })).toEqual(expected.map((e) => e.id));
      expect(await fx.walk({ index: 'o', direction: 'desc' })).toEqual(expected.reverse().map((e) => e.id));
      expect(await fx.eq('status', 1)).toEqual([]);
    });
  });

  describe('walks', () => {
    beforeEach(async () => {
      await fx.define(['n', 'ordered', 'n'], ['kind', 'equality', 'kind']);
      const docs: [string, JsonValue | undefined][] = [
        ['b', 2],
        ['a', 2],
        ['c', 2],
        ['d', 1],
        ['e', 3],
        ['f', -1.5],
        ['g', 'x'],
        ['h', 'b'],
        ['i', 'x'],
        ['j', true],
        ['k', undefined],
        ['l', [1]],
      ];
      for (const [id, n] of docs)
        await fx.put(id, n === undefined ? { kind: id < 'f' ? 'lo' : 'hi' } : { n, kind: id < 'f' ? 'lo' : 'hi' });
    });

    it('walks numbers then strings ascending, the reverse descending, ties by id ascending both ways', async () => {
      expect(await fx.walk({ index: 'n' })).toEqual(['f', 'd', 'a', 'b', 'c', 'e', 'h', 'g', 'i']);
      expect(await fx.walk({ index: 'n', direction: 'desc' })).toEqual(['g', 'i', 'h', 'e', 'a', 'b', 'c', 'd', 'f']);
    });

    it('pages with offset and limit, also through ties', async () => {
      const all = await fx.walk({ index: 'n', direction: 'desc' });
      for (const offset of [0, 1, 2, 4, 5, 6, 8, 9]) {
        for (const limit of [1, 2, 3]) {
          expect(await fx.walk({ index: 'n', direction: 'desc', offset, limit })).toEqual(all.slice(offset, offset + limit));
        }
      }
      expect(await fx.walk({ index: 'n', offset: 3, limit: 3 })).toEqual(['b', 'c', 'e']);
    });

    it('honours inclusive and exclusive bounds of both types', async () => {
      const num = (lower?: [number, boolean], upper?: [number, boolean]): Partial<OrderedWalk> => ({
        range: {
          type: 'number',
          ...(lower ? { lower: { value: lower[0], inclusive: lower[1] } } : {}),
          ...(upper ? { upper: { value: upper[0], inclusive: upper[1] } } : {}),
        },
      });
      expect(await fx.walk({ index: 'n', ...num([1, true], [2, true]) })).toEqual(['d', 'a', 'b', 'c']);
      expect(await fx.walk({ index: 'n', ...num([1, false], [3, false]) })).toEqual(['a', 'b', 'c']);
      expect(await fx.walk({ index: 'n', direction: 'desc', ...num([1, false], [3, true]) })).toEqual(['e', 'a', 'b', 'c']);
      expect(await fx.walk({ index: 'n', ...num(undefined, [1, false]) })).toEqual(['f']);
      expect(await fx.walk({ index: 'n', ...num([2, false]) })).toEqual(['e']);
      const str = { type: 'string' as const, lower: { value: 'b', inclusive: false }, upper: { value: 'x', inclusive: true } };
      expect(await fx.walk({ index: 'n', range: str })).toEqual(['g', 'i']);
      expect(await fx.walk({ index: 'n', range: { ...str, lower: { value: 'b', inclusive: true } }, direction: 'desc' })).toEqual([
        'g',
        'i',
        'h',
      ]);
      expect(await fx.ids({ op: 'range', index: 'n', range: str })).toEqual(['g', 'i']);
      expect(await store.count(fx.collection, { op: 'range', index: 'n', range: { type: 'number' } })).toBe(6);
    });

    it('walks only ids within a set, applying offset and limit after the filter', async () => {
      const within: IdSetExpr = { op: 'eq', index: 'kind', values: ['hi'] };
      expect(await fx.walk({ index: 'n', within })).toEqual(['f', 'h', 'g', 'i']);
      expect(await fx.walk({ index: 'n', within, direction: 'desc', offset: 1, limit: 2 })).toEqual(['i', 'h']);
      const lo: IdSetExpr = { op: 'eq', index: 'kind', values: ['lo'] };
      expect(await fx.walk({ index: 'n', within: lo, direction: 'desc' })).toEqual(['e', 'a', 'b', 'c', 'd']);
      expect(await fx.walk({ index: 'n', within: { op: 'eq', index: 'kind', values: ['none'] } })).toEqual([]);
    });
  });

  describe('set expressions', () => {
    it('computes and / or / diff / all, ids ascending in byte order, with counts', async () => {
      await fx.define(['color', 'equality', 'color'], ['size', 'equality', 'size']);
      const docs: [string, JsonObject][] = [
        ['é', { color: 'red', size: 1 }],
        ['z', { color: 'red', size: 2 }],
        ['a', { color: 'blue', size: 1 }],
        ['B', { size: 1 }],
      ];
      for (const [id, data] of docs) await fx.put(id, data);
      const red: IdSetExpr = { op: 'eq', index: 'color', values: ['red'] };
      const one: IdSetExpr = { op: 'eq', index: 'size', values: [1] };
      const cases: [IdSetExpr, string[]][] = [
        [{ op: 'all' }, ['B', 'a', 'z', 'é']],
        [{ op: 'and', args: [red, one] }, ['é']],
        [{ op: 'or', args: [red, one] }, ['B', 'a', 'z', 'é']],
        [{ op: 'diff', from: one, minus: red }, ['B', 'a']],
        [{ op: 'diff', from: { op: 'all' }, minus: { op: 'or', args: [red, one] } }, []],
        [{ op: 'and', args: [red, { op: 'eq', index: 'size', values: ['1'] }] }, []],
      ];
      for (const [expr, expected] of cases) {
        expect(await fx.ids(expr)).toEqual(expected);
        expect(await store.count(fx.collection, expr)).toBe(expected.length);
      }
      expect((await errorOf(fx.eq('nope', 1))).reason).toBe('INDEX_NOT_FOUND');
    });

    it('drops an index with all its entries; a new index of the same name starts empty', async () => {
      await fx.define(['status', 'equality', 'status'], ['n', 'ordered', 'n'], ['u', 'unique', 'status']);
      await fx.put('d', { status: 'x', n: 1 });
      for (const name of ['status', 'n', 'u']) expect(await store.dropIndex(fx.collection, name)).toBe(true);
      expect((await errorOf(fx.eq('status', 'x'))).reason).toBe('INDEX_NOT_FOUND');
      expect((await errorOf(fx.walk({ index: 'n' }))).reason).toBe('INDEX_NOT_FOUND');
      await fx.define(['status', 'equality', 'other'], ['n', 'ordered', 'm'], ['u', 'unique', 'other']);
      expect(await fx.eq('status', 'x')).toEqual([]);
      expect(await fx.walk({ index: 'n' })).toEqual([]);
      expect(await fx.reserve('e', { other: 'x' })).toBeUndefined();
      expect(await fx.ids({ op: 'all' })).toEqual(['d']);
    });
  });
}
