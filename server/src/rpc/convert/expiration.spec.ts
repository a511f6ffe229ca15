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
});
