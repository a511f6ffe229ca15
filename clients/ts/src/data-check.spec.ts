import { Code } from '@connectrpc/connect';
import { checkDataKeys } from './data-check.js';
import { SmarterBaseError } from './errors.js';

function thrown(f: () => void): SmarterBaseError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SmarterBaseError);
    return e as SmarterBaseError;
  }
  throw new Error('expected a SmarterBaseError');
}

test('an own key "__proto__" at any depth is INVALID_ARGUMENT naming its path', () => {
  const top = thrown(() => checkDataKeys(JSON.parse('{"__proto__":{"x":1}}')));
  expect([top.code, top.reason, top.metadata.field]).toEqual([Code.InvalidArgument, 'INVALID_ARGUMENT', 'data.__proto__']);
  const inner = thrown(() => checkDataKeys(JSON.parse('{"a":[1,{"b":{"__proto__":null}}]}')));
  expect(inner.metadata.field).toBe('data.a[1].b.__proto__');
  expect(inner.fieldViolations[0]?.field).toBe('data.a[1].b.__proto__');
});

test('other keys, including "constructor" and "prototype", pass', () => {
  expect(() => checkDataKeys({ constructor: 1, prototype: { toString: [1] }, a: { __proto: 1 } })).not.toThrow();
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  expect(() => checkDataKeys(cyclic)).not.toThrow();
});
