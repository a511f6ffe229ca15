import { randomBytes } from 'node:crypto';
import { ConfigError } from '../config/parse-value.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { checkIndexHashKey, indexHashKeyFingerprint } from './index-hash-key-check.js';

describe('checkIndexHashKey', () => {
  const a = randomBytes(32);
  const b = randomBytes(32);

  it('records the first key, accepts it again, and refuses another key naming the settings', async () => {
    const store = new MemoryBlobStore();
    expect(await checkIndexHashKey(store, a, false)).toBe('recorded');
    expect(await checkIndexHashKey(store, a, false)).toBe('matched');
    const refused = checkIndexHashKey(store, b, false);
    await expect(refused).rejects.toBeInstanceOf(ConfigError);
    await expect(refused).rejects.toThrow(/SB_INDEX_HASH_KEY_FILE.*SB_INDEX_HASH_KEY_REPLACE=true/);
    expect(await checkIndexHashKey(store, a, false)).toBe('matched'); // the refusal changed nothing
  });

  it('replaces the fingerprint only when told to; then the old key is the one refused', async () => {
    const store = new MemoryBlobStore();
    await checkIndexHashKey(store, a, false);
    expect(await checkIndexHashKey(store, b, true)).toBe('replaced');
    expect(await checkIndexHashKey(store, b, false)).toBe('matched');
    await expect(checkIndexHashKey(store, a, false)).rejects.toBeInstanceOf(ConfigError);
  });

  it('servers starting at once with one key agree; the stored fingerprint does not reveal the key', async () => {
    const store = new MemoryBlobStore();
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => checkIndexHashKey(store, a, false)));
    expect(outcomes.filter((o) => o === 'recorded')).toHaveLength(1);
    const stored = Buffer.from((await store.get('_meta/index-hash-key'))!.body).toString('utf8');
    expect(JSON.parse(stored)).toEqual({ schemaVersion: 1, fingerprint: indexHashKeyFingerprint(a) });
    expect(stored).not.toContain(a.toString('base64'));
    expect(stored).not.toContain(a.toString('hex'));
    expect(indexHashKeyFingerprint(a)).not.toBe(indexHashKeyFingerprint(b));
  });
});
