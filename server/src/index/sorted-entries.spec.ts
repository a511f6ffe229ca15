import fc from 'fast-check';
import { compareUtf8 } from './extract-values.js';
import { SortedEntries } from './sorted-entries.js';

describe('SortedEntries', () => {
  it('walks like a naive sort of its entries, in both directions and within bounds', () => {
    const op = fc.record({ add: fc.boolean(), value: fc.integer({ min: 0, max: 5 }), id: fc.constantFrom('a', 'b', 'c', 'é', 'Z') });
    const bound = fc.option(fc.record({ value: fc.integer({ min: 0, max: 5 }), inclusive: fc.boolean() }), { nil: undefined });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), bound, bound, (ops, lower, upper) => {
        const entries = new SortedEntries<number>();
        const model = new Map<string, { value: number; id: string }>();
        for (const o of ops) {
          const key = `${o.value}/${o.id}`;
          if (o.add) {
            entries.insert(o.value, o.id);
            model.set(key, { value: o.value, id: o.id });
          } else {
            entries.remove(o.value, o.id);
            model.delete(key);
          }
        }
        const inRange = (v: number): boolean =>
          (lower === undefined || v > lower.value || (lower.inclusive && v === lower.value)) &&
          (upper === undefined || v < upper.value || (upper.inclusive && v === upper.value));
        const kept = [...model.values()].filter((e) => inRange(e.value));
        const asc = [...kept].sort((x, y) => x.value - y.value || compareUtf8(x.id, y.id)).map((e) => e.id);
        const desc = [...kept].sort((x, y) => y.value - x.value || compareUtf8(x.id, y.id)).map((e) => e.id);
        expect(entries.size).toBe(model.size);
        expect([...entries.walk('asc', lower, upper)]).toEqual(asc);
        expect([...entries.walk('desc', lower, upper)]).toEqual(desc);
      }),
    );
  });

  it('orders strings by UTF-8 bytes', () => {
    const entries = new SortedEntries<string>();
    for (const [v, id] of [
      ['😀', '1'],
      ['\uffff', '2'],
      ['a', '3'],
      ['', '4'],
    ] as const)
      entries.insert(v, id);
    expect([...entries.walk('asc')]).toEqual(['4', '3', '2', '1']);
  });
});
