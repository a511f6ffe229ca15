import { DbError } from '../errors/db-error.js';
import { KEY_ID_RE, type TokenKey } from './token-keys.js';

/**
 * The token keyring as stored (docs/storage-format.md, "Token keys") and the
 * pure rules of rotation. A key created at `createdAtMs` becomes the signing
 * key `activationDelayMs` later (by then every server has loaded it); the
 * key it replaces keeps verifying for `overlapMs` after that.
 */

/** One key of the ring. */
export interface RingKey extends TokenKey {
  /** When the key was created, in ms since the epoch (the creating server's clock). */
  readonly createdAtMs: number;
}

/** The keys, oldest first. */
export interface Keyring {
  readonly keys: readonly RingKey[];
}

/** When keys rotate and how long old ones keep verifying, in ms. */
export interface RotationPolicy {
  /** A new key is made once the newest is this old; 0 = never rotate. */
  readonly rotateAfterMs: number;
  /** How long a replaced key keeps verifying after its successor started signing. */
  readonly overlapMs: number;
  /** How long after its creation a new key starts signing (every server reloads the ring within it). */
  readonly activationDelayMs: number;
}

const SCHEMA_VERSION = 1;

/** The index of the key new tokens are signed with: the newest active one (the first key is active at once). */
function signingIndex(ring: Keyring, nowMs: number, policy: RotationPolicy): number {
  for (let i = ring.keys.length - 1; i > 0; i--) {
    if (ring.keys[i]!.createdAtMs + policy.activationDelayMs <= nowMs) return i;
  }
  return 0;
}

/** The key new tokens are signed with. */
export function signingKey(ring: Keyring, nowMs: number, policy: RotationPolicy): RingKey {
  return ring.keys[signingIndex(ring, nowMs, policy)]!;
}

/** Whether tokens of `key` verify at `nowMs`: the signing key, newer (not yet active) keys, and older keys within the overlap after their successor became active. */
function accepted(ring: Keyring, index: number, nowMs: number, policy: RotationPolicy): boolean {
  const signing = signingIndex(ring, nowMs, policy);
  if (index >= signing) return true;
  const successorActiveAt = ring.keys[index + 1]!.createdAtMs + policy.activationDelayMs;
  return nowMs < successorActiveAt + policy.overlapMs;
}

/** The keys whose tokens verify at `nowMs`. */
export function acceptedKeys(ring: Keyring, nowMs: number, policy: RotationPolicy): RingKey[] {
  return ring.keys.filter((_, i) => accepted(ring, i, nowMs, policy));
}

/** The ring after rotating (when the newest key is due) and dropping keys that no longer verify; undefined when nothing changes. */
export function rotate(
  ring: Keyring,
  nowMs: number,
  policy: RotationPolicy,
  newKey: (createdAtMs: number) => RingKey,
): Keyring | undefined {
  const newest = ring.keys[ring.keys.length - 1]!;
  const due = policy.rotateAfterMs > 0 && newest.createdAtMs + policy.rotateAfterMs <= nowMs;
  const keys = due ? [...ring.keys, newKey(nowMs)] : [...ring.keys];
  const kept = keys.filter((_, i) => accepted({ keys }, i, nowMs, policy));
  return kept.length === ring.keys.length && !due ? undefined : { keys: kept };
}

/** The stored JSON of a ring. */
export function encodeKeyring(ring: Keyring): Buffer {
  const keys = ring.keys.map((k) => ({ id: k.id, secret: k.secret.toString('base64url'), createdAtMs: k.createdAtMs }));
  return Buffer.from(JSON.stringify({ schemaVersion: SCHEMA_VERSION, keys }), 'utf8');
}

/** A stored ring; DbError internal INTERNAL_ERROR (metadata key) when the object is not one. */
export function decodeKeyring(body: Uint8Array, key: string): Keyring {
  const corrupt = (why: string): DbError =>
    new DbError('internal', 'INTERNAL_ERROR', `token keyring ${key} is corrupt: ${why}`, { metadata: { key } });
  let parsed: { schemaVersion?: unknown; keys?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8')) as typeof parsed;
  } catch {
    throw corrupt('not JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || parsed.schemaVersion !== SCHEMA_VERSION) throw corrupt('unknown schemaVersion');
  if (!Array.isArray(parsed.keys) || parsed.keys.length === 0) throw corrupt('no keys');
  const keys = (parsed.keys as unknown[]).map((k) => {
    const e = k as { id?: unknown; secret?: unknown; createdAtMs?: unknown };
    if (typeof e.id !== 'string' || !KEY_ID_RE.test(e.id)) throw corrupt('bad key id');
    if (typeof e.secret !== 'string' || !/^[A-Za-z0-9_-]{16,}$/.test(e.secret)) throw corrupt(`bad secret of key ${e.id}`);
    if (typeof e.createdAtMs !== 'number' || !Number.isFinite(e.createdAtMs)) throw corrupt(`bad createdAtMs of key ${e.id}`);
    return { id: e.id, secret: Buffer.from(e.secret, 'base64url'), createdAtMs: e.createdAtMs };
  });
  return { keys };
}
