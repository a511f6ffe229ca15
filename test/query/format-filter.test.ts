import fc from 'fast-check';
import type { Filter } from '../../server/src/model/filter.js';
import { formatFilter } from '../../server/src/query/format-filter.js';
import { parseFilter } from '../../server/src/query/parse-filter.js';
import { anyJson, anyPath, filterArb } from './arbitraries.js';

/** A one-child and/or means its child. */
function normalize(f: Filter): Filter {
  switch (f.kind) {
    case 'and':
    case 'or':
      return f.filters.length === 1 ? normalize(f.filters[0] as Filter) : { kind: f.kind, filters: f.filters.map(normalize) };
    case 'not':
      return { kind: 'not', filter: normalize(f.filter) };
    default:
      return f;
  }
}

describe('formatFilter', () => {
  it('parseFilter(formatFilter(f)) gives back f for any valid filter', () => {
    fc.assert(
      fc.property(filterArb(anyPath, anyJson, 4), (f) => {
        const text = formatFilter(f);
        expect(parseFilter(text)).toEqual(normalize(f));
      }),
      { numRuns: 1000 },
    );
  });

  it('writes readable expressions', () => {
    expect(formatFilter(parseFilter('a = 1 AND (b = "x" OR NOT c.d >= 2) AND `odd key` IN [1, 2]'))).toBe(
      'a = 1 AND (b = "x" OR NOT c.d >= 2) AND `odd key` IN [1, 2]',
    );
    expect(formatFilter(parseFilter('name : "x" AND exists(y, false) AND starts_with(z, "p")'))).toBe(
      'contains(name, "x") AND exists(y, false) AND starts_with(z, "p")',
    );
  });
});
