import { invalid } from '../errors/db-error.js';

/**
 * Request checks of LockService (docs/locks.md). Field names are the proto
 * fields, so that the RPC layer's BadRequest points at the right one.
 */

/** Longest lock name, in UTF-8 bytes. */
export const MAX_LOCK_NAME_BYTES = 256;
/** Longest holder, in characters (code points). */
export const MAX_HOLDER_CHARS = 256;
/** Acquire/Renew ttl bounds, in ms. */
export const ACQUIRE_TTL = { min: 100, max: 600_000 } as const;
/** Hold ttl bounds and default, in ms. */
export const HOLD_TTL = { min: 1000, max: 600_000, default: 10_000 } as const;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Throws invalid INVALID_ARGUMENT (field `field`) unless `name` is 1..256 bytes of UTF-8 without control characters. */
export function checkLockName(name: unknown, field = 'name'): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) throw invalid('INVALID_ARGUMENT', field, 'lock name is required');
  if (Buffer.byteLength(name, 'utf8') > MAX_LOCK_NAME_BYTES) {
    throw invalid('INVALID_ARGUMENT', field, `lock name is longer than ${MAX_LOCK_NAME_BYTES} bytes of UTF-8`);
  }
  if (CONTROL.test(name)) throw invalid('INVALID_ARGUMENT', field, 'lock name must not contain control characters');
  if (!isWellFormed(name)) throw invalid('INVALID_ARGUMENT', field, 'lock name is not valid UTF-8 (lone surrogate)');
}

/** The ttl in ms, checked against `bounds`; `undefined` takes bounds.default or is refused when there is none. */
export function checkTtl(ttlMs: number | undefined, bounds: { min: number; max: number; default?: number }): number {
  if (ttlMs === undefined || ttlMs === 0) {
    if (bounds.default !== undefined) return bounds.default;
    throw invalid('INVALID_ARGUMENT', 'ttl', 'ttl is required');
  }
  if (!Number.isFinite(ttlMs) || ttlMs < bounds.min || ttlMs > bounds.max) {
    throw invalid('INVALID_ARGUMENT', 'ttl', `ttl must be between ${bounds.min} and ${bounds.max} ms`);
  }
  return Math.ceil(ttlMs);
}

/** waitMs in ms (undefined = 0); must be finite and ≥ 0. */
export function checkWait(waitMs: number | undefined): number {
  if (waitMs === undefined) return 0;
  if (!Number.isFinite(waitMs) || waitMs < 0) throw invalid('INVALID_ARGUMENT', 'wait_timeout', 'wait_timeout must not be negative');
  return waitMs;
}

/** The holder ('' when absent); at most 256 characters. */
export function checkHolder(holder: string | undefined): string {
  if (holder === undefined) return '';
  if (typeof holder !== 'string' || [...holder].length > MAX_HOLDER_CHARS) {
    throw invalid('INVALID_ARGUMENT', 'holder', `holder must be at most ${MAX_HOLDER_CHARS} characters`);
  }
  return holder;
}

/** Throws invalid INVALID_ARGUMENT (field lease_id) unless `leaseId` is a non-empty string of at most 128 characters. */
export function checkLeaseId(leaseId: unknown): asserts leaseId is string {
  if (typeof leaseId !== 'string' || leaseId.length === 0 || leaseId.length > 128) {
    throw invalid('INVALID_ARGUMENT', 'lease_id', 'lease_id is required (at most 128 characters)');
  }
}

function isWellFormed(s: string): boolean {
  return !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}
