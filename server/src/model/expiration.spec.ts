import { isDbError } from '../errors/db-error.js';
import { checkExpiration, resolveExpireTime } from './expiration.js';

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
});
