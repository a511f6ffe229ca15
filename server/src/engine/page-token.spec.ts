import { PageTokenCodec } from './page-token.js';
import { staticTokenKeys } from '../tokens/token-keys.js';
import { sealToken } from '../tokens/signed-token.js';

describe('page tokens', () => {
  const codec = new PageTokenCodec(staticTokenKeys('golden'));
  const shape = { collection: 'users', idPrefix: 'u', keysOnly: false };
  // Issued by the code before page and resume tokens shared tokens/signed-token.ts's JSON helpers: the wire format must not move.
  const issued = 's3VbeQTeV.eyJ2IjoyLCJhZnRlciI6InUxNyIsImZwIjoiaWt3T1FDczNyTjNiVEx6QyJ9.DT3YPwjDSUkM6Ms_ERRkpftNXMfOMwo0-hNaBzZzg94';

  it('encodes byte for byte as before and still opens tokens issued before', async () => {
    expect(codec.encode(shape, 'u17')).toBe(issued);
    await expect(codec.decode(shape, issued)).resolves.toBe('u17');
  });

  it('refuses a token of another request, a forged one and a non-object payload as INVALID_PAGE_TOKEN', async () => {
    await expect(codec.decode({ ...shape, keysOnly: true }, issued)).rejects.toMatchObject({
      reason: 'INVALID_PAGE_TOKEN',
      message: expect.stringMatching(/different request/),
    });
    await expect(new PageTokenCodec(staticTokenKeys('other')).decode(shape, issued)).rejects.toMatchObject({
      reason: 'INVALID_PAGE_TOKEN',
      field: 'page_token',
    });
    const keys = staticTokenKeys('golden');
    for (const body of ['null', '7', 'not json']) {
      await expect(codec.decode(shape, sealToken(keys, 'list', Buffer.from(body)))).rejects.toMatchObject({
        message: 'malformed page token',
      });
    }
  });
});
