import fc from 'fast-check';
import { compareUtf8 } from '../../common/utf8-order.js';
import { SortedNames } from './sorted-names.js';

/** A reference: a plain set, sorted on demand. */
function sortedOf(set: ReadonlySet<string>): string[] {
  return [...set].sort(compareUtf8);
}

const name = fc.oneof(
  fc.constantFrom('a', 'b', 'a/', 'ab', 'é', '😀', '\ufffd', '-', '0'),
  fc.integer({ min: 0, max: 5000 }).map((n) => n.toString(36)),
);

describe('SortedNames', () => {
  it('matches a sorted reference under random adds, deletes and seeks (chunks split and empty out)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 3000 }).map((ns) => ns.sort(compareUtf8)),
        fc.array(fc.tuple(fc.constantFrom('add', 'delete', 'ceiling', 'higher'), name), { maxLength: 3000 }),
        (initial, ops) => {
          const set = SortedNames.fromSorted(initial);
          const ref = new Set(initial);
          for (const [op, n] of ops) {
            if (op === 'add') {
              expect(set.add(n)).toBe(!ref.has(n));
              ref.add(n);
            } else if (op === 'delete') {
              expect(set.delete(n)).toBe(ref.has(n));
              ref.delete(n);
            } else {
              const strict = op === 'higher';
              const want = sortedOf(ref).find((x) => (strict ? compareUtf8(x, n) > 0 : compareUtf8(x, n) >= 0));
              expect(set.ceiling(n, strict)).toBe(want);
            }
          }
          expect([...set]).toEqual(sortedOf(ref));
          expect(set.size).toBe(ref.size);
          for (const n of ref) expect(set.has(n)).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('keeps 20,000 names in order when inserted in reverse and deleted in between', () => {
    const set = new SortedNames();
    for (let i = 19_999; i >= 0; i--) set.add(String(i).padStart(5, '0'));
    for (let i = 0; i < 20_000; i += 3) set.delete(String(i).padStart(5, '0'));
    const all = [...set];
    expect(all).toHaveLength(20_000 - 6667);
    expect(all).toEqual([...all].sort());
    expect(set.ceiling('09999', true)).toBe('10000'); // 09999 was deleted (divisible by 3)
    expect(set.ceiling('10000', true)).toBe('10001');
  });
});
