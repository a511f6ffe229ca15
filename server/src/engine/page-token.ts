import { invalid, type DbError } from '../errors/db-error.js';
import { openJsonToken, sealJsonToken, shapeFingerprint } from '../tokens/signed-token.js';
import type { TokenKeys } from '../tokens/token-keys.js';

/**
 * Opaque List page tokens: `<key id>.<base64url(JSON {v, after, fp})>.<base64url(HMAC-SHA256)>`
 * (tokens/signed-token.ts, purpose "list"). `after` is the last key suffix
 * (id) returned; `fp` fingerprints the request (collection, idPrefix,
 * keysOnly) so a token only continues the listing it came from. page_size
 * is not part of it: it may change from page to page (AIP-158).
 */

/** The token format version. */
const TOKEN_VERSION = 2;
const PURPOSE = 'list';

/** What a listing token identifies: the request it continues. */
export interface PageRequestShape {
  readonly collection: string;
  readonly idPrefix: string;
  readonly keysOnly: boolean;
}

/** Signs and checks page tokens with the deployment's token keys. */
export class PageTokenCodec {
  /** `keys`: the token keys (tokens/durable-token-keys.ts, or staticTokenKeys). */
  constructor(private readonly keys: TokenKeys) {}

  /** A token continuing `shape` after the key suffix `after`. */
  encode(shape: PageRequestShape, after: string): string {
    return sealJsonToken(this.keys, PURPOSE, { v: TOKEN_VERSION, after, fp: fingerprint(shape) });
  }

  /** The `after` of a token; throws DbError invalid INVALID_PAGE_TOKEN (field page_token) when it is malformed, tampered with, expired or from another request. */
  async decode(shape: PageRequestShape, token: string, signal?: AbortSignal): Promise<string> {
    const opened = await openJsonToken(this.keys, PURPOSE, 'page token', token, signal);
    if (!opened.ok) throw bad(opened.message);
    const t = opened.payload;
    if (t.v !== TOKEN_VERSION || typeof t.after !== 'string') {
      throw bad('malformed page token');
    }
    if (t.fp !== fingerprint(shape)) {
      throw bad('page token belongs to a different request: collection, id_prefix and keys_only must match the request that returned it');
    }
    return t.after;
  }
}

/** A short hash of the request shape. */
function fingerprint(shape: PageRequestShape): string {
  return shapeFingerprint([shape.collection, shape.idPrefix, shape.keysOnly]);
}

function bad(message: string): DbError {
  return invalid('INVALID_PAGE_TOKEN', 'page_token', message);
}
