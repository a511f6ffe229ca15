/**
 * The Expiration a write request may carry (Put, PutIfMatch, Create, a
 * BatchWrite put, a Commit set; docs/streams.md "Document expiry (TTL)"),
 * as the engine's ExpirationInput. The engine checks the ranges (ttl ≥ 1 s).
 */
import { invalid } from '../../errors/db-error.js';
import type { ExpirationInput } from '../../model/expiration.js';
import type { Expiration } from '../../gen/smarterbase/v1/document_pb.js';
import { fromTimestamp } from './convert.js';

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
      return { kind: 'time', at: fromTimestamp(v.value) };
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

/** A Duration in ms (rounded up); INVALID_ARGUMENT when it is negative or malformed. */
function ttlMs(seconds: bigint, nanos: number, field: string): number {
  if (seconds < 0n || nanos < 0 || nanos > 999_999_999)
    throw invalid('INVALID_ARGUMENT', field, `${field} must be a non-negative duration`);
  if (seconds >= BigInt(Number.MAX_SAFE_INTEGER) / 1000n) return Number.MAX_SAFE_INTEGER;
  return Number(seconds) * 1000 + Math.ceil(nanos / 1_000_000);
}
