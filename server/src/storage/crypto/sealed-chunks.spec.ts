import { randomBytes } from 'node:crypto';
import { DbError } from '../../errors/db-error.js';
import { parseKeyring, type Keyring } from './keyring.js';
import {
  CHUNK_BYTES,
  CHUNK_OVERHEAD,
  CHUNK_STRIDE,
  newObjectHeader,
  OBJECT_HEADER_BYTES,
  openChunk,
  openObjectHeader,
  plainSize,
  sealChunk,
  sealedSize,
} from './sealed-chunks.js';

const k = (byte: number): string => Buffer.alloc(32, byte).toString('base64');
const ring1: Keyring = parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: k(1) } }));
const ring2: Keyring = parseKeyring(JSON.stringify({ primary: 'k2', keys: { k2: k(2) } }));
const ring1wrong: Keyring = parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: k(9) } }));
const KEY = '_objdata/files/a/v1';

/** The DbError `fn` throws (fails the test when it throws none or another error). */
function dbErrorOf(fn: () => unknown): DbError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DbError) return e;
    throw e;
  }
  throw new Error('expected a DbError');
}

describe('sizes', () => {
  test.each([0, 1, CHUNK_BYTES - 1, CHUNK_BYTES, CHUNK_BYTES + 1, 5 * CHUNK_BYTES, 8 * 1024 * 1024 + 7])(
    'plainSize inverts sealedSize for %i bytes',
    (n) => {
      expect(plainSize(KEY, sealedSize(n))).toBe(n);
    },
  );

  test('every object has a final chunk: a multiple of the chunk size ends with an empty one', () => {
    expect(sealedSize(0)).toBe(OBJECT_HEADER_BYTES + CHUNK_OVERHEAD);
    expect(sealedSize(CHUNK_BYTES)).toBe(OBJECT_HEADER_BYTES + CHUNK_STRIDE + CHUNK_OVERHEAD);
  });

  test('a stored size no plaintext has (cut at a chunk boundary, or inside the header) is DECRYPTION_FAILED', () => {
    expect(dbErrorOf(() => plainSize(KEY, OBJECT_HEADER_BYTES + CHUNK_STRIDE)).reason).toBe('DECRYPTION_FAILED');
    expect(dbErrorOf(() => plainSize(KEY, OBJECT_HEADER_BYTES + 3)).reason).toBe('DECRYPTION_FAILED');
    expect(dbErrorOf(() => plainSize(KEY, 10)).reason).toBe('DECRYPTION_FAILED');
  });
});

describe('header', () => {
  test('the header opens to the same DEK; a fresh header has a fresh DEK', () => {
    const a = newObjectHeader(KEY, ring1);
    const b = newObjectHeader(KEY, ring1);
    expect(a.header.length).toBe(OBJECT_HEADER_BYTES);
    expect(openObjectHeader(KEY, a.header, ring1).equals(a.dek)).toBe(true);
    expect(a.dek.equals(b.dek)).toBe(false);
  });

  test('a header moved to another key, or with any byte flipped, is DECRYPTION_FAILED', () => {
    const { header } = newObjectHeader(KEY, ring1);
    expect(dbErrorOf(() => openObjectHeader('_objdata/files/b/v1', header, ring1)).reason).toBe('DECRYPTION_FAILED');
    for (const at of [0, 4, 5, 8, 40, 71, 90, 130]) {
      const bad = Buffer.from(header);
      bad[at] ^= 0x01;
      const e = dbErrorOf(() => openObjectHeader(KEY, bad, ring1));
      expect([at, e.reason]).toEqual([at, at === 7 || at === 8 ? 'ENCRYPTION_KEY_UNKNOWN' : 'DECRYPTION_FAILED']);
    }
  });

  test('a KEK id the keyring lacks is ENCRYPTION_KEY_UNKNOWN; the same id with another key is DECRYPTION_FAILED', () => {
    const { header } = newObjectHeader(KEY, ring1);
    const unknown = dbErrorOf(() => openObjectHeader(KEY, header, ring2));
    expect(unknown.reason).toBe('ENCRYPTION_KEY_UNKNOWN');
    expect(unknown.metadata.kekId).toBe('k1');
    expect(dbErrorOf(() => openObjectHeader(KEY, header, ring1wrong)).reason).toBe('DECRYPTION_FAILED');
  });
});

describe('chunks', () => {
  const dek = randomBytes(32);
  const full = randomBytes(CHUNK_BYTES);

  test('a chunk opens only as itself: same key, index and final flag', () => {
    const sealed = sealChunk(KEY, dek, 3, false, full);
    expect(sealed.length).toBe(CHUNK_STRIDE);
    expect(openChunk(KEY, dek, 3, false, sealed).equals(full)).toBe(true);
    expect(dbErrorOf(() => openChunk(KEY, dek, 4, false, sealed)).reason).toBe('DECRYPTION_FAILED'); // reordered
    expect(dbErrorOf(() => openChunk(KEY, dek, 3, true, sealed)).reason).toBe('DECRYPTION_FAILED'); // claimed final
    expect(dbErrorOf(() => openChunk('_objdata/files/b/v1', dek, 3, false, sealed)).reason).toBe('DECRYPTION_FAILED'); // moved
    expect(dbErrorOf(() => openChunk(KEY, randomBytes(32), 3, false, sealed)).reason).toBe('DECRYPTION_FAILED'); // wrong DEK
  });

  test('a flipped byte anywhere in a chunk (nonce, ciphertext, tag) is DECRYPTION_FAILED', () => {
    const sealed = sealChunk(KEY, dek, 0, true, Buffer.from('hello'));
    for (let at = 0; at < sealed.length; at++) {
      const bad = Buffer.from(sealed);
      bad[at] ^= 0x80;
      expect(dbErrorOf(() => openChunk(KEY, dek, 0, true, bad)).reason).toBe('DECRYPTION_FAILED');
    }
  });

  test('a truncated final chunk fails; an empty final chunk is 28 bytes and opens empty', () => {
    const sealed = sealChunk(KEY, dek, 1, true, Buffer.from('tail bytes'));
    expect(dbErrorOf(() => openChunk(KEY, dek, 1, true, sealed.subarray(0, sealed.length - 1))).reason).toBe('DECRYPTION_FAILED');
    const empty = sealChunk(KEY, dek, 2, true, new Uint8Array(0));
    expect(empty.length).toBe(CHUNK_OVERHEAD);
    expect(openChunk(KEY, dek, 2, true, empty).length).toBe(0);
  });

  test('identical plaintext chunks seal differently (random nonce per chunk)', () => {
    expect(sealChunk(KEY, dek, 0, false, full).equals(sealChunk(KEY, dek, 0, false, full))).toBe(false);
  });

  test('sealing refuses a short non-final chunk and a full final one (the format needs both fixed)', () => {
    expect(() => sealChunk(KEY, dek, 0, false, full.subarray(1))).toThrow(/cannot be a full chunk/);
    expect(() => sealChunk(KEY, dek, 0, true, full)).toThrow(/cannot be a final chunk/);
  });
});
