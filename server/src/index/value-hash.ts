/**
 * Hashed equality-index values (issue 14, docs/security.md "Indexes"): an
 * equality or unique index created with `hashValues` stores
 * `h:` + base64url(HMAC-SHA-256(key, canonical JSON value)) instead of the
 * canonical JSON, so whoever reads Redis sees no field value. HMAC keeps the
 * encoding injective in practice and deterministic, which is all eq/in
 * lookups and unique constraints need; it has no order, so such an index
 * answers no range, prefix or order_by (only ordered indexes do, and they
 * cannot hash).
 *
 * The key is process configuration (SB_INDEX_HASH_KEY_FILE, read once at
 * start-up by main.ts): one slot here rather than a parameter threaded
 * through every caller of extract-values.ts, so writes, lookups, checks,
 * drift repair and rebuilds all go through the one encoding and cannot
 * disagree. Without a key, encoding a hashed index's value throws
 * FAILED_PRECONDITION / ENCRYPTION_NOT_CONFIGURED: the index is unusable
 * (its collection's writes and queries fail) until the key is configured.
 */
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DbError } from '../errors/db-error.js';

/** Fewest key bytes accepted: HMAC-SHA-256 gains nothing beyond 64 and needs 32 for full strength. */
export const MIN_INDEX_HASH_KEY_BYTES = 32;

/** The setting that names the key file (in error messages and metadata). */
export const INDEX_HASH_KEY_SETTING = 'SB_INDEX_HASH_KEY_FILE';

/** Prefix of every hashed value: never the first character of canonical JSON, so hashed and clear values cannot collide. */
export const HASHED_VALUE_PREFIX = 'h:';

let currentKey: Buffer | undefined;

/** Installs (or, with undefined, removes) the process's index hash key; at start-up only, since stored values depend on it. */
export function setIndexHashKey(key: Buffer | undefined): void {
  if (key !== undefined && key.length < MIN_INDEX_HASH_KEY_BYTES) {
    throw new Error(`an index hash key needs at least ${MIN_INDEX_HASH_KEY_BYTES} bytes, got ${key.length}`);
  }
  currentKey = key === undefined ? undefined : Buffer.from(key);
}

/** Whether a key is installed (CreateIndex with hashValues needs one). */
export function hasIndexHashKey(): boolean {
  return currentKey !== undefined;
}

/** DbError failed_precondition ENCRYPTION_NOT_CONFIGURED naming the setting (and the index, when known). */
export function indexHashKeyMissing(index?: string): DbError {
  return new DbError(
    'failed_precondition',
    'ENCRYPTION_NOT_CONFIGURED',
    index === undefined
      ? `hashed index values need ${INDEX_HASH_KEY_SETTING}, which is not set`
      : `index ${index} stores hashed values and ${INDEX_HASH_KEY_SETTING} is not set`,
    { metadata: { setting: INDEX_HASH_KEY_SETTING, ...(index !== undefined ? { index } : {}) } },
  );
}

/** The stored form of one canonical JSON value of a hashed index; throws indexHashKeyMissing without a key. */
export function hashIndexValue(canonical: string, index?: string): string {
  if (currentKey === undefined) throw indexHashKeyMissing(index);
  return HASHED_VALUE_PREFIX + createHmac('sha256', currentKey).update(canonical, 'utf8').digest('base64url');
}

const BASE64_RE = /^[A-Za-z0-9+/_-]+={0,2}$/;

/**
 * The key held by a key file's bytes: the base64 (or base64url) text it
 * holds when it decodes to 32+ bytes (surrounding whitespace ignored),
 * otherwise the raw bytes when there are 32+ of them. Throws otherwise.
 */
export function parseIndexHashKey(bytes: Buffer): Buffer {
  const text = bytes.toString('latin1').trim();
  if (BASE64_RE.test(text)) {
    const decoded = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
    if (decoded.length >= MIN_INDEX_HASH_KEY_BYTES) return decoded;
  }
  if (bytes.length >= MIN_INDEX_HASH_KEY_BYTES && !BASE64_RE.test(text)) return Buffer.from(bytes);
  throw new Error(`the key must be at least ${MIN_INDEX_HASH_KEY_BYTES} bytes (raw, or base64 text, e.g. openssl rand -base64 32)`);
}

/** Reads and parses the key file; the error names the file and the setting, never key bytes. */
export async function loadIndexHashKeyFile(path: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${INDEX_HASH_KEY_SETTING}: cannot read ${JSON.stringify(path)}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return parseIndexHashKey(bytes);
  } catch (e) {
    throw new Error(`${INDEX_HASH_KEY_SETTING} ${JSON.stringify(path)}: ${(e as Error).message}`, { cause: e });
  }
}
