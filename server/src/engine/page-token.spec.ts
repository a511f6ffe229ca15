import { isDbError } from '../errors/db-error.js';
import { PageTokenCodec } from './page-token.js';

const shape = { collection: 'users', idPrefix: 'a', keysOnly: false };

function rejects(fn: () => unknown): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isDbError(err, 'INVALID_PAGE_TOKEN')).toBe(true);
  expect((err as { field?: string }).field).toBe('page_token');
}

describe('PageTokenCodec', () => {
  const codec = new PageTokenCodec('secret');

  it('round-trips the position for the same request shape', () => {
    const t = codec.encode(shape, 'abc😀');
    expect(t).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(codec.decode(shape, t)).toBe('abc😀');
    expect(new PageTokenCodec('secret').decode(shape, t)).toBe('abc😀');
  });

  it('rejects a token of another request shape', () => {
    const t = codec.encode(shape, 'x');
    rejects(() => codec.decode({ ...shape, collection: 'other' }, t));
    rejects(() => codec.decode({ ...shape, idPrefix: 'b' }, t));
    rejects(() => codec.decode({ ...shape, keysOnly: true }, t));
  });

  it('rejects tampered, foreign and malformed tokens', () => {
    const t = codec.encode(shape, 'x');
    const [payload, mac] = t.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), after: 'z' }))
      .toString('base64url');
    rejects(() => codec.decode(shape, `${forged}.${mac}`));
    rejects(() => codec.decode(shape, `${payload}.${mac.slice(0, -2)}AA`));
    rejects(() => new PageTokenCodec('other').decode(shape, t));
    rejects(() => new PageTokenCodec().decode(shape, t));
    for (const bad of ['', '.', 'abc', 'a.b.c', '!!!.???', `${payload}.`, `.${mac}`]) rejects(() => codec.decode(shape, bad));
  });
});
