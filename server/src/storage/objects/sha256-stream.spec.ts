import { createHash } from 'node:crypto';
import { Sha256Tap, isSha256Hex, sha256Hex } from './sha256-stream.js';

async function* from(parts: string[]): AsyncGenerator<Uint8Array> {
  for (const p of parts) yield Buffer.from(p);
}

describe('Sha256Tap', () => {
  it('passes the chunks through unchanged and hashes and counts them', async () => {
    const tap = new Sha256Tap();
    const seen: string[] = [];
    for await (const c of tap.tap(from(['ab', '', 'cde']))) seen.push(Buffer.from(c).toString());
    expect(seen).toEqual(['ab', '', 'cde']);
    expect(tap.size).toBe(5);
    expect(tap.hex()).toBe(createHash('sha256').update('abcde').digest('hex'));
    expect(tap.hex()).toBe(tap.hex());
  });

  it('refuses bytes after the digest was taken', () => {
    const tap = new Sha256Tap();
    tap.hex();
    expect(() => tap.update(Buffer.from('x'))).toThrow();
  });

  it('the empty stream has the SHA-256 of nothing', () => {
    expect(new Sha256Tap().hex()).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('sha256Hex / isSha256Hex', () => {
  it('hashes bytes and recognises the lowercase 64-digit form only', () => {
    const h = sha256Hex(Buffer.from('abc'));
    expect(isSha256Hex(h)).toBe(true);
    expect(isSha256Hex(h.toUpperCase())).toBe(false);
    expect(isSha256Hex(h.slice(1))).toBe(false);
  });
});
