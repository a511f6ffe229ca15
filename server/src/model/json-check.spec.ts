import { isValidJsonObject, jsonObjectProblem, MAX_JSON_DEPTH } from './json-check.js';

describe('jsonObjectProblem', () => {
  it('accepts JSON objects', () => {
    expect(jsonObjectProblem({})).toBeUndefined();
    expect(jsonObjectProblem({ a: [1, 'x', null, true, { b: -0.5 }] })).toBeUndefined();
    expect(isValidJsonObject(Object.create(null))).toBe(true);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', []],
    ['a string', 'x'],
    ['NaN inside', { a: NaN }],
    ['Infinity in an array', { a: [Infinity] }],
    ['undefined', { a: undefined }],
    ['a function', { a: () => 1 }],
    ['a Date', { a: new Date() }],
    ['a bigint', { a: 1n }],
    ['a class instance as data', new Map()],
  ])('rejects %s', (_name, v) => {
    expect(jsonObjectProblem(v)).toEqual(expect.any(String));
  });

  it('limits the nesting depth', () => {
    const nest = (n: number): Record<string, unknown> => {
      let v: Record<string, unknown> = {};
      for (let i = 1; i < n; i++) v = { v };
      return v;
    };
    expect(jsonObjectProblem(nest(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonObjectProblem(nest(MAX_JSON_DEPTH + 1))).toMatch(/deeper/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonObjectProblem(cyclic)).toMatch(/deeper/);
  });
});
