import fc from 'fast-check';
import type { IndexInfo } from '../model/index-def.js';
import type { JsonValue } from '../model/json.js';
import {
  canonicalJson,
  compareUtf8,
  decodeOrderedValue,
  encodeEqualityValues,
  encodeOrderedValue,
  escapeOrdered,
  fieldValue,
  indexValues,
  unescapeOrdered,
  valuesForIndex,
} from './extract-values.js';
import { hashIndexValue, setIndexHashKey } from './value-hash.js';

function info(name: string, kind: IndexInfo['kind'], ...fields: string[]): IndexInfo {
  return { collection: 'c', name, fields, kind, state: 'ready', documentsScanned: 0, createTime: new Date(0) };
}

describe('fieldValue', () => {
  it('follows dotted paths through objects only', () => {
    const data = { a: { b: { c: 1 } }, arr: [{ x: 1 }], s: 'str', n: null };
    expect(fieldValue(data, 'a.b.c')).toBe(1);
    expect(fieldValue(data, 'a.b')).toEqual({ c: 1 });
    expect(fieldValue(data, 'arr.x')).toBeUndefined();
    expect(fieldValue(data, 's.length')).toBeUndefined();
    expect(fieldValue(data, 'n')).toBeNull();
    expect(fieldValue(data, 'missing')).toBeUndefined();
    expect(fieldValue(data, 'toString')).toBeUndefined();
  });
});

describe('equality values', () => {
  it('keeps the type: 1 and "1" and true and null differ', () => {
    const ix = info('i', 'equality', 'f');
    const enc = (v: JsonValue): string[] => valuesForIndex(ix, { f: v });
    const all = [enc(1), enc('1'), enc(true), enc('true'), enc(null), enc('null')].map((v) => v.join('|'));
    expect(new Set(all).size).toBe(6);
    expect(enc(1)).toEqual([encodeEqualityValues(ix, [1])]);
  });

  it('indexes an array field as the whole array and every element', () => {
    const ix = info('tags', 'equality', 'tags');
    const vals = valuesForIndex(ix, { tags: ['a', 'b', 'a'] });
    expect(vals).toHaveLength(3);
    expect(vals).toContain(encodeEqualityValues(ix, ['a']));
    expect(vals).toContain(encodeEqualityValues(ix, ['b']));
    expect(vals).toContain(encodeEqualityValues(ix, [['a', 'b', 'a']]));
  });

  it('gives one value per combination for composite indexes, none when a field is missing', () => {
    const ix = info('ab', 'equality', 'a', 'b.c');
    const vals = valuesForIndex(ix, { a: ['x', 'y'], b: { c: 1 } });
    expect(new Set(vals)).toEqual(
      new Set([encodeEqualityValues(ix, [['x', 'y'], 1]), encodeEqualityValues(ix, ['x', 1]), encodeEqualityValues(ix, ['y', 1])]),
    );
    expect(valuesForIndex(ix, { a: 'x' })).toEqual([]);
  });

  it('encodes objects canonically (key order does not matter)', () => {
    const ix = info('o', 'equality', 'o');
    expect(valuesForIndex(ix, { o: { b: 1, a: [1, { d: 2, c: 3 }] } })).toEqual(
      valuesForIndex(ix, { o: { a: [1, { c: 3, d: 2 }], b: 1 } }),
    );
  });

  it('is injective: different value tuples never share an encoding', () => {
    const ix = info('ab', 'unique', 'a', 'b');
    fc.assert(
      fc.property(fc.tuple(fc.jsonValue(), fc.jsonValue()), fc.tuple(fc.jsonValue(), fc.jsonValue()), (x, y) => {
        const same = canonicalJson(x as JsonValue) === canonicalJson(y as JsonValue);
        return (encodeEqualityValues(ix, x as JsonValue[]) === encodeEqualityValues(ix, y as JsonValue[])) === same;
      }),
    );
  });

  it('rejects a lookup with the wrong number of values', () => {
    expect(() => encodeEqualityValues(info('ab', 'equality', 'a', 'b'), [1])).toThrow(/2 field/);
  });
});

describe('ordered values', () => {
  it('encodes numbers and strings only', () => {
    const ix = info('n', 'ordered', 'n');
    expect(valuesForIndex(ix, { n: 2.5 })).toEqual(['n:2.5']);
    expect(valuesForIndex(ix, { n: 'x' })).toEqual(['s:x']);
    expect(valuesForIndex(ix, { n: true })).toEqual([]);
    expect(valuesForIndex(ix, { n: [1, 2] })).toEqual([]);
    expect(valuesForIndex(ix, { n: null })).toEqual([]);
    expect(valuesForIndex(ix, {})).toEqual([]);
  });

  it('round-trips through decodeOrderedValue, including NUL characters', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ unit: 'binary' })), (v) => {
        const decoded = decodeOrderedValue(encodeOrderedValue(v) as string);
        return typeof v === 'number' ? decoded === v || (v === 0 && decoded === 0) : decoded === v;
      }),
    );
  });

  it('escapes NUL so that value + NUL NUL terminators keep the byte order of the values', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (a, b) => {
        const ka = Buffer.from(`${escapeOrdered(a)}\u0000\u0000`, 'utf8');
        const kb = Buffer.from(`${escapeOrdered(b)}\u0000\u0000`, 'utf8');
        return Math.sign(Buffer.compare(ka, kb)) === Math.sign(compareUtf8(a, b)) && unescapeOrdered(escapeOrdered(a)) === a;
      }),
    );
  });
});

describe('compareUtf8', () => {
  it('agrees with the byte order of the UTF-8 encodings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        return Math.sign(compareUtf8(a, b)) === Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      }),
    );
  });
});

describe('indexValues', () => {
  it('gives every index of the catalog an entry', () => {
    const catalog = { version: 3, indexes: [info('a', 'equality', 'a'), info('n', 'ordered', 'n'), info('u', 'unique', 'u')] };
    expect(indexValues(catalog, { a: 'x', n: 1 })).toEqual({ a: ['["x"]'], n: ['n:1'], u: [] });
  });
});

describe('hashed equality values (hashValues)', () => {
  const hashed = (name: string, kind: IndexInfo['kind'], ...fields: string[]): IndexInfo => ({
    ...info(name, kind, ...fields),
    hashValues: true,
  });
  afterEach(() => setIndexHashKey(undefined));

  it('the document side and the lookup side give the same hashed value, and no clear value', () => {
    setIndexHashKey(Buffer.alloc(32, 7));
    const def = hashed('by_email', 'unique', 'email');
    const stored = valuesForIndex(def, { email: 'a@example.com' });
    expect(stored).toEqual([encodeEqualityValues(def, ['a@example.com'])]);
    expect(stored[0]).toBe(hashIndexValue('["a@example.com"]'));
    expect(stored[0]).toMatch(/^h:[A-Za-z0-9_-]{43}$/);
    expect(stored.join()).not.toContain('example');
  });

  it('array fields and composite indexes hash each combination', () => {
    setIndexHashKey(Buffer.alloc(32, 7));
    const def = hashed('by_tag', 'equality', 'tags', 'n');
    const values = valuesForIndex(def, { tags: ['a', 'b'], n: 1 });
    expect(values).toHaveLength(3);
    expect(values).toContain(encodeEqualityValues(def, ['a', 1]));
    expect(values).toContain(encodeEqualityValues(def, [['a', 'b'], 1]));
    expect(values).toEqual([...values].sort(compareUtf8));
  });

  it('an index without hashValues keeps the clear canonical JSON beside a hashed one', () => {
    setIndexHashKey(Buffer.alloc(32, 7));
    const catalog = { version: 1, indexes: [hashed('by_email', 'unique', 'email'), info('by_city', 'equality', 'city')] };
    const out = indexValues(catalog, { email: 'a@example.com', city: 'Oslo' });
    expect(out.by_city).toEqual(['["Oslo"]']);
    expect(out.by_email?.[0]).toMatch(/^h:/);
  });

  it('without a key, a hashed index refuses to encode (FAILED_PRECONDITION), a missing field gives nothing', () => {
    const def = hashed('by_email', 'unique', 'email');
    expect(() => valuesForIndex(def, { email: 'a@example.com' })).toThrow(/SB_INDEX_HASH_KEY_FILE/);
    expect(() => encodeEqualityValues(def, ['a@example.com'])).toThrow(/SB_INDEX_HASH_KEY_FILE/);
    expect(valuesForIndex(def, { other: 1 })).toEqual([]);
  });
});
