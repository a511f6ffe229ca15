import fc from 'fast-check';
import { DbError } from '../errors/db-error.js';
import { validateCollection, validateExistingId, validateId, validateIdPrefix } from './keys.js';

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
  it.each([
    'a',
    '...',
    '.a',
    'hello world',
    'é'.repeat(100),
    'x'.repeat(200),
    '😀',
    'a:b@c',
    '👨\u200D👩\u200D👧',
    'a\u00A0b',
    '日本語',
    '\u1100\u1161'.normalize('NFC'),
  ])('accepts %j', (id) => {
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
    'a\u0080', // C1 controls
    'a\u0085b', // NEL
    'a\u009F',
    'a\u2028b', // line separator
    'a\u2029b', // paragraph separator
    'abc\u202Etxt.exe', // right-to-left override
    '\u200Eabc', // left-to-right mark
    'a\u2066b', // isolates
    'a\u061Cb', // Arabic letter mark
    '\uFEFFabc', // byte order mark
    'e\u0301', // NFD spelling of é
    'Cafe\u0301',
    '\u212B', // ANGSTROM SIGN: its NFC form is U+00C5
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
          id.normalize('NFC') === id &&
          ![...id].some((ch) => {
            const cp = ch.codePointAt(0)!;
            return (
              ch === '/' ||
              ch === '\\' ||
              cp < 0x20 ||
              (cp >= 0x7f && cp <= 0x9f) ||
              cp === 0x2028 ||
              cp === 0x2029 ||
              cp === 0xfeff ||
              cp === 0x061c ||
              cp === 0x200e ||
              cp === 0x200f ||
              (cp >= 0x202a && cp <= 0x202e) ||
              (cp >= 0x2066 && cp <= 0x2069) ||
              (cp >= 0xd800 && cp <= 0xdfff)
            );
          });
        if (ok) expect(() => validateId(id)).not.toThrow();
        else expect(() => validateId(id)).toThrow(DbError);
      }),
    );
  });
});

describe('the messages of refused ids', () => {
  it('name the code point and its index, and ask for NFC', () => {
    expect(errorOf(() => validateId('ab\u0085')).message).toMatch(/found U\+0085 at index 2/);
    expect(errorOf(() => validateId('e\u0301')).message).toMatch(/normalization form C \(NFC\)/);
  });
});

describe('validateExistingId (deletes)', () => {
  it.each(['a\u0085', 'a\u2028', 'e\u0301', '\uFEFFx'])('still accepts %j, which earlier rules allowed', (id) => {
    expect(() => validateExistingId(id)).not.toThrow();
  });

  it.each(['', '..', 'a/b', 'a\u0000', '\uD800'])('rejects %j as before', (id) => {
    expect(errorOf(() => validateExistingId(id, 'writes[0].id')).field).toBe('writes[0].id');
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
    expect(errorOf(() => validateIdPrefix('a\u2028')).field).toBe('id_prefix');
    expect(errorOf(() => validateIdPrefix('Cafe\u0301')).message).toMatch(/NFC/);
  });
});
