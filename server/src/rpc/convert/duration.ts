/** google.protobuf.Duration → milliseconds, shared by the services that take durations (LockService, StreamService). */
import type { Duration } from '@bufbuild/protobuf/wkt';
import { invalid } from '../../errors/db-error.js';

/**
 * A Duration as whole milliseconds (sub-millisecond parts rounded up), or
 * undefined when unset. Durations too long for a number of ms saturate at
 * Number.MAX_SAFE_INTEGER (longer than every bound, so range checks and
 * deadlines treat them right). Negative or malformed durations are
 * INVALID_ARGUMENT naming `field`.
 */
export function durationToMs(d: Duration | undefined, field: string): number | undefined {
  if (d === undefined) return undefined;
  if (d.nanos < -999_999_999 || d.nanos > 999_999_999)
    throw invalid('INVALID_ARGUMENT', field, `${field} is not a valid duration (nanos must be within ±999,999,999)`);
  if (d.seconds < 0n || d.nanos < 0) throw invalid('INVALID_ARGUMENT', field, `${field} must not be negative`);
  if (d.seconds >= BigInt(Number.MAX_SAFE_INTEGER) / 1000n) return Number.MAX_SAFE_INTEGER;
  return Number(d.seconds) * 1000 + Math.ceil(d.nanos / 1_000_000);
}
