import { createHmac } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DbError } from '../errors/db-error.js';
import { hasIndexHashKey, hashIndexValue, loadIndexHashKeyFile, parseIndexHashKey, setIndexHashKey } from './value-hash.js';

const KEY = Buffer.alloc(32, 0x42);

afterEach(() => setIndexHashKey(undefined));

describe('hashIndexValue', () => {
  it('is h: + base64url HMAC-SHA-256 of the canonical JSON under the key', () => {
    setIndexHashKey(KEY);
    const expected = createHmac('sha256', KEY).update('["a@example.com"]').digest('base64url');
    expect(hashIndexValue('["a@example.com"]')).toBe(`h:${expected}`);
    expect(hashIndexValue('["a@example.com"]')).not.toContain('example');
  });

  it('is deterministic per key and differs across values and keys', () => {
    setIndexHashKey(KEY);
    const a = hashIndexValue('["x"]');
    expect(hashIndexValue('["x"]')).toBe(a);
    expect(hashIndexValue('["y"]')).not.toBe(a);
    expect(hashIndexValue('[1]')).not.toBe(hashIndexValue('["1"]'));
    setIndexHashKey(Buffer.alloc(32, 0x43));
    expect(hashIndexValue('["x"]')).not.toBe(a);
  });

  it('without a key throws FAILED_PRECONDITION / ENCRYPTION_NOT_CONFIGURED naming the setting and index', () => {
    expect(hasIndexHashKey()).toBe(false);
    let err: unknown;
    try {
      hashIndexValue('["x"]', 'by_email');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({
      kind: 'failed_precondition',
      reason: 'ENCRYPTION_NOT_CONFIGURED',
      metadata: { setting: 'SB_INDEX_HASH_KEY_FILE', index: 'by_email' },
    });
  });

  it('refuses keys shorter than 32 bytes', () => {
    expect(() => setIndexHashKey(Buffer.alloc(31))).toThrow(/at least 32 bytes/);
    expect(hasIndexHashKey()).toBe(false);
  });
});

describe('parseIndexHashKey', () => {
  it('decodes base64 and base64url text (whitespace around it ignored)', () => {
    const raw = Buffer.from(Array.from({ length: 48 }, (_, i) => (i * 37 + 250) % 256));
    expect(parseIndexHashKey(Buffer.from(`${raw.toString('base64')}\n`))).toEqual(raw);
    expect(parseIndexHashKey(Buffer.from(raw.toString('base64url')))).toEqual(raw);
  });

  it('takes 32+ raw bytes that are not base64 text as they are', () => {
    const raw = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7));
    expect(parseIndexHashKey(raw)).toEqual(raw);
  });

  it('refuses short keys, raw or base64', () => {
    expect(() => parseIndexHashKey(Buffer.from(Buffer.alloc(16, 1).toString('base64')))).toThrow(/at least 32 bytes/);
    expect(() => parseIndexHashKey(Buffer.from([0, 1, 2]))).toThrow(/at least 32 bytes/);
  });
});

describe('loadIndexHashKeyFile', () => {
  it('reads the file; errors name the setting and the file, never key bytes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-ihash-'));
    try {
      await writeFile(join(dir, 'good'), KEY.toString('base64'));
      expect(await loadIndexHashKeyFile(join(dir, 'good'))).toEqual(KEY);
      await writeFile(join(dir, 'short'), 'c2hvcnQ=');
      await expect(loadIndexHashKeyFile(join(dir, 'short'))).rejects.toThrow(/SB_INDEX_HASH_KEY_FILE .*short.*at least 32 bytes/);
      await expect(loadIndexHashKeyFile(join(dir, 'missing'))).rejects.toThrow(/SB_INDEX_HASH_KEY_FILE: cannot read/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
