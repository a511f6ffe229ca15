/**
 * The Expiration a write request may carry (Put, PutIfMatch, Create, a
 * BatchWrite put, a Commit set; docs/streams.md "Document expiry (TTL)"),
 * as the engine's ExpirationInput. The engine checks the ranges (ttl ≥ 1 s).
 */
import { invalid } from '../../errors/db-error.js';
import type { ExpirationInput } from '../../model/expiration.js';
import type { Expiration } from '../../gen/smarterbase/v1/document_pb.js';
import type { Timestamp } from '@bufbuild/protobuf/wkt';

/**
 * The ExpirationInput of a request's optional Expiration (`field` names it
 * in errors): absent → undefined; present with nothing set or never=false →
 * INVALID_ARGUMENT.
 */
export function expirationOf(e: Expiration | undefined, field = 'expiration'): ExpirationInput | undefined {
  if (e === undefined) return undefined;
  const v = e.expiration;
  switch (v.case) {
    case 'expireTime':
      return { kind: 'time', at: expireTimeOf(v.value, `${field}.expire_time`) };
    case 'ttl':
      return { kind: 'ttl', ms: ttlMs(v.value.seconds, v.value.nanos, `${field}.ttl`) };
    case 'never':
      if (!v.value) throw invalid('INVALID_ARGUMENT', `${field}.never`, `${field}.never must be true when set`);
      return { kind: 'never' };
    default:
      throw invalid('INVALID_ARGUMENT', field, `${field} must set expire_time, ttl or never`);
  }
}

/** `{ expiration }` when the request carries one, else `{}` (for spreading into an engine input). */
export function expirationField(e: Expiration | undefined, field?: string): { expiration?: ExpirationInput } {
  const expiration = expirationOf(e, field);
  return expiration === undefined ? {} : { expiration };
}

/** The range of google.protobuf.Timestamp: 0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, in seconds. */
const MIN_SECONDS = -62_135_596_800n;
const MAX_SECONDS = 253_402_300_799n;

/**
 * An expire_time as a Date, its sub-millisecond part dropped (never rounded
 * up: 9999-12-31T23:59:59.999999999Z stays in the year 9999, where every
 * JSON encoder can still write it back); INVALID_ARGUMENT outside the range
 * of google.protobuf.Timestamp or with malformed nanos.
 */
function expireTimeOf(t: Timestamp, field: string): Date {
  if (t.seconds < MIN_SECONDS || t.seconds > MAX_SECONDS || t.nanos < 0 || t.nanos > 999_999_999) {
    throw invalid(
      'INVALID_ARGUMENT',
      field,
      `${field} must be a valid timestamp between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999999Z`,
    );
  }
  return new Date(Number(t.seconds) * 1000 + Math.floor(t.nanos / 1_000_000));
}

/** A Duration in ms (rounded up); INVALID_ARGUMENT when it is negative or malformed. */
function ttlMs(seconds: bigint, nanos: number, field: string): number {
  if (seconds < 0n || nanos < 0 || nanos > 999_999_999)
    throw invalid('INVALID_ARGUMENT', field, `${field} must be a non-negative duration`);
  if (seconds >= BigInt(Number.MAX_SAFE_INTEGER) / 1000n) return Number.MAX_SAFE_INTEGER;
  return Number(seconds) * 1000 + Math.ceil(nanos / 1_000_000);
}
