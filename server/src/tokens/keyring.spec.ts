import { acceptedKeys, decodeKeyring, encodeKeyring, rotate, signingKey, type Keyring, type RingKey } from './keyring.js';

const policy = { rotateAfterMs: 1000, overlapMs: 500, activationDelayMs: 100 };
const key = (id: string, createdAtMs: number): RingKey => ({ id, secret: Buffer.alloc(32, id), createdAtMs });
const ids = (keys: readonly RingKey[]): string[] => keys.map((k) => k.id);

describe('keyring rules', () => {
  const ring: Keyring = { keys: [key('a', 0), key('b', 1000)] };

  it('signs with the newest key only once it is active; the first key signs at once', () => {
    expect(signingKey({ keys: [key('a', 0)] }, 0, policy).id).toBe('a');
    expect(signingKey(ring, 1099, policy).id).toBe('a');
    expect(signingKey(ring, 1100, policy).id).toBe('b');
  });

  it('accepts a replaced key for the overlap after its successor became active, and a not yet active key at once', () => {
    expect(ids(acceptedKeys(ring, 1000, policy))).toEqual(['a', 'b']);
    expect(ids(acceptedKeys(ring, 1599, policy))).toEqual(['a', 'b']);
    expect(ids(acceptedKeys(ring, 1600, policy))).toEqual(['b']);
  });

  it('rotates when the newest key is due and drops keys past their overlap', () => {
    const made = (t: number): RingKey => key('c', t);
    expect(rotate(ring, 1500, policy, made)).toBeUndefined();
    expect(ids(rotate(ring, 1700, policy, made)!.keys)).toEqual(['b']);
    expect(ids(rotate(ring, 2000, policy, made)!.keys)).toEqual(['b', 'c']);
    expect(rotate({ keys: [key('a', 0)] }, 5000, { ...policy, rotateAfterMs: 0 }, made)).toBeUndefined();
  });

  it('round-trips through its stored JSON and refuses corrupt objects', () => {
    const decoded = decodeKeyring(encodeKeyring(ring), 'k');
    expect(decoded.keys.map((k) => [k.id, k.secret.toString('hex'), k.createdAtMs])).toEqual(
      ring.keys.map((k) => [k.id, k.secret.toString('hex'), k.createdAtMs]),
    );
    for (const bad of [
      'x',
      '{}',
      '{"schemaVersion":1,"keys":[]}',
      '{"schemaVersion":1,"keys":[{"id":"a b","secret":"AAAAAAAAAAAAAAAAAAAAAA","createdAtMs":1}]}',
    ]) {
      expect(() => decodeKeyring(Buffer.from(bad), 'k')).toThrow(/token keyring k is corrupt/);
    }
  });
});
