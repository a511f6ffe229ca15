/**
 * Upload ids (ADR 0013 §2): UUIDv7 strings, time-ordered so that a listing of
 * `_uploads/s/` is oldest first and a sweeper can read a session's age from its
 * key, with 74 random bits (12 in rand_a, 62 in rand_b) because an upload id is
 * a capability, like an S3 upload id.
 */
import type { Clock, RandomSource } from '../../common/clock.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A new UUIDv7: 48 bits of milliseconds from `clock`, version 7, 74 random bits from `random`. */
export function newUploadId(clock: Clock, random: RandomSource): string {
  const bytes = new Uint8Array(16);
  bytes.set(random.bytes(10).subarray(0, 10), 6);
  let ms = Math.max(0, Math.floor(clock.now()));
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = 0x70 | ((bytes[6] as number) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = Buffer.from(bytes).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True when `id` has the shape newUploadId produces (so it can be put in a storage key). */
export function isUploadId(id: string): boolean {
  return UUID_V7.test(id);
}

/** The creation time of an upload id, in ms since the epoch (its first 48 bits). */
export function uploadIdTime(id: string): number {
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}
