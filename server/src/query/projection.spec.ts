import { project } from './projection.js';

describe('project', () => {
  const data = { a: { b: 1, c: 2 }, d: [1, 2], e: null, f: 's' };

  it('keeps only the given paths with their parents', () => {
    expect(project(data, ['a.b', 'f'])).toEqual({ a: { b: 1 }, f: 's' });
  });

  it('keeps everything when no paths are given', () => {
    expect(project(data, [])).toBe(data);
    expect(project(data, undefined)).toBe(data);
  });

  it('leaves out missing paths and paths through non-objects, keeps nulls', () => {
    expect(project(data, ['x', 'd.0', 'e', 'a.zz'])).toEqual({ e: null, a: {} });
  });

  it('merges overlapping paths in either order', () => {
    expect(project(data, ['a.b', 'a'])).toEqual({ a: { b: 1, c: 2 } });
    expect(project(data, ['a', 'a.b'])).toEqual({ a: { b: 1, c: 2 } });
    expect(project(data, ['a.b', 'a.c'])).toEqual({ a: { b: 1, c: 2 } });
  });

  it('does not modify the input', () => {
    const copy = JSON.parse(JSON.stringify(data));
    project(data, ['a.b']);
    expect(data).toEqual(copy);
  });
});

describe('project with a "__proto__" key', () => {
  it('keeps it as an own property and never touches Object.prototype', () => {
    const data = JSON.parse('{"__proto__":{"polluted":1},"a":1}');
    const out = project(data, ['__proto__.polluted']);
    expect(Object.prototype.hasOwnProperty.call(out, '__proto__')).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"polluted":1}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
