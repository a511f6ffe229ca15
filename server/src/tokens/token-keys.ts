import { createHash, randomBytes } from 'node:crypto';

/**
 * The HMAC keys that sign List page tokens and Query resume tokens
 * (docs/storage-format.md, "Token keys"). Every token names the key that
 * signed it, so keys can rotate: new tokens are signed with the newest key,
 * tokens of older keys keep verifying until those keys leave the ring.
 */

/** One signing key. */
export interface TokenKey {
  /** Short id written into every token it signs: 1–32 characters of [A-Za-z0-9_-]. */
  readonly id: string;
  /** The HMAC-SHA256 key. */
  readonly secret: Buffer;
}

/** Where the token codecs get their keys. */
export interface TokenKeys {
  /** The key new tokens are signed with. */
  signingKey(): TokenKey;
  /**
   * The key `id` when tokens it signed are still accepted, else undefined.
   * May consult durable storage once when the id is unknown (a key another
   * server just started using).
   */
  verifyingKey(id: string, signal?: AbortSignal): Promise<TokenKey | undefined>;
}

/** The characters a key id may use. */
export const KEY_ID_RE = /^[A-Za-z0-9_-]{1,32}$/;

/** Keys that never change: one key from a configured secret (SB_PAGE_TOKEN_SECRET), or a random one for this process when `secret` is empty. */
export function staticTokenKeys(secret?: string): TokenKeys {
  const bytes = secret === undefined || secret === '' ? randomBytes(32) : Buffer.from(secret, 'utf8');
  // The id is derived from the secret so that every replica configured with it names it alike.
  const key: TokenKey = { id: `s${createHash('sha256').update(bytes).digest('base64url').slice(0, 8)}`, secret: bytes };
  return {
    signingKey: () => key,
    verifyingKey: async (id) => (id === key.id ? key : undefined),
  };
}
