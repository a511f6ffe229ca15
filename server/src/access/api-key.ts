/**
 * API key strings: `sbk_<key id>_<secret>`, a 16-hex-character id (64 random
 * bits, public: it names the stored record) and a 43-character base64url
 * secret (256 random bits). Only SHA-256 of the secret is stored: a secret
 * of 256 random bits cannot be guessed or brute-forced from its hash, so the
 * slow, salted hashes made for human passwords (bcrypt, argon2) would cost
 * every call CPU for nothing (docs/adr/0015).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RandomSource } from '../common/clock.js';

/** The prefix of every key string. */
export const KEY_PREFIX = 'sbk_';

const ID_RE = /^[0-9a-f]{16}$/;
const SECRET_RE = /^[A-Za-z0-9_-]{43}$/;

/** A key string split into its parts. */
export interface ParsedKey {
  /** The public id, 16 lowercase hex characters. */
  readonly id: string;
  /** The secret, 43 base64url characters. */
  readonly secret: string;
}

/** True when `id` has the key id format. */
export function isKeyId(id: string): boolean {
  return ID_RE.test(id);
}

/** The parts of `token`, or undefined when it is not a key string. */
export function parseKey(token: string): ParsedKey | undefined {
  if (!token.startsWith(KEY_PREFIX)) return undefined;
  const rest = token.slice(KEY_PREFIX.length);
  const id = rest.slice(0, 16);
  const secret = rest.slice(17);
  if (rest[16] !== '_' || !ID_RE.test(id) || !SECRET_RE.test(secret)) return undefined;
  return { id, secret };
}

/** A new random key: its parts and its string. */
export function newKey(random: RandomSource): ParsedKey & { readonly token: string } {
  const id = Buffer.from(random.bytes(8)).toString('hex');
  const secret = Buffer.from(random.bytes(32)).toString('base64url');
  return { id, secret, token: `${KEY_PREFIX}${id}_${secret}` };
}

/** The stored form of a secret: lowercase hex SHA-256. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** True when `secret` hashes to `storedHash`; compares in constant time. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = createHash('sha256').update(secret, 'utf8').digest();
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}
