import { isDbError } from '../errors/db-error.js';
import type { Filter } from '../model/filter.js';
import { validateFilter } from './validate-filter.js';

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

  it('limits nesting depth', () => {
    let deep: Filter = ok;
    for (let i = 0; i < 40; i++) deep = { kind: 'not', filter: deep };
    expect(problem(deep)).toMatch(/nesting/);
  });
});
