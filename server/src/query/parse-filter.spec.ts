import { isDbError, type DbError } from '../errors/db-error.js';
import type { Filter, FieldOp } from '../model/filter.js';
import type { JsonValue } from '../model/json.js';
import { MAX_EXPRESSION_CHARS, parseFilter } from './parse-filter.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_TERMS } from './validate-filter.js';

const f = (field: string, op: FieldOp, value: JsonValue): Filter => ({ kind: 'field', field, op, value });

function parseError(expr: string): DbError {
  try {
    parseFilter(expr);
  } catch (e) {
    if (isDbError(e, 'INVALID_FILTER')) return e;
    throw e;
  }
  throw new Error(`expected ${expr} to fail`);
}

describe('parseFilter', () => {
  it.each<[string, Filter]>([
    ['status = "active"', f('status', 'eq', 'active')],
    ['n != 3', f('n', 'ne', 3)],
    ['n < -1.5e3', f('n', 'lt', -1500)],
    ['n <= 0', f('n', 'lte', 0)],
    ['n > 2', f('n', 'gt', 2)],
    ['n >= 21', f('n', 'gte', 21)],
    ['name : "ali"', f('name', 'contains', 'ali')],
    ['a.b.c = true', f('a.b.c', 'eq', true)],
    ['x = null', f('x', 'eq', null)],
    ['x = false', f('x', 'eq', false)],
    ['x = [1, "a", [null]]', f('x', 'eq', [1, 'a', [null]])],
    ['x = {"k": 1, "l": [2]}', f('x', 'eq', { k: 1, l: [2] })],
    ['`odd key`.`AND` = 1', f('odd key.AND', 'eq', 1)],
    ['`with \\` tick` = 1', f('with ` tick', 'eq', 1)],
    ['s = "q\\"\\\\\\n\\u00e9"', f('s', 'eq', 'q"\\\né')],
    ["s = 'single'", f('s', 'eq', 'single')],
    ['starts_with(name, "Al")', f('name', 'starts_with', 'Al')],
    ['contains(name, "li")', f('name', 'contains', 'li')],
    ['array_contains(tags, 3)', f('tags', 'array_contains', 3)],
    ['exists(a.b)', f('a.b', 'exists', true)],
    ['exists(a.b, false)', f('a.b', 'exists', false)],
    ['n IN [1, 2]', f('n', 'in', [1, 2])],
    ['n NOT IN []', f('n', 'not_in', [])],
    ['NOT n = 1', { kind: 'not', filter: f('n', 'eq', 1) }],
    ['-n = 1', { kind: 'not', filter: f('n', 'eq', 1) }],
    ['n = -1', f('n', 'eq', -1)],
  ])('%s', (expr, want) => {
    expect(parseFilter(expr)).toEqual(want);
  });

  it('binds NOT tighter than AND, and AND tighter than OR', () => {
    expect(parseFilter('a = 1 OR NOT b = 2 AND c = 3')).toEqual({
      kind: 'or',
      filters: [f('a', 'eq', 1), { kind: 'and', filters: [{ kind: 'not', filter: f('b', 'eq', 2) }, f('c', 'eq', 3)] }],
    });
  });

  it('lets parentheses override precedence and flattens chains', () => {
    expect(parseFilter('(a = 1 OR b = 2) AND c = 3 AND d = 4')).toEqual({
      kind: 'and',
      filters: [{ kind: 'or', filters: [f('a', 'eq', 1), f('b', 'eq', 2)] }, f('c', 'eq', 3), f('d', 'eq', 4)],
    });
  });

  it.each<[string, number, RegExp]>([
    ['', 0, /expected a filter/],
    ['a =', 3, /expected a value/],
    ['a = 1 AND', 9, /expected a field name/],
    ['a = 1 b = 2', 6, /expected AND, OR or the end/],
    ['(a = 1', 6, /expected "\)"/],
    ['a == 1', 3, /expected a value/],
    ['a = "unterminated', 4, /unterminated string/],
    ['a = 1 # x', 6, /unexpected character "#"/],
    ['a ~ 1', 2, /unexpected character "~"/],
    ['a ? 1', 2, /unexpected character/],
    ['AND = 1', 0, /expected a field name/],
    ['a : 3', 4, /":" \(contains\) takes a string/],
    ['a < true', 4, /takes a number or a string/],
    ['n IN 3', 5, /expected a list/],
    ['starts_with(a, 3)', 15, /starts_with takes a string/],
    ['exists(a, 1)', 10, /exists takes true or false/],
    ['a = "\\x"', 5, /unknown escape/],
    ['a = 1.', 5, /after a number/],
  ])('rejects %j at position %d', (expr, pos, message) => {
    const e = parseError(expr);
    expect(e.kind).toBe('invalid');
    expect(e.field).toBe('filter_expression');
    expect(e.metadata.position).toBe(String(pos));
    expect(e.metadata.expression).toBe(expr);
    expect(e.message).toMatch(message);
    expect(e.message).toContain(`position ${pos}`);
  });

  it('limits IN lists, composite width and nesting depth', () => {
    const list = `n IN [${Array.from({ length: 101 }, (_, i) => i).join(', ')}]`;
    expect(parseError(list).message).toMatch(/at most 100 values/);
    const chain = Array.from({ length: 101 }, (_, i) => `a = ${i}`).join(' AND ');
    expect(parseError(chain).message).toMatch(/at most 100 filters/);
    const deep = `${'('.repeat(40)}a = 1${')'.repeat(40)}`;
    expect(parseError(deep).message).toMatch(/nesting exceeds/);
    const notDeep = `${'NOT '.repeat(40)}a = 1`;
    expect(parseError(notDeep).message).toMatch(/nesting exceeds/);
    expect(parseError(notDeep).metadata.maxDepth).toBe(String(MAX_FILTER_DEPTH));
    expect(() => parseFilter(`${'NOT '.repeat(MAX_FILTER_DEPTH)}a = 1`)).not.toThrow();
  });

  it('limits the comparisons of the whole expression, wherever they nest', () => {
    const group = (n: number, from: number) => `(${Array.from({ length: n }, (_, i) => `a = ${from + i}`).join(' AND ')})`;
    const atLimit = `${group(50, 0)} OR ${group(MAX_FILTER_TERMS - 50, 50)}`;
    expect(() => parseFilter(atLimit)).not.toThrow();
    const over = `${atLimit} OR starts_with(s, "x")`;
    const e = parseError(over);
    expect(e.message).toMatch(/more than 100 comparisons/);
    expect(e.metadata).toMatchObject({ maxTerms: String(MAX_FILTER_TERMS), position: String(atLimit.length + 4) });
    const funcs = Array.from({ length: 101 }, () => 'exists(a)');
    expect(parseError(`(${funcs.slice(0, 60).join(' OR ')}) AND (${funcs.slice(60).join(' OR ')})`).message).toMatch(
      /more than 100 comparisons/,
    );
  });

  it('refuses an expression longer than MAX_EXPRESSION_CHARS before reading it, and names the limit', () => {
    const padded = (n: number) => `a = "${'x'.repeat(n - 6)}"`;
    expect(() => parseFilter(padded(MAX_EXPRESSION_CHARS))).not.toThrow();
    const e = parseError(padded(MAX_EXPRESSION_CHARS + 1) + ' AND (');
    expect(e.message).toMatch(/the limit is 16384/);
    expect(e.metadata.maxChars).toBe('16384');
    expect(e.metadata.expression!.length).toBeLessThanOrEqual(200);
  });
});
