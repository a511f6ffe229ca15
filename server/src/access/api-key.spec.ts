import { createHash } from 'node:crypto';
import { hashSecret, isKeyId, newKey, parseKey, secretMatches } from './api-key.js';

let counter = 0;
const random = {
  random: () => 0.5,
  bytes: (n: number) => Uint8Array.from({ length: n }, () => counter++ % 256),
};

describe('API key strings', () => {
  test('a new key is sbk_<16 hex>_<43 base64url> and parses back into its parts', () => {
    const key = newKey(random);
    expect(key.token).toMatch(/^sbk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(parseKey(key.token)).toEqual({ id: key.id, secret: key.secret });
    expect(isKeyId(key.id)).toBe(true);
  });

  test('two new keys differ (randomness is drawn for each)', () => {
    expect(newKey(random).token).not.toBe(newKey(random).token);
  });

  test.each([
    ['', 'empty'],
    ['sbk_', 'prefix only'],
    ['sk_0123456789abcdef_' + 'a'.repeat(43), 'wrong prefix'],
    ['sbk_0123456789ABCDEF_' + 'a'.repeat(43), 'upper-case id'],
    ['sbk_0123456789abcde_' + 'a'.repeat(43), 'short id'],
    ['sbk_0123456789abcdef-' + 'a'.repeat(43), 'no separator'],
    ['sbk_0123456789abcdef_' + 'a'.repeat(42), 'short secret'],
    ['sbk_0123456789abcdef_' + 'a'.repeat(44), 'long secret'],
    ['sbk_0123456789abcdef_' + 'a'.repeat(42) + '=', 'non-base64url secret'],
  ])('%s (%s) is not a key', (token) => {
    expect(parseKey(token)).toBeUndefined();
  });

  test('the stored hash is SHA-256 of the secret and matches only that secret', () => {
    const key = newKey(random);
    const stored = hashSecret(key.secret);
    expect(stored).toBe(createHash('sha256').update(key.secret).digest('hex'));
    expect(secretMatches(key.secret, stored)).toBe(true);
    expect(secretMatches(key.secret.slice(0, -1) + (key.secret.endsWith('A') ? 'B' : 'A'), stored)).toBe(false);
    expect(secretMatches(key.secret, 'not hex')).toBe(false);
  });
});
