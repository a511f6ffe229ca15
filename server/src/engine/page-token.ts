import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalid, type DbError } from '../errors/db-error.js';

/**
 * Opaque List page tokens: `<base64url(JSON {v, after, fp})>.<base64url(HMAC-SHA256)>`.
 * `after` is the last key suffix (id) returned; `fp` fingerprints the request
 * (collection, idPrefix, keysOnly) so a token only continues the listing it
 * came from. Every server sharing a deployment must share the secret.
 */

/** The token format version. */
const TOKEN_VERSION = 1;

/** What a listing token identifies: the request it continues. */
export interface PageRequestShape {
  readonly collection: string;
  readonly idPrefix: string;
  readonly keysOnly: boolean;
}

/** Signs and checks page tokens with one secret. */
export class PageTokenCodec {
  private readonly key: Buffer;

  /** `secret`: the HMAC key; a random per-process secret when absent (tokens then work on this process only). */
  constructor(secret?: string) {
    this.key = secret === undefined || secret === '' ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  /** A token continuing `shape` after the key suffix `after`. */
  encode(shape: PageRequestShape, after: string): string {
    const payload = Buffer.from(JSON.stringify({ v: TOKEN_VERSION, after, fp: fingerprint(shape) }), 'utf8');
    return `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
  }

  /** The `after` of a token; throws DbError invalid INVALID_PAGE_TOKEN (field page_token) when it is malformed, tampered with or from another request. */
  decode(shape: PageRequestShape, token: string): string {
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) throw bad('malformed page token');
    const payload = fromBase64Url(token.slice(0, dot));
    const mac = fromBase64Url(token.slice(dot + 1));
    if (payload === undefined || mac === undefined) throw bad('malformed page token');
    const expected = this.mac(payload);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw bad('page token was not issued by this server');
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload.toString('utf8'));
    } catch {
      throw bad('malformed page token');
    }
    const t = parsed as { v?: unknown; after?: unknown; fp?: unknown };
    if (typeof parsed !== 'object' || parsed === null || t.v !== TOKEN_VERSION || typeof t.after !== 'string') {
      throw bad('malformed page token');
    }
    if (t.fp !== fingerprint(shape)) throw bad('page token belongs to a different request');
    return t.after;
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}

/** A short hash of the request shape. */
function fingerprint(shape: PageRequestShape): string {
  const canonical = JSON.stringify([shape.collection, shape.idPrefix, shape.keysOnly]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

function fromBase64Url(s: string): Buffer | undefined {
  if (s.length === 0 || !/^[A-Za-z0-9_-]+$/.test(s)) return undefined;
  return Buffer.from(s, 'base64url');
}

function bad(message: string): DbError {
  return invalid('INVALID_PAGE_TOKEN', 'page_token', message);
}
