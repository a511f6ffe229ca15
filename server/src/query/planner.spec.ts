import { isDbError } from '../errors/db-error.js';
import type { IndexInfo, IndexKind } from '../model/index-def.js';
import { parseFilter } from './parse-filter.js';
import { indexRequired, planQuery } from './planner.js';

const idx = (name: string, kind: IndexKind, fields: string[], state: IndexInfo['state'] = 'ready'): IndexInfo => ({
  collection: 'c',
  name,
  kind,
  fields,
  state,
  documentsScanned: 0,
  createTime: new Date(0),
});

const catalog = [
  idx('by_status', 'equality', ['status']),
  idx('by_email', 'unique', ['email']),
  idx('by_age', 'ordered', ['age']),
  idx('by_name', 'ordered', ['name']),
  idx('by_pair', 'equality', ['a', 'b']),
  idx('by_city', 'equality', ['city'], 'building'),
];

const plan = (expr: string | undefined, orderBy: { field: string; direction: 'asc' | 'desc' }[] = []) =>
  planQuery(catalog, expr === undefined ? undefined : parseFilter(expr), orderBy);

describe('planQuery', () => {
  it('answers eq on an equality index exactly', () => {
    const p = plan('status = "active"');
    expect(p.candidates).toEqual({ op: 'eq', index: 'by_status', values: ['active'] });
    expect(p.exact).toBe(true);
    expect(p.residual).toBeUndefined();
    expect(p.scan).toBe(false);
    expect(p.indexesUsed).toEqual(['by_status']);
  });

  it('turns IN into a union and ranges/starts_with into ordered ranges', () => {
    expect(plan('email IN ["a", "b"]').candidates).toEqual({
      op: 'or',
      args: [
        { op: 'eq', index: 'by_email', values: ['a'] },
        { op: 'eq', index: 'by_email', values: ['b'] },
      ],
    });
    expect(plan('age >= 21').candidates).toEqual({
      op: 'range',
      index: 'by_age',
      range: { type: 'number', lower: { value: 21, inclusive: true } },
    });
    expect(plan('starts_with(name, "Al")').candidates).toEqual({
      op: 'range',
      index: 'by_name',
      range: { type: 'string', lower: { value: 'Al', inclusive: true }, upper: { value: 'Am', inclusive: false } },
    });
  });

  it('intersects the indexable parts of an AND and keeps the rest as residual', () => {
    const p = plan('status = "active" AND age > 30 AND nick : "x"');
    expect(p.candidates).toEqual({
      op: 'and',
      args: [
        { op: 'eq', index: 'by_status', values: ['active'] },
        { op: 'range', index: 'by_age', range: { type: 'number', lower: { value: 30, inclusive: false } } },
      ],
    });
    expect(p.exact).toBe(false);
    expect(p.residual).toEqual({ kind: 'field', field: 'nick', op: 'contains', value: 'x' });
  });

  it('uses a composite index only when every field has an eq', () => {
    expect(plan('a = 1 AND b = "x"').candidates).toEqual({ op: 'eq', index: 'by_pair', values: [1, 'x'] });
    expect(plan('a = 1 AND b = "x"').exact).toBe(true);
    expect(plan('a = 1').scan).toBe(true);
  });

  it('uses an OR only when every branch is indexable', () => {
    expect(plan('status = "a" OR age < 3').candidates?.op).toBe('or');
    const p = plan('status = "a" OR nick = "b"');
    expect(p.candidates).toBeUndefined();
    expect(p.scan).toBe(true);
    expect(p.residual).toEqual(parseFilter('status = "a" OR nick = "b"'));
  });

  it('leaves not, ne, not_in, contains, exists and array_contains residual', () => {
    for (const e of [
      'NOT status = "a"',
      'status != "a"',
      'status NOT IN ["a"]',
      'status : "a"',
      'exists(status)',
      'array_contains(status, "a")',
    ]) {
      expect(plan(e).scan).toBe(true);
    }
  });

  it('looks up eq of any value (null, arrays, objects) in an equality index', () => {
    expect(plan('status = null').candidates).toEqual({ op: 'eq', index: 'by_status', values: [null] });
    expect(plan('status = ["a", 1]').candidates).toEqual({ op: 'eq', index: 'by_status', values: [['a', 1]] });
    expect(plan('age = true').scan).toBe(true); // ordered indexes hold numbers and strings only
  });

  it('ignores indexes that are not ready', () => {
    expect(plan('city = "x"').scan).toBe(true);
  });

  it('does not answer eq from an ordered index (eq matches array elements, which ordered indexes lack)', () => {
    expect(plan('age = 3').scan).toBe(true);
  });

  it('walks an ordered index for the first order term, within the filter candidates', () => {
    const p = plan('status = "a"', [{ field: 'age', direction: 'desc' }]);
    expect(p.order).toEqual({ kind: 'walk', index: 'by_age', field: 'age', direction: 'desc' });
    expect(p.indexesUsed).toEqual(['by_age', 'by_status']);
    const all = plan(undefined, [{ field: 'age', direction: 'asc' }]);
    expect(all.scan).toBe(false);
    expect(all.exact).toBe(true);
    expect(plan('status = "a"', [{ field: 'nick', direction: 'asc' }]).order).toEqual({ kind: 'memory' });
    expect(plan(undefined).order).toEqual({ kind: 'id' });
    expect(plan(undefined).scan).toBe(true);
  });

  it('suggests an index when one is required', () => {
    const e = indexRequired('c', parseFilter('nick = "x"'), []);
    expect(isDbError(e, 'INDEX_REQUIRED')).toBe(true);
    expect(e.kind).toBe('failed_precondition');
    expect(e.metadata).toEqual({ collection: 'c', suggestedIndex: 'an equality index on (nick)' });
    expect(indexRequired('c', undefined, [{ field: 'x', direction: 'asc' }]).metadata.suggestedIndex).toBe('an ordered index on (x)');
    expect(indexRequired('c', parseFilter('x > 1'), []).metadata.suggestedIndex).toBe('an ordered index on (x)');
  });
});
