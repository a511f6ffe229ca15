import { create } from '@bufbuild/protobuf';
import { ExpirationSchema } from '../../gen/smarterbase/v1/document_pb.js';
import { isDbError } from '../../errors/db-error.js';
import { toTimestamp } from './convert.js';
import { expirationField, expirationOf } from './expiration.js';

describe('expirationOf', () => {
  it('converts each case of the oneof', () => {
    const at = new Date('2030-01-01T00:00:00.250Z');
    expect(expirationOf(create(ExpirationSchema, { expiration: { case: 'expireTime', value: toTimestamp(at) } }))).toEqual({
      kind: 'time',
      at,
    });
    expect(expirationOf(create(ExpirationSchema, { expiration: { case: 'ttl', value: { seconds: 90n, nanos: 500_000_000 } } }))).toEqual({
      kind: 'ttl',
      ms: 90_500,
    });
    expect(expirationOf(create(ExpirationSchema, { expiration: { case: 'never', value: true } }))).toEqual({ kind: 'never' });
    expect(expirationField(undefined)).toEqual({});
  });

  it('refuses an empty Expiration and never=false', () => {
    for (const e of [create(ExpirationSchema, {}), create(ExpirationSchema, { expiration: { case: 'never', value: false } })]) {
      let err: unknown;
      try {
        expirationOf(e, 'writes[0].put.expiration');
      } catch (x) {
        err = x;
      }
      expect(isDbError(err, 'INVALID_ARGUMENT')).toBe(true);
      expect((err as { field: string }).field).toMatch(/^writes\[0\]\.put\.expiration/);
    }
  });

  it('keeps the last instant of year 9999 in year 9999 (the fuzz found it rounded up into 10000, which JSON cannot write back)', () => {
    const e = create(ExpirationSchema, { expiration: { case: 'expireTime', value: { seconds: 253_402_300_799n, nanos: 999_999_999 } } });
    expect(expirationOf(e)).toEqual({ kind: 'time', at: new Date('9999-12-31T23:59:59.999Z') });
  });

  it('refuses an expire_time outside the range of google.protobuf.Timestamp', () => {
    for (const value of [
      { seconds: 253_402_300_800n, nanos: 0 },
      { seconds: -62_135_596_801n, nanos: 0 },
      { seconds: 0n, nanos: -1 },
      { seconds: 0n, nanos: 1_000_000_000 },
    ]) {
      const e = create(ExpirationSchema, { expiration: { case: 'expireTime', value } });
      expect(() => expirationOf(e, 'expiration')).toThrow(expect.objectContaining({ field: 'expiration.expire_time' }) as unknown as Error);
    }
  });
});
