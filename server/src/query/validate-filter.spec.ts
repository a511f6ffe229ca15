import { isDbError } from '../errors/db-error.js';
import type { Filter } from '../model/filter.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_TERMS, validateFilter } from './validate-filter.js';

function problem(filter: Filter): string | undefined {
  try {
    validateFilter(filter);
    return undefined;
  } catch (e) {
    if (!isDbError(e, 'INVALID_FILTER')) throw e;
    expect(e.field).toBe('filter');
    return e.message;
  }
}

describe('validateFilter', () => {
  const ok: Filter = { kind: 'field', field: 'a', op: 'eq', value: 1 };

  it('accepts well-formed filters', () => {
    expect(problem({ kind: 'and', filters: [ok, { kind: 'not', filter: ok }] })).toBeUndefined();
    expect(problem({ kind: 'field', field: 'a', op: 'in', value: [1, 'x'] })).toBeUndefined();
  });

  it.each<[string, Filter, RegExp]>([
    ['empty and', { kind: 'and', filters: [] }, /1 to 100/],
    ['wide or', { kind: 'or', filters: Array.from({ length: 101 }, () => ok) }, /1 to 100/],
    ['in without list', { kind: 'field', field: 'a', op: 'in', value: 1 }, /list/],
    ['long in', { kind: 'field', field: 'a', op: 'not_in', value: Array.from({ length: 101 }, (_, i) => i) }, /at most 100/],
    ['exists non-bool', { kind: 'field', field: 'a', op: 'exists', value: 'yes' }, /boolean/],
    ['contains non-string', { kind: 'field', field: 'a', op: 'contains', value: 1 }, /string/],
    ['range on bool', { kind: 'field', field: 'a', op: 'gt', value: true }, /number or a string/],
    ['empty field', { kind: 'field', field: '', op: 'eq', value: 1 }, /empty/],
    ['empty segment', { kind: 'field', field: 'a..b', op: 'eq', value: 1 }, /empty segment/],
    ['bad op', { kind: 'field', field: 'a', op: 'like' as never, value: 1 }, /unknown operator/],
    ['infinite', { kind: 'field', field: 'a', op: 'eq', value: Infinity }, /finite/],
  ])('rejects %s', (_n, filter, message) => {
    expect(problem(filter)).toMatch(message);
  });

  it('limits nesting depth: MAX_FILTER_DEPTH operators above a comparison pass, one more does not', () => {
    const nest = (levels: number): Filter => {
      let deep: Filter = ok;
      for (let i = 0; i < levels; i++) deep = i % 2 === 0 ? { kind: 'not', filter: deep } : { kind: 'and', filters: [ok, deep] };
      return deep;
    };
    expect(problem(nest(MAX_FILTER_DEPTH))).toBeUndefined();
    expect(problem(nest(MAX_FILTER_DEPTH + 1))).toMatch(/nesting exceeds 32/);
    expect(problem(nest(40))).toMatch(/nesting/);
  });

  it('limits the comparisons of the whole tree to MAX_FILTER_TERMS, and names the limit', () => {
    const and = (n: number): Filter => ({ kind: 'and', filters: Array.from({ length: n }, () => ok) });
    expect(problem({ kind: 'or', filters: [and(50), and(MAX_FILTER_TERMS - 50)] })).toBeUndefined();
    expect(problem({ kind: 'or', filters: [and(50), and(MAX_FILTER_TERMS - 49)] })).toMatch(/more than 100 comparisons/);
    const wide: Filter = { kind: 'or', filters: Array.from({ length: 100 }, () => and(100)) };
    try {
      validateFilter(wide);
      throw new Error('expected INVALID_FILTER');
    } catch (e) {
      expect(isDbError(e, 'INVALID_FILTER') && e.metadata).toEqual({ field: 'filter', maxTerms: '100' });
    }
  });
});
