import { isDbError } from '../errors/db-error.js';
import { checkExpiration, MAX_TTL_MS, resolveExpireTime } from './expiration.js';

describe('expiration', () => {
  const now = 1_800_000_000_000;

  it('resolves a ttl from now, keeps an absolute time, and never wins over a default', () => {
    expect(resolveExpireTime({ kind: 'ttl', ms: 5000 }, 60_000, now)).toEqual(new Date(now + 5000));
    expect(resolveExpireTime({ kind: 'time', at: new Date(5) }, 60_000, now)).toEqual(new Date(5));
    expect(resolveExpireTime({ kind: 'never' }, 60_000, now)).toBeUndefined();
    expect(resolveExpireTime(undefined, 60_000, now)).toEqual(new Date(now + 60_000));
    expect(resolveExpireTime(undefined, undefined, now)).toBeUndefined();
  });

  it('refuses a ttl under 1 s', () => {
    expect(() => checkExpiration({ kind: 'ttl', ms: 1000 })).not.toThrow();
    const err = (() => {
      try {
        checkExpiration({ kind: 'ttl', ms: 999 });
      } catch (e) {
        return e;
      }
    })();
    expect(isDbError(err, 'INVALID_ARGUMENT')).toBe(true);
  });

  it('refuses a ttl over 100 years and an expire time past 9999 (neither could be written back as a Timestamp)', () => {
    expect(() => checkExpiration({ kind: 'ttl', ms: MAX_TTL_MS })).not.toThrow();
    expect(() => checkExpiration({ kind: 'ttl', ms: MAX_TTL_MS + 1 }, 'e')).toThrow(
      expect.objectContaining({ field: 'e.ttl' }) as unknown as Error,
    );
    expect(() => checkExpiration({ kind: 'ttl', ms: Number.MAX_SAFE_INTEGER })).toThrow();
    expect(() => checkExpiration({ kind: 'time', at: new Date('9999-12-31T23:59:59.999Z') })).not.toThrow();
    expect(() => checkExpiration({ kind: 'time', at: new Date('+010000-01-01T00:00:00.000Z') }, 'e')).toThrow(
      expect.objectContaining({ field: 'e.expire_time' }) as unknown as Error,
    );
  });
});
