/**
 * One index hash key for the whole deployment (docs/security.md, "Indexes"):
 * hashed index values are HMACs under SB_INDEX_HASH_KEY_FILE, so a server
 * started with another key would write entries no other server finds and
 * miss theirs — queries silently short, unique constraints silently open.
 * The store therefore keeps the key's fingerprint at `_meta/index-hash-key`
 * (created by the first server that starts with a key); a server whose key
 * has another fingerprint refuses to start, naming the setting. Replacing the
 * key on purpose: SB_INDEX_HASH_KEY_REPLACE=true on one start overwrites the
 * fingerprint; RebuildIndexes of every hashed index must follow (their
 * stored values are under the old key).
 *
 * The fingerprint is HMAC-SHA-256(key, a fixed label), truncated to 128 bits:
 * it names the key without revealing it or any hashed value.
 */
import { createHmac } from 'node:crypto';
import { ConfigError } from '../config/parse-value.js';
import { INDEX_HASH_KEY_FINGERPRINT_KEY } from '../format/bucket-layout.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import { INDEX_HASH_KEY_SETTING } from './value-hash.js';

/** The setting that allows a start to replace the stored fingerprint. */
export const INDEX_HASH_KEY_REPLACE_SETTING = 'SB_INDEX_HASH_KEY_REPLACE';

/** What checkIndexHashKey did. */
export type KeyCheckOutcome = 'recorded' | 'matched' | 'replaced';

/** The fingerprint of `key`: 32 hex characters. */
export function indexHashKeyFingerprint(key: Buffer): string {
  return createHmac('sha256', key).update('smarterbase index hash key fingerprint v1', 'utf8').digest('hex').slice(0, 32);
}

function encode(fingerprint: string): Uint8Array {
  return Buffer.from(JSON.stringify({ schemaVersion: 1, fingerprint }), 'utf8');
}

function decode(body: Uint8Array): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as { fingerprint?: unknown };
    return typeof parsed.fingerprint === 'string' ? parsed.fingerprint : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records `key`'s fingerprint when the store has none, accepts a matching
 * one, overwrites another with `replace`, and otherwise throws a ConfigError
 * naming both settings.
 */
export async function checkIndexHashKey(store: BlobStore, key: Buffer, replace: boolean, signal?: AbortSignal): Promise<KeyCheckOutcome> {
  const mine = indexHashKeyFingerprint(key);
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await store.get(INDEX_HASH_KEY_FINGERPRINT_KEY, signal);
    const theirs = stored === undefined ? undefined : decode(stored.body);
    if (theirs === mine) return 'matched';
    if (stored !== undefined && !replace)
      throw new ConfigError(
        `${INDEX_HASH_KEY_SETTING}: this key (fingerprint ${mine}) is not the one hashed index values in this store are under ` +
          `(fingerprint ${theirs ?? 'unreadable'}): give every server the same key file, or replace the key on purpose with ` +
          `${INDEX_HASH_KEY_REPLACE_SETTING}=true and then RebuildIndexes every hashed index`,
      );
    try {
      await store.put(
        INDEX_HASH_KEY_FINGERPRINT_KEY,
        encode(mine),
        stored === undefined ? { ifNoneMatch: true } : { ifMatch: stored.etag },
        signal,
      );
      return stored === undefined ? 'recorded' : 'replaced';
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e; // another server wrote it meanwhile: look again
    }
  }
  throw new ConfigError(`${INDEX_HASH_KEY_SETTING}: ${INDEX_HASH_KEY_FINGERPRINT_KEY} kept changing while this server checked it`);
}
