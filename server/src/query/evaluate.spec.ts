import type { Filter, FieldOp } from '../model/filter.js';
import type { JsonValue } from '../model/json.js';
import { matches } from './evaluate.js';

const f = (field: string, op: FieldOp, value: JsonValue): Filter => ({ kind: 'field', field, op, value });

describe('matches', () => {
  const doc = { s: 'hello', n: 5, b: true, z: null, tags: ['x', 'y', 1], o: { k: 'v' }, nested: { m: 3 } };
  const cases: Array<[Filter, boolean]> = [
    [f('s', 'eq', 'hello'), true],
    [f('n', 'eq', '5'), false], // type and value
    [f('n', 'eq', 5), true],
    [f('tags', 'eq', 'x'), true], // array element rule, like the equality index
    [f('tags', 'eq', ['x', 'y', 1]), true],
    [f('tags', 'eq', ['y', 'x', 1]), false],
    [f('o', 'eq', { k: 'v' }), true],
    [f('nested.m', 'eq', 3), true],
    [f('missing', 'eq', null), false],
    [f('z', 'eq', null), true],
    [f('s', 'ne', 'x'), true],
    [f('tags', 'ne', 'x'), false],
    [f('missing', 'ne', 1), true], // ne holds when missing
    [f('n', 'lt', 6), true],
    [f('n', 'lt', '6'), false], // ranges only within one type
    [f('n', 'lte', 5), true],
    [f('n', 'gt', 5), false],
    [f('n', 'gte', 5), true],
    [f('s', 'gt', 'he'), true],
    [f('s', 'lt', 'hz'), true],
    [f('tags', 'gt', 0), false], // arrays never satisfy ranges
    [f('missing', 'lt', 10), false],
    [f('n', 'in', [1, 5]), true],
    [f('n', 'in', []), false],
    [f('tags', 'in', ['q', 'y']), true],
    [f('n', 'not_in', [1, 2]), true],
    [f('n', 'not_in', [5]), false],
    [f('missing', 'not_in', [5]), true],
    [f('s', 'contains', 'ell'), true],
    [f('tags', 'contains', 'x'), false], // contains is for strings
    [f('n', 'contains', '5'), false],
    [f('tags', 'array_contains', 1), true],
    [f('tags', 'array_contains', '1'), false],
    [f('s', 'array_contains', 'h'), false],
    [f('s', 'starts_with', 'he'), true],
    [f('s', 'starts_with', 'lo'), false],
    [f('z', 'exists', true), true], // null counts as present
    [f('missing', 'exists', true), false],
    [f('missing', 'exists', false), true],
    [f('s', 'exists', false), false],
  ];

  it.each(cases.map(([filter, want]) => [JSON.stringify(filter), filter, want] as const))('%s', (_name, filter, want) => {
    expect(matches(filter, doc)).toBe(want);
  });

  it('combines with and / or / not', () => {
    const yes = f('n', 'eq', 5);
    const no = f('n', 'eq', 6);
    expect(matches({ kind: 'and', filters: [yes, yes] }, doc)).toBe(true);
    expect(matches({ kind: 'and', filters: [yes, no] }, doc)).toBe(false);
    expect(matches({ kind: 'or', filters: [no, yes] }, doc)).toBe(true);
    expect(matches({ kind: 'or', filters: [no, no] }, doc)).toBe(false);
    expect(matches({ kind: 'not', filter: no }, doc)).toBe(true);
  });
});
