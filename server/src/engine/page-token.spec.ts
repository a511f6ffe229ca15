import { isDbError } from '../errors/db-error.js';
import { staticTokenKeys, type TokenKeys } from '../tokens/token-keys.js';
import { PageTokenCodec } from './page-token.js';

const shape = { collection: 'users', idPrefix: 'a', keysOnly: false };

async function rejects(fn: () => Promise<unknown>, message?: RegExp): Promise<void> {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  expect(isDbError(err, 'INVALID_PAGE_TOKEN')).toBe(true);
  expect((err as { field?: string }).field).toBe('page_token');
  if (message !== undefined) expect((err as Error).message).toMatch(message);
}

describe('PageTokenCodec', () => {
  const codec = new PageTokenCodec(staticTokenKeys('secret'));

  it('round-trips the position for the same request shape, on any codec with the same keys', async () => {
    const t = codec.encode(shape, 'abc😀');
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(await codec.decode(shape, t)).toBe('abc😀');
    expect(await new PageTokenCodec(staticTokenKeys('secret')).decode(shape, t)).toBe('abc😀');
  });

  it('rejects a token of another request shape, naming the fields that must match', async () => {
    const t = codec.encode(shape, 'x');
    const different = /collection, id_prefix and keys_only must match/;
    await rejects(() => codec.decode({ ...shape, collection: 'other' }, t), different);
    await rejects(() => codec.decode({ ...shape, idPrefix: 'b' }, t), different);
    await rejects(() => codec.decode({ ...shape, keysOnly: true }, t), different);
  });

  it('rejects tampered, foreign and malformed tokens', async () => {
    const t = codec.encode(shape, 'x');
    const [kid, payload, mac] = t.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), after: 'z' }))
      .toString('base64url');
    await rejects(() => codec.decode(shape, `${kid}.${forged}.${mac}`), /altered/);
    await rejects(() => codec.decode(shape, `${kid}.${payload}.${mac.slice(0, -2)}AA`));
    await rejects(() => new PageTokenCodec(staticTokenKeys('other')).decode(shape, t), /not issued by this deployment/);
    await rejects(() => new PageTokenCodec(staticTokenKeys()).decode(shape, t));
    for (const bad of ['', '.', 'abc', 'a.b', 'a.b.c.d', '!!!.???.x', `${kid}.${payload}.`, `.${payload}.${mac}`]) {
      await rejects(() => codec.decode(shape, bad), /malformed/);
    }
  });

  it('verifies with the key the token names, so a rotated-in key does not break older tokens', async () => {
    const oldKeys = staticTokenKeys('old');
    const newKeys = staticTokenKeys('new');
    const ring: TokenKeys = {
      signingKey: () => newKeys.signingKey(),
      verifyingKey: async (id) => (await newKeys.verifyingKey(id)) ?? oldKeys.verifyingKey(id),
    };
    const old = new PageTokenCodec(oldKeys).encode(shape, 'k1');
    const rotated = new PageTokenCodec(ring);
    expect(await rotated.decode(shape, old)).toBe('k1');
    expect(rotated.encode(shape, 'k2').startsWith(`${newKeys.signingKey().id}.`)).toBe(true);
  });
});
