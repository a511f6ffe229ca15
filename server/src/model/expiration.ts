/**
 * When a written version expires (docs/streams.md, "Document expiry (TTL)"):
 * the engine's form of the protocol's Expiration, and its resolution to an
 * absolute expire time by the writing server's clock. Expiry belongs to a
 * version: a write without an Expiration takes its collection's default TTL,
 * or none.
 */
import { invalid } from '../errors/db-error.js';

/** The smallest relative TTL accepted, in ms. */
export const MIN_TTL_MS = 1000;
/** The largest relative TTL accepted, in ms (100 years): every expire time stays writable as a protobuf Timestamp. */
export const MAX_TTL_MS = 100 * 365 * 24 * 3600 * 1000;
/** The last instant a google.protobuf.Timestamp can hold, in ms (9999-12-31T23:59:59.999Z). */
const MAX_TIME_MS = 253_402_300_799_999;

/** An Expiration of a write: an absolute time, a time to live, or never (overrides a collection default). */
export type ExpirationInput =
  { readonly kind: 'time'; readonly at: Date } | { readonly kind: 'ttl'; readonly ms: number } | { readonly kind: 'never' };

/** Refuses an Expiration that cannot be resolved (INVALID_ARGUMENT, field `field`). */
export function checkExpiration(exp: ExpirationInput | undefined, field = 'expiration'): void {
  if (exp === undefined) return;
  if (exp.kind === 'ttl' && (!Number.isFinite(exp.ms) || exp.ms < MIN_TTL_MS || exp.ms > MAX_TTL_MS)) {
    throw invalid('INVALID_ARGUMENT', `${field}.ttl`, `ttl must be between ${MIN_TTL_MS / 1000} s and 100 years (for longer, use never)`);
  }
  if (exp.kind === 'time' && (Number.isNaN(exp.at.getTime()) || exp.at.getTime() > MAX_TIME_MS))
    throw invalid('INVALID_ARGUMENT', `${field}.expire_time`, 'expire_time must be a time no later than 9999-12-31T23:59:59.999Z');
}

/**
 * The expire time of a version written at `nowMs`: the write's own
 * Expiration, else the collection's default TTL (ms), else none (undefined).
 */
export function resolveExpireTime(exp: ExpirationInput | undefined, defaultTtlMs: number | undefined, nowMs: number): Date | undefined {
  if (exp === undefined) return defaultTtlMs === undefined ? undefined : new Date(nowMs + defaultTtlMs);
  if (exp.kind === 'never') return undefined;
  if (exp.kind === 'time') return exp.at;
  return new Date(nowMs + exp.ms);
}
