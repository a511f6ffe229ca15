/**
 * Proto ⇄ model converters of LockService: google.protobuf.Duration ⇄
 * milliseconds (checked against the contract's ranges), lease expiries as
 * Timestamps. The LockGuard that writes carry is converted by
 * rpc/convert/lock-guard.ts (shared with DocumentService).
 */
import type { Duration, Timestamp } from '@bufbuild/protobuf/wkt';
import { DbError } from '../../../errors/db-error.js';
import { toTimestamp } from '../../convert/convert.js';
import { durationToMs } from '../../convert/duration.js';

export { durationToMs };

/** Smallest lease of Acquire and Renew, in ms. */
export const MIN_TTL_MS = 100;
/** Smallest lease of Hold, in ms. */
export const MIN_HOLD_TTL_MS = 1000;
/** Largest lease of every call, in ms (10 minutes). */
export const MAX_TTL_MS = 600_000;

/** A lease duration in ms, required, within [minMs, MAX_TTL_MS]; INVALID_ARGUMENT naming `field` and the range otherwise. */
export function requireTtlMs(d: Duration | undefined, field: string, minMs: number): number {
  if (d === undefined) throw outOfRange(field, minMs, `${field} is required`);
  return checkTtl(ttlToMs(d, field, minMs), field, minMs);
}

/** An optional lease duration (unset or zero → undefined, i.e. the default), else within [minMs, MAX_TTL_MS]. */
export function optionalTtlMs(d: Duration | undefined, field: string, minMs: number): number | undefined {
  if (d === undefined) return undefined;
  const ms = ttlToMs(d, field, minMs);
  return ms === 0 ? undefined : checkTtl(ms, field, minMs);
}

/** A ttl Duration in ms; a negative one is refused with the allowed range. */
function ttlToMs(d: Duration, field: string, minMs: number): number {
  if (d.seconds < 0n || d.nanos < 0) throw outOfRange(field, minMs);
  return durationToMs(d, field)!;
}

function checkTtl(ms: number, field: string, minMs: number): number {
  if (ms < minMs || ms > MAX_TTL_MS) throw outOfRange(field, minMs);
  return ms;
}

/** INVALID_ARGUMENT naming `field` and the allowed range (also in the ErrorInfo metadata as minMs / maxMs). */
function outOfRange(field: string, minMs: number, lead?: string): DbError {
  const range = `${field} must be between ${minMs} ms and ${MAX_TTL_MS} ms (${MAX_TTL_MS / 60_000} minutes)`;
  return new DbError('invalid', 'INVALID_ARGUMENT', lead === undefined ? range : `${lead}: ${range}`, {
    field,
    metadata: { field, minMs: String(minMs), maxMs: String(MAX_TTL_MS) },
  });
}

/** A wait timeout in ms: unset → 0 (do not wait). */
export function waitMsOf(d: Duration | undefined, field = 'wait_timeout'): number {
  return durationToMs(d, field) ?? 0;
}

/** The proto Timestamp of an expiry in ms since the epoch. */
export function expireTimeOf(ms: number): Timestamp {
  return toTimestamp(new Date(ms));
}
