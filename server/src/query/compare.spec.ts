import fc from 'fast-check';
import type { JsonObject, JsonValue } from '../model/json.js';
import { canonicalJson, compareDocs, compareUtf8, compareValues, jsonEquals } from './compare.js';

describe('compareUtf8', () => {
  it('orders by UTF-8 bytes, not UTF-16 code units', () => {
    // U+FFFF is EF BF BF; U+1F600 is F0 9F 98 80: bytes say U+FFFF first, UTF-16 units say the reverse.
    expect(compareUtf8('\uFFFF', '😀')).toBeLessThan(0);
    expect('\uFFFF' < '😀').toBe(false);
    expect(compareUtf8('a', 'ab')).toBeLessThan(0);
    expect(compareUtf8('b', 'ab')).toBeGreaterThan(0);
    expect(compareUtf8('x', 'x')).toBe(0);
  });

  it('agrees with Buffer.compare of the UTF-8 encodings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
      }),
    );
  });
});

describe('compareValues', () => {
  it('orders by type first: numbers < strings < booleans < null < arrays < objects', () => {
    const sorted: JsonValue[] = [-1, 2.5, 10, '', 'a', 'b', false, true, null, [1], [2], { a: 1 }, { b: 1 }];
    const shuffled = [...sorted].reverse();
    expect(shuffled.sort(compareValues)).toEqual(sorted);
  });

  it('compares numbers numerically, not as text', () => {
    expect(compareValues(9, 10)).toBeLessThan(0);
    expect(compareValues(-3, -20)).toBeGreaterThan(0);
  });

  it('compares objects by canonical JSON, ignoring key order', () => {
    expect(compareValues({ b: 1, a: 2 }, { a: 2, b: 1 })).toBe(0);
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });

  it('is a total order consistent with jsonEquals', () => {
    const v = fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<JsonValue>;
    fc.assert(
      fc.property(v, v, v, (a, b, c) => {
        expect(Math.sign(compareValues(a, b)) + Math.sign(compareValues(b, a))).toBe(0);
        expect(compareValues(a, b) === 0).toBe(jsonEquals(a, b) || (Object.is(a, -0) && b === 0) || (Object.is(b, -0) && a === 0));
        if (compareValues(a, b) <= 0 && compareValues(b, c) <= 0) expect(compareValues(a, c)).toBeLessThanOrEqual(0);
      }),
    );
  });
});

describe('compareDocs', () => {
  const docs: Array<{ id: string; data: JsonObject }> = [
    { id: 'm', data: {} },
    { id: 'b', data: { n: 2 } },
    { id: 'a', data: { n: 2 } },
    { id: 'c', data: { n: 'x' } },
    { id: 'd', data: { n: true } },
    { id: 'e', data: { n: null } },
    { id: 'f', data: { n: 1 } },
    { id: 'g', data: {} },
  ];

  it('ascending: numbers, strings, other types, then missing; ties by id', () => {
    const out = [...docs].sort(compareDocs([{ field: 'n', direction: 'asc' }])).map((d) => d.id);
    expect(out).toEqual(['f', 'a', 'b', 'c', 'd', 'e', 'g', 'm']);
  });

  it('descending: strings desc, numbers desc, other types desc, missing still last; ties still by id ascending', () => {
    const out = [...docs].sort(compareDocs([{ field: 'n', direction: 'desc' }])).map((d) => d.id);
    expect(out).toEqual(['c', 'a', 'b', 'f', 'e', 'd', 'g', 'm']);
  });

  it('uses later terms to break ties before the id', () => {
    const rows = [
      { id: 'a', data: { g: 1, h: 1 } },
      { id: 'b', data: { g: 1, h: 3 } },
      { id: 'c', data: { g: 0, h: 2 } },
    ];
    const out = rows
      .sort(
        compareDocs([
          { field: 'g', direction: 'asc' },
          { field: 'h', direction: 'desc' },
        ]),
      )
      .map((d) => d.id);
    expect(out).toEqual(['c', 'b', 'a']);
  });
});
