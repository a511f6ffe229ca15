import { DbError } from '../../../errors/db-error.js';
import { durationToMs, optionalTtlMs, requireTtlMs, waitMsOf } from './convert-lock.js';

const d = (seconds: bigint, nanos = 0): { $typeName: 'google.protobuf.Duration'; seconds: bigint; nanos: number } => ({
  $typeName: 'google.protobuf.Duration',
  seconds,
  nanos,
});

function fieldOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DbError);
    expect((e as DbError).kind).toBe('invalid');
    return (e as DbError).field;
  }
  throw new Error('expected an error');
}

describe('lock converters', () => {
  test('durations become whole ms, sub-ms rounded up; unset stays undefined', () => {
    expect(durationToMs(undefined, 'ttl')).toBeUndefined();
    expect(durationToMs(d(2n, 500_000_000), 'ttl')).toBe(2500);
    expect(durationToMs(d(0n, 1), 'ttl')).toBe(1);
    expect(durationToMs(d(0n), 'ttl')).toBe(0);
  });

  test('negative or malformed durations are INVALID_ARGUMENT naming the field', () => {
    expect(fieldOf(() => durationToMs(d(-1n), 'wait_timeout'))).toBe('wait_timeout');
    expect(fieldOf(() => durationToMs(d(0n, -5), 'ttl'))).toBe('ttl');
    expect(fieldOf(() => durationToMs(d(0n, 1_000_000_000), 'ttl'))).toBe('ttl');
  });

  test('durations too long for ms saturate instead of being called negative', () => {
    expect(durationToMs(d(10n ** 18n), 'wait_timeout')).toBe(Number.MAX_SAFE_INTEGER);
    expect(waitMsOf(d(2n ** 62n))).toBe(Number.MAX_SAFE_INTEGER);
  });

  test.each([
    ['huge', d(10n ** 18n)],
    ['max int64 seconds', d(2n ** 63n - 1n, 999_999_999)],
    ['negative', d(-5n)],
    ['just over 10 min', d(600n, 1_000_000)],
    ['below the minimum', d(0n, 1_000_000)],
  ])('a %s ttl is refused with the allowed range, field ttl and minMs/maxMs metadata', (_, ttl) => {
    for (const [call, min] of [
      [requireTtlMs, 100],
      [optionalTtlMs, 1000],
    ] as const) {
      let err: unknown;
      try {
        call(ttl, 'ttl', min);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DbError);
      const e = err as DbError;
      expect([e.kind, e.reason, e.field]).toEqual(['invalid', 'INVALID_ARGUMENT', 'ttl']);
      expect(e.message).toBe(`ttl must be between ${min} ms and 600000 ms (10 minutes)`);
      expect(e.metadata).toEqual({ field: 'ttl', minMs: String(min), maxMs: '600000' });
    }
  });

  test('ttl ranges: required 100 ms..10 min; optional treats unset/zero as default', () => {
    expect(requireTtlMs(d(0n, 100_000_000), 'ttl', 100)).toBe(100);
    expect(requireTtlMs(d(600n), 'ttl', 100)).toBe(600_000);
    expect(fieldOf(() => requireTtlMs(undefined, 'ttl', 100))).toBe('ttl');
    expect(fieldOf(() => requireTtlMs(d(0n, 99_000_000), 'ttl', 100))).toBe('ttl');
    expect(fieldOf(() => requireTtlMs(d(600n, 1_000_000), 'ttl', 100))).toBe('ttl');
    expect(optionalTtlMs(undefined, 'ttl', 1000)).toBeUndefined();
    expect(optionalTtlMs(d(0n), 'ttl', 1000)).toBeUndefined();
    expect(optionalTtlMs(d(1n), 'ttl', 1000)).toBe(1000);
    expect(fieldOf(() => optionalTtlMs(d(0n, 999_000_000), 'ttl', 1000))).toBe('ttl');
    expect(waitMsOf(undefined)).toBe(0);
    expect(waitMsOf(d(1n, 250_000_000))).toBe(1250);
  });
});
