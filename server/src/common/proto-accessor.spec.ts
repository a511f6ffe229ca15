import { runInNewContext } from 'node:vm';
import { removeProtoAccessor } from './proto-accessor.js';

test('without the accessor, assigning the key "__proto__" makes an own property instead of changing the prototype', () => {
  // A separate realm, so this process keeps its own Object.prototype.
  const realm = runInNewContext('({ Object, JSON })') as { Object: ObjectConstructor; JSON: JSON };
  const assign = (): object => {
    const o = new realm.Object() as Record<string, unknown>;
    o['__proto__'] = { x: 1 };
    return o;
  };
  expect(Object.keys(assign())).toEqual([]);
  expect(removeProtoAccessor(realm.Object.prototype)).toBe(true);
  const o = assign();
  expect(Object.keys(o)).toEqual(['__proto__']);
  expect(Object.getPrototypeOf(o)).toBe(realm.Object.prototype);
  expect(realm.JSON.stringify(o)).toBe('{"__proto__":{"x":1}}');
});
