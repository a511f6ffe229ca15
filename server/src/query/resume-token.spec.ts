import { isDbError } from '../errors/db-error.js';
import { MISSING } from './field-path.js';
import type { SortKey } from './compare.js';
import { ResumeTokenCodec } from './resume-token.js';
import { staticTokenKeys } from '../tokens/token-keys.js';

describe('ResumeTokenCodec', () => {
  const codec = new ResumeTokenCodec(staticTokenKeys('secret'));
  const shape = {
    collection: 'c',
    filter: { kind: 'field', field: 'n', op: 'gt', value: 1 } as const,
    orderBy: [
      { field: 'n', direction: 'asc' as const },
      { field: 'm', direction: 'desc' as const },
    ],
  };
  const fp = codec.fingerprint(shape);

  it('round-trips a sort key, including missing values and null', async () => {
    const key: SortKey = { values: [MISSING, null], id: 'doc/ü' };
    expect(await codec.decode(fp, 2, codec.encode(fp, key))).toEqual(key);
    const key2: SortKey = { values: [3, { a: [1] }], id: 'x' };
    expect(await codec.decode(fp, 2, codec.encode(fp, key2))).toEqual(key2);
  });

  it('rejects tampered, foreign and malformed tokens with INVALID_PAGE_TOKEN', async () => {
    const token = codec.encode(fp, { values: [1, 2], id: 'a' });
    const [kid, payload, mac] = token.split('.') as [string, string, string];
    const forged = Buffer.from(Buffer.from(payload, 'base64url').toString().replace('"a"', '"b"')).toString('base64url');
    const otherFp = codec.fingerprint({
      ...shape,
      orderBy: [
        { field: 'n', direction: 'desc' },
        { field: 'm', direction: 'desc' },
      ],
    });
    const attempts: Array<() => Promise<unknown>> = [
      () => codec.decode(fp, 2, `${kid}.${forged}.${mac}`),
      () => new ResumeTokenCodec(staticTokenKeys('other')).decode(fp, 2, token),
      () => codec.decode(otherFp, 2, token),
      () => codec.decode(fp, 2, 'garbage'),
      () => codec.decode(fp, 2, '.'),
    ];
    for (const attempt of attempts) {
      let err: unknown;
      try {
        await attempt();
      } catch (e) {
        err = e;
      }
      expect(isDbError(err, 'INVALID_PAGE_TOKEN')).toBe(true);
    }
  });

  it('fingerprints filter and order but not limits', () => {
    expect(codec.fingerprint({ ...shape, filter: { kind: 'field', field: 'n', op: 'gt', value: 2 } })).not.toBe(fp);
    expect(codec.fingerprint({ ...shape, collection: 'd' })).not.toBe(fp);
    expect(codec.fingerprint({ ...shape })).toBe(fp);
  });
  it('encodes byte for byte as before page and resume tokens shared the JSON helpers, and opens tokens issued before', async () => {
    const golden = new ResumeTokenCodec(staticTokenKeys('golden'));
    const gfp = golden.fingerprint({ collection: 'users', orderBy: [{ field: 'age', direction: 'desc' }] });
    const issued =
      's3VbeQTeV.eyJ2IjoyLCJmcCI6Imd3bTVfQ0lRc2lpZi1MRmMiLCJrIjpbeyJ2Ijo0Mn1dLCJpZCI6InU5In0.vfjiNL-elgMl-d3Xl7F0PkYibMZTURF5PuM9-rJvx7o';
    expect(gfp).toBe('gwm5_CIQsiif-LFc');
    expect(golden.encode(gfp, { values: [42], id: 'u9' })).toBe(issued);
    await expect(golden.decode(gfp, 1, issued)).resolves.toEqual({ values: [42], id: 'u9' });
  });
});
