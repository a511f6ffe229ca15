import fc from 'fast-check';
import { DbError } from '../errors/db-error.js';
import {
  collectionPrefix,
  documentKey,
  idFromKey,
  validateCollection,
  validateId,
  validateIdPrefix,
} from './keys.js';

function errorOf(fn: () => void): DbError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DbError) return e;
    throw e;
  }
  throw new Error('expected a DbError');
}

describe('validateCollection', () => {
  it.each(['users', 'a', '9lives', 'A_b.c-d', 'x'.repeat(128)])('accepts %j', (c) => {
    expect(() => validateCollection(c)).not.toThrow();
  });

  it.each(['', '_x', '.x', '-x', 'a/b', 'a b', 'é', 'x'.repeat(129), 'a\u0000'])('rejects %j', (c) => {
    const e = errorOf(() => validateCollection(c));
    expect(e.kind).toBe('invalid');
    expect(e.reason).toBe('INVALID_COLLECTION');
    expect(e.field).toBe('collection');
  });
});

describe('validateId', () => {
  it.each(['a', '...', '.a', 'hello world', 'é'.repeat(100), 'x'.repeat(200), '😀', 'a:b@c'])('accepts %j', (id) => {
    expect(() => validateId(id)).not.toThrow();
  });

  it.each([
    '',
    '.',
    '..',
    'a/b',
    'a\\b',
    'a\u0000',
    'a\u001F',
    'a\u007F',
    '\n',
    'x'.repeat(201),
    'é'.repeat(101), // 202 bytes
    '\uD800', // lone surrogate
  ])('rejects %j', (id) => {
    const e = errorOf(() => validateId(id));
    expect(e.kind).toBe('invalid');
    expect(e.reason).toBe('INVALID_ID');
    expect(e.field).toBe('id');
  });

  it('accepts exactly the strings that satisfy the rules (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (id) => {
        const ok =
          id.length > 0 &&
          id !== '.' &&
          id !== '..' &&
          Buffer.byteLength(id) <= 200 &&
          ![...id].some((ch) => ch === '/' || ch === '\\' || ch.charCodeAt(0) < 0x20 || ch === '\u007F');
        if (ok) expect(() => validateId(id)).not.toThrow();
        else expect(() => validateId(id)).toThrow(DbError);
      }),
    );
  });
});

describe('validateIdPrefix', () => {
  it('accepts the empty prefix, "." and ids', () => {
    expect(() => validateIdPrefix('')).not.toThrow();
    expect(() => validateIdPrefix('.')).not.toThrow();
    expect(() => validateIdPrefix('user-')).not.toThrow();
  });
  it('rejects what an id may not contain', () => {
    const e = errorOf(() => validateIdPrefix('a/'));
    expect(e.reason).toBe('INVALID_ID');
    expect(e.field).toBe('id_prefix');
    expect(() => validateIdPrefix('x'.repeat(201))).toThrow(DbError);
  });
});

describe('documentKey', () => {
  it('is docs/<collection>/<id> and round-trips through idFromKey', () => {
    expect(documentKey('users', 'u1')).toBe('docs/users/u1');
    expect(collectionPrefix('users')).toBe('docs/users/');
    expect(idFromKey('users', 'docs/users/u1')).toBe('u1');
    expect(idFromKey('users', 'docs/other/u1')).toBeUndefined();
    expect(idFromKey('users', 'docs/users/')).toBeUndefined();
  });

  it('orders keys of one collection like their ids in UTF-8 byte order (property)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        const byId = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
        const byKey = Math.sign(
          Buffer.compare(Buffer.from(documentKey('c', a)), Buffer.from(documentKey('c', b))),
        );
        expect(byKey).toBe(byId);
      }),
    );
  });
});
