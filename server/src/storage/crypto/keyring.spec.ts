import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyringError, KeyringRef, loadKeyringFile, parseKeyring } from './keyring.js';

const k = (byte: number): string => Buffer.alloc(32, byte).toString('base64');

describe('parseKeyring', () => {
  test('a valid file gives the primary and every key as 32 bytes', () => {
    const ring = parseKeyring(JSON.stringify({ primary: 'k2', keys: { k1: k(1), k2: k(2) } }));
    expect(ring.primary).toBe('k2');
    expect([...ring.keys.keys()]).toEqual(['k1', 'k2']);
    expect(ring.keys.get('k1')).toEqual(Buffer.alloc(32, 1));
  });

  test.each([
    ['not JSON', '{', /not JSON/],
    ['an array', '[]', /JSON object/],
    ['no keys', '{"primary":"a"}', /keyring.keys/],
    ['a primary not among the keys', JSON.stringify({ primary: 'k9', keys: { k1: k(1) } }), /primary must name/],
    ['a short key', JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(16).toString('base64') } }), /32 bytes.*got 16/],
    ['a non-base64 key', JSON.stringify({ primary: 'k1', keys: { k1: 'not base64!' } }), /base64/],
    ['a bad id', JSON.stringify({ primary: 'a b', keys: { 'a b': k(1) } }), /key id/],
  ])('%s is a KeyringError', (_name, text, message) => {
    expect(() => parseKeyring(text)).toThrow(KeyringError);
    expect(() => parseKeyring(text)).toThrow(message);
  });

  test('error messages never contain key material', () => {
    const secret = k(7);
    expect(() => parseKeyring(JSON.stringify({ primary: 'zz', keys: { k1: secret } }))).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining(secret) }),
    );
  });
});

describe('loadKeyringFile', () => {
  test('reads a file; a missing file names the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sb-keyring-'));
    try {
      const path = join(dir, 'ring.json');
      await writeFile(path, JSON.stringify({ primary: 'k1', keys: { k1: k(1) } }));
      expect((await loadKeyringFile(path)).primary).toBe('k1');
      await expect(loadKeyringFile(join(dir, 'missing.json'))).rejects.toThrow(/cannot read keyring file .*missing.json/);
      await writeFile(path, '{}');
      await expect(loadKeyringFile(path)).rejects.toThrow(/ring.json.*keyring.keys/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

test('KeyringRef hands out the keyring last set', () => {
  const a = parseKeyring(JSON.stringify({ primary: 'a', keys: { a: k(1) } }));
  const b = parseKeyring(JSON.stringify({ primary: 'b', keys: { b: k(2) } }));
  const ref = new KeyringRef(a);
  expect(ref.get()).toBe(a);
  ref.set(b);
  expect(ref.get()).toBe(b);
});
