import type { IndexInfo } from '../../model/index-def.js';
import { collectionBase, compileExpr, equalitySetPattern, numberBounds, stringBounds } from './redis-index-layout.js';

describe('redis index layout', () => {
  it('puts a collection under one hash tag', () => {
    expect(collectionBase('sb:', 'users')).toBe('sb:{ix:users}:');
  });

  it('escapes glob characters of the base in SCAN patterns', () => {
    expect(equalitySetPattern('p*[?]\\:{ix:c}:', 'name@3')).toBe('p\\*\\[\\?\\]\\\\:{ix:c}:e:name@3:*');
  });

  it('turns number ranges into ZRANGEBYSCORE bounds', () => {
    expect(numberBounds(undefined)).toEqual(['-inf', '+inf']);
    expect(numberBounds({ type: 'number', lower: { value: 1.5, inclusive: true }, upper: { value: 1e21, inclusive: false } })).toEqual([
      '1.5',
      '(1e+21',
    ]);
  });

  it('turns string ranges into ZRANGEBYLEX bounds around value NUL NUL id members', () => {
    expect(stringBounds(undefined)).toEqual(['-', '+']);
    expect(stringBounds({ type: 'string', lower: { value: 'a\u0000', inclusive: true }, upper: { value: 'b', inclusive: true } })).toEqual([
      '[a\u0000\u0001\u0000\u0000',
      '(b\u0000\u0001',
    ]);
    expect(stringBounds({ type: 'string', lower: { value: 'a', inclusive: false }, upper: { value: 'b', inclusive: false } })).toEqual([
      '[a\u0000\u0001',
      '(b\u0000\u0000',
    ]);
  });

  it('compiles set expressions to postfix programs with typed, encoded values', () => {
    const ix = (name: string, kind: IndexInfo['kind']): IndexInfo => ({
      collection: 'c',
      name,
      kind,
      fields: ['f'],
      state: 'ready',
      documentsScanned: 0,
      createTime: new Date(0),
    });
    const cat = {
      catalog: { version: 1, indexes: [ix('e', 'equality'), ix('u', 'unique'), ix('o', 'ordered')] },
      tokens: new Map([
        ['e', 'e@1'],
        ['u', 'u@2'],
        ['o', 'o@3'],
      ]),
    };
    expect(
      compileExpr(
        {
          op: 'diff',
          from: {
            op: 'and',
            args: [
              { op: 'eq', index: 'e', values: ['x:y'] },
              { op: 'eq', index: 'u', values: [1] },
            ],
          },
          minus: { op: 'or', args: [{ op: 'eq', index: 'o', values: [true] }, { op: 'all' }, { op: 'eq', index: 'o', values: [2] }] },
        },
        cat,
        'c',
      ),
    ).toEqual(['K', 'e:e@1:["x:y"]', 'U', 'u@2', '[1]', '&', '2', '0', 'K', 'all', 'N', 'o@3', '2', '2', '|', '3', '-']);
  });
});
