import { ACQUIRE_TTL, HOLD_TTL, checkHolder, checkLockName, checkTtl, checkWait } from './lock-args.js';

describe('lock-args', () => {
  it('lock names: 1..256 bytes of UTF-8, no control characters, no lone surrogates', () => {
    for (const ok of ['a', 'orders/42', 'x'.repeat(256), '€'.repeat(85), '😀 ok']) expect(() => checkLockName(ok)).not.toThrow();
    for (const bad of ['', 'x'.repeat(257), '€'.repeat(86), 'a\u0000', 'a\u001f', 'a\u007f', 'a\u009f', '\udc00x']) {
      expect(() => checkLockName(bad)).toThrow(expect.objectContaining({ kind: 'invalid', field: 'name' }));
    }
    expect(() => checkLockName('', 'lock_guard.name')).toThrow(expect.objectContaining({ field: 'lock_guard.name' }));
  });

  it('ttls: bounds inclusive, default only where one is documented, fractions rounded up', () => {
    expect(checkTtl(100, ACQUIRE_TTL)).toBe(100);
    expect(checkTtl(600_000, ACQUIRE_TTL)).toBe(600_000);
    expect(checkTtl(100.2, ACQUIRE_TTL)).toBe(101);
    expect(checkTtl(undefined, HOLD_TTL)).toBe(10_000);
    expect(() => checkTtl(undefined, ACQUIRE_TTL)).toThrow(expect.objectContaining({ field: 'ttl' }));
    expect(() => checkTtl(Number.NaN, ACQUIRE_TTL)).toThrow(expect.objectContaining({ field: 'ttl' }));
    expect(() => checkTtl(999, HOLD_TTL)).toThrow(expect.objectContaining({ field: 'ttl' }));
  });

  it('waits and holders', () => {
    expect(checkWait(undefined)).toBe(0);
    expect(checkWait(250)).toBe(250);
    expect(() => checkWait(Number.POSITIVE_INFINITY)).toThrow(expect.objectContaining({ field: 'wait_timeout' }));
    expect(checkHolder(undefined)).toBe('');
    expect(checkHolder('é'.repeat(256))).toBe('é'.repeat(256));
    expect(() => checkHolder('x'.repeat(257))).toThrow(expect.objectContaining({ field: 'holder' }));
  });
});
