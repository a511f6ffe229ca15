import { isDbError } from '../errors/db-error.js';
import { checkDocumentData, isValidJsonObject, jsonObjectIssue, jsonObjectProblem, jsonValueIssue, MAX_JSON_DEPTH } from './json-check.js';

/** An object nested `n` levels deep, counting itself: nest(1) is {}, nest(2) is {v:{}}. */
const nest = (n: number): Record<string, unknown> => {
  let v: Record<string, unknown> = {};
  for (let i = 1; i < n; i++) v = { v };
  return v;
};

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

  it('limits the nesting depth to 32 levels, the top-level object being level 1', () => {
    expect(MAX_JSON_DEPTH).toBe(32);
    expect(jsonObjectIssue(nest(MAX_JSON_DEPTH))).toBeUndefined();
    expect(jsonObjectIssue(nest(MAX_JSON_DEPTH + 1))).toMatchObject({ kind: 'too_deep', message: expect.stringMatching(/deeper than 32/) });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(jsonObjectIssue(cyclic)?.kind).toBe('too_deep');
  });

  it('counts arrays as levels too', () => {
    let v: unknown = 1;
    for (let i = 1; i < MAX_JSON_DEPTH; i++) v = [v];
    expect(jsonObjectIssue({ a: v })).toBeUndefined();
    expect(jsonObjectIssue({ a: [v] })?.kind).toBe('too_deep');
  });

  it('refuses an own key "__proto__" at any level, naming its path; "constructor" and "prototype" are plain keys', () => {
    const top = JSON.parse('{"__proto__":{"x":1}}') as unknown;
    expect(jsonObjectIssue(top)).toMatchObject({ kind: 'forbidden_key', path: 'data.__proto__' });
    const inner = JSON.parse('{"a":[{"__proto__":1}]}') as unknown;
    expect(jsonObjectIssue(inner)).toMatchObject({ kind: 'forbidden_key', path: 'data.a[0].__proto__' });
    expect(jsonObjectIssue({ constructor: 1, prototype: { constructor: 'x' }, toString: 2 })).toBeUndefined();
  });
});

describe('jsonValueIssue (filter operands)', () => {
  it('a scalar has no nesting; an object or list operand may nest MAX_JSON_DEPTH levels', () => {
    expect(jsonValueIssue('s', 'value')).toBeUndefined();
    expect(jsonValueIssue(nest(MAX_JSON_DEPTH), 'value')).toBeUndefined();
    expect(jsonValueIssue(nest(MAX_JSON_DEPTH + 1), 'value')?.kind).toBe('too_deep');
  });
});

describe('checkDocumentData', () => {
  it('too deep data is INVALID_ARGUMENT / DOCUMENT_TOO_DEEP with field, path and maxDepth', () => {
    let err: unknown;
    try {
      checkDocumentData(nest(MAX_JSON_DEPTH + 1), 'writes[0].set.data', 'writes[0]: ');
    } catch (e) {
      err = e;
    }
    expect(isDbError(err, 'DOCUMENT_TOO_DEEP')).toBe(true);
    expect(err).toMatchObject({ kind: 'invalid', field: 'writes[0].set.data', message: expect.stringMatching(/^writes\[0\]: data\.v/) });
    expect((err as { metadata: Record<string, string> }).metadata).toMatchObject({ field: 'writes[0].set.data', maxDepth: '32' });
  });

  it('other problems stay INVALID_ARGUMENT / INVALID_ARGUMENT', () => {
    expect(() => checkDocumentData({ a: NaN })).toThrow(expect.objectContaining({ reason: 'INVALID_ARGUMENT', field: 'data' }) as Error);
    expect(() => checkDocumentData(JSON.parse('{"a":{"__proto__":1}}'))).toThrow(
      expect.objectContaining({ reason: 'INVALID_ARGUMENT', field: 'data.a.__proto__' }) as Error,
    );
    expect(() => checkDocumentData(JSON.parse('{"__proto__":1}'), 'writes[1].set.data')).toThrow(
      expect.objectContaining({ field: 'writes[1].set.data.__proto__' }) as Error,
    );
  });
});
