import { DbError } from '../../errors/db-error.js';
import { parseKeyring, type Keyring } from './keyring.js';
import { isSealed, open, rewrap, seal, SEALED_OVERHEAD, sealedKekId } from './sealed-body.js';

const k = (byte: number): string => Buffer.alloc(32, byte).toString('base64');
const ring1: Keyring = parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: k(1) } }));
const ring12: Keyring = parseKeyring(JSON.stringify({ primary: 'k2', keys: { k1: k(1), k2: k(2) } }));
const KEY = 'docs/users/ada';
const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

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

describe('seal / open', () => {
  test('round trip: the plaintext comes back, the stored bytes do not contain it, the header names the primary', () => {
    const plain = text('{"data":{"secret":"MARKER-123"}}');
    const sealed = seal(KEY, plain, ring1);
    expect(isSealed(sealed)).toBe(true);
    expect(sealedKekId(sealed)).toBe('k1');
    expect(Buffer.from(sealed).includes('MARKER-123')).toBe(false);
    expect(sealed.length).toBe(plain.length + SEALED_OVERHEAD + 'k1'.length);
    expect(Buffer.from(open(KEY, sealed, ring1)).toString('utf8')).toBe('{"data":{"secret":"MARKER-123"}}');
  });

  test('an empty body round-trips', () => {
    expect(open(KEY, seal(KEY, new Uint8Array(0), ring1), ring1).length).toBe(0);
  });

  test('identical plaintexts give different ciphertexts (fresh data key and nonces each time)', () => {
    const plain = text('{"same":true}');
    const outs = new Set(Array.from({ length: 5 }, () => Buffer.from(seal(KEY, plain, ring1)).toString('hex')));
    expect(outs.size).toBe(5);
  });

  test('clear bodies are not sealed (JSON never starts with NUL)', () => {
    expect(isSealed(text('{"a":1}'))).toBe(false);
    expect(sealedKekId(text('{"a":1}'))).toBeUndefined();
    expect(isSealed(new Uint8Array(0))).toBe(false);
  });
});

describe('tampering → DATA_LOSS / DECRYPTION_FAILED, never garbage', () => {
  const sealed = Buffer.from(seal(KEY, text('{"data":{"n":1,"s":"hello"}}'), ring1));

  test('every single flipped bit, in the header and the body, fails (a flip in the KEK id or its length may be ENCRYPTION_KEY_UNKNOWN)', () => {
    const reasons = new Set<string>();
    for (let i = 0; i < sealed.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const bad = Buffer.from(sealed);
        bad[i]! ^= bit;
        if (i < 4) continue; // the magic: the body then reads as clear bytes, see the next test
        const err = dbErrorOf(() => open(KEY, bad, ring1));
        reasons.add(err.reason);
        // The id's length (5) and the id (6, 7): the header may then name another, unknown, well-formed id.
        if (i >= 5 && i < 8) expect(['DECRYPTION_FAILED', 'ENCRYPTION_KEY_UNKNOWN']).toContain(err.reason);
        else expect([err.kind, err.reason]).toEqual(['data_loss', 'DECRYPTION_FAILED']);
      }
    }
    expect(reasons.has('DECRYPTION_FAILED')).toBe(true);
  });

  test('a body whose magic is broken is no longer sealed: the decorator treats it as clear (documented legacy rule)', () => {
    const bad = Buffer.from(sealed);
    bad[1]! ^= 1;
    expect(isSealed(bad)).toBe(false);
  });

  test('every truncation fails', () => {
    for (let len = 4; len < sealed.length; len++) {
      expect(dbErrorOf(() => open(KEY, sealed.subarray(0, len), ring1)).reason).toBe('DECRYPTION_FAILED');
    }
  });

  test('an appended byte fails', () => {
    expect(dbErrorOf(() => open(KEY, Buffer.concat([sealed, Buffer.from([0])]), ring1)).reason).toBe('DECRYPTION_FAILED');
  });

  test('a body moved to another key (another id, another collection) fails: the storage key is authenticated', () => {
    for (const other of ['docs/users/bob', 'docs/admins/ada', 'docs/users/ada ']) {
      const err = dbErrorOf(() => open(other, sealed, ring1));
      expect([err.kind, err.reason, err.metadata]).toEqual(['data_loss', 'DECRYPTION_FAILED', { key: other }]);
    }
  });

  test("another version's wrapped key spliced into the header fails", () => {
    const other = Buffer.from(seal(KEY, text('{"data":{"n":1,"s":"hello"}}'), ring1));
    const spliced = Buffer.concat([other.subarray(0, 8 + 12 + 48), sealed.subarray(8 + 12 + 48)]);
    expect(dbErrorOf(() => open(KEY, spliced, ring1)).reason).toBe('DECRYPTION_FAILED');
  });

  test('an unknown KEK id is FAILED_PRECONDITION / ENCRYPTION_KEY_UNKNOWN naming the id', () => {
    const underK2 = seal(KEY, text('{}'), parseKeyring(JSON.stringify({ primary: 'k2', keys: { k2: k(2) } })));
    const err = dbErrorOf(() => open(KEY, underK2, ring1));
    expect([err.kind, err.reason, err.metadata]).toEqual(['failed_precondition', 'ENCRYPTION_KEY_UNKNOWN', { key: KEY, kekId: 'k2' }]);
  });

  test('a KEK with the right id but other bytes fails DECRYPTION_FAILED', () => {
    const wrong = parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: k(9) } }));
    expect(dbErrorOf(() => open(KEY, sealed, wrong)).reason).toBe('DECRYPTION_FAILED');
  });
});

describe('rewrap', () => {
  test('moves a body to the primary KEK, keeps its ciphertext, and it still opens', () => {
    const sealed = Buffer.from(seal(KEY, text('{"data":{"v":42}}'), ring1));
    const moved = Buffer.from(rewrap(KEY, sealed, ring12));
    expect(sealedKekId(moved)).toBe('k2');
    // Header grows by nothing (same id length); the body nonce, ciphertext and tag are unchanged.
    expect(moved.subarray(8 + 12 + 48)).toEqual(sealed.subarray(8 + 12 + 48));
    expect(Buffer.from(open(KEY, moved, ring12)).toString()).toBe('{"data":{"v":42}}');
    // k1 alone can no longer open it.
    expect(dbErrorOf(() => open(KEY, moved, ring1)).reason).toBe('ENCRYPTION_KEY_UNKNOWN');
  });

  test('refuses a corrupt body instead of giving it a fresh header', () => {
    const sealed = Buffer.from(seal(KEY, text('{"data":{"v":42}}'), ring1));
    sealed[sealed.length - 20]! ^= 1;
    expect(dbErrorOf(() => rewrap(KEY, sealed, ring12)).reason).toBe('DECRYPTION_FAILED');
  });
});
