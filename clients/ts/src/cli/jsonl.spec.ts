import { batches, canonicalJson, exportLine, parseImportLine, sameData } from './jsonl';
import type { StoredDocument } from '../document';

const doc = (id: string, data: object, expireTime?: Date): StoredDocument =>
  ({
    collection: 'c',
    id,
    data,
    etag: 'e',
    version: 1,
    createTime: undefined,
    updateTime: undefined,
    revision: 1n,
    expireTime,
  }) as StoredDocument;

it('exportLine writes id and data, and expireTime when the document expires; parseImportLine reads it back', () => {
  expect(exportLine(doc('a', { x: 1 }))).toBe('{"id":"a","data":{"x":1}}\n');
  const line = exportLine(doc('b', { y: [1] }, new Date('2030-01-01T00:00:00Z')));
  expect(line).toBe('{"id":"b","data":{"y":[1]},"expireTime":"2030-01-01T00:00:00.000Z"}\n');
  expect(parseImportLine(line, 1)).toEqual({ id: 'b', data: { y: [1] }, expireTime: new Date('2030-01-01T00:00:00Z') });
});

it('parseImportLine takes full document lines, skips blank lines and names the line of a bad one', () => {
  expect(parseImportLine('{"collection":"c","id":"a","data":{},"etag":"x","version":3}', 1)).toEqual({ id: 'a', data: {} });
  expect(parseImportLine('   ', 2)).toBeUndefined();
  expect(() => parseImportLine('{', 3)).toThrow(/^line 3: not JSON/);
  expect(() => parseImportLine('[]', 4)).toThrow('line 4: not a JSON object');
  expect(() => parseImportLine('{"id":"","data":{}}', 5)).toThrow('line 5: "id" must be a non-empty string');
  expect(() => parseImportLine('{"id":"a","data":[]}', 6)).toThrow('line 6: "data" must be a JSON object');
  expect(() => parseImportLine('{"id":"a","data":{},"expireTime":"soon"}', 7)).toThrow('line 7: "expireTime" must be an ISO 8601 time');
});

it('sameData ignores key order at every level but not values or array order', () => {
  expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 0 }] } })).toBe('{"a":{"c":[3,{"e":0,"f":1}],"d":2},"b":1}');
  expect(sameData({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 })).toBe(true);
  expect(sameData({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  expect(sameData({ a: 1 }, { a: 1, b: null })).toBe(false);
});

describe('batches', () => {
  async function* of(items: [string, number][]) {
    for (const [item, bytes] of items) yield { item, bytes };
  }
  const collect = async (it: AsyncIterable<string[]>) => {
    const out: string[][] = [];
    for await (const b of it) out.push(b);
    return out;
  };
  const id = (s: string) => s;

  it('cuts by item count and by bytes; an oversized item gets its own batch', async () => {
    expect(
      await collect(
        batches(
          of([
            ['a', 1],
            ['b', 1],
            ['c', 1],
          ]),
          2,
          100,
          id,
        ),
      ),
    ).toEqual([['a', 'b'], ['c']]);
    expect(
      await collect(
        batches(
          of([
            ['a', 60],
            ['b', 60],
            ['c', 200],
            ['d', 1],
          ]),
          10,
          100,
          id,
        ),
      ),
    ).toEqual([['a'], ['b'], ['c'], ['d']]);
    expect(await collect(batches(of([]), 2, 100, id))).toEqual([]);
  });

  it('starts a new batch when an id repeats (a BatchWrite takes one item per id)', async () => {
    expect(
      await collect(
        batches(
          of([
            ['a', 1],
            ['b', 1],
            ['a', 1],
          ]),
          10,
          100,
          id,
        ),
      ),
    ).toEqual([['a', 'b'], ['a']]);
  });
});
