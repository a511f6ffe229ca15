import { fieldPathProblem, getField, MISSING } from './field-path.js';

describe('getField', () => {
  const data = { a: { b: { c: 1 }, n: null, arr: [{ x: 1 }] }, top: 'v' };

  it('follows dotted paths through objects', () => {
    expect(getField(data, 'top')).toBe('v');
    expect(getField(data, 'a.b.c')).toBe(1);
    expect(getField(data, 'a.b')).toEqual({ c: 1 });
  });

  it('distinguishes a present null from a missing field', () => {
    expect(getField(data, 'a.n')).toBeNull();
    expect(getField(data, 'a.nope')).toBe(MISSING);
    expect(getField(data, 'a.n.deeper')).toBe(MISSING);
  });

  it('does not index into arrays nor read inherited properties', () => {
    expect(getField(data, 'a.arr.x')).toBe(MISSING);
    expect(getField(data, 'a.arr.0')).toBe(MISSING);
    expect(getField(data, 'toString')).toBe(MISSING);
    expect(getField(data, 'a.constructor')).toBe(MISSING);
  });
});

describe('fieldPathProblem', () => {
  it('rejects empty paths and empty segments', () => {
    expect(fieldPathProblem('')).toMatch(/empty/);
    expect(fieldPathProblem('a..b')).toMatch(/empty segment/);
    expect(fieldPathProblem('.a')).toMatch(/empty segment/);
    expect(fieldPathProblem('a.b')).toBeUndefined();
  });
});
