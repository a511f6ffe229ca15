import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { invalid, type DbError } from '../errors/db-error.js';
import type { Filter, OrderTerm } from '../model/filter.js';
import type { JsonValue } from '../model/json.js';
import { MISSING } from './field-path.js';
import type { SortKey, SortValue } from './compare.js';
import { formatFilter } from './format-filter.js';

/**
 * Opaque query resume tokens: `<base64url(JSON {v, fp, k, id})>.<base64url(HMAC-SHA256)>`.
 * `k` and `id` are the last document's sort key (a missing value is written
 * as `{"m":1}`, a present one as `{"v":value}`); `fp` fingerprints the query
 * (collection, filter, order) so a token only continues the query it came
 * from. Servers sharing a deployment must share the secret.
 */

const VERSION = 1;

/** What a token's fingerprint covers. */
export interface QueryShape {
  readonly collection: string;
  readonly filter?: Filter;
  readonly orderBy: readonly OrderTerm[];
}

/** Signs and checks resume tokens with one secret. */
export class ResumeTokenCodec {
  private readonly key: Buffer;

  /** `secret`: the HMAC key; a random per-process secret when absent. */
  constructor(secret?: string) {
    this.key = secret === undefined || secret === '' ? randomBytes(32) : Buffer.from(secret, 'utf8');
  }

  /** The fingerprint of a query shape. */
  fingerprint(shape: QueryShape): string {
    const canonical = JSON.stringify([
      shape.collection,
      shape.filter === undefined ? '' : formatFilter(shape.filter),
      shape.orderBy.map((t) => [t.field, t.direction]),
    ]);
    return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
  }

  /** A token continuing the query with fingerprint `fp` after `key`. */
  encode(fp: string, key: SortKey): string {
    const k = key.values.map((v) => (v === MISSING ? { m: 1 } : { v }));
    const payload = Buffer.from(JSON.stringify({ v: VERSION, fp, k, id: key.id }), 'utf8');
    return `${payload.toString('base64url')}.${this.mac(payload).toString('base64url')}`;
  }

  /** The sort key of a token; throws INVALID_PAGE_TOKEN (field start_after) when it is malformed, forged or from another query. */
  decode(fp: string, terms: number, token: string): SortKey {
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) throw bad('malformed resume token');
    const payload = b64(token.slice(0, dot));
    const mac = b64(token.slice(dot + 1));
    if (payload === undefined || mac === undefined) throw bad('malformed resume token');
    const expected = this.mac(payload);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) throw bad('resume token was not issued by this server');
    let t: { v?: unknown; fp?: unknown; k?: unknown; id?: unknown };
    try {
      t = JSON.parse(payload.toString('utf8')) as typeof t;
    } catch {
      throw bad('malformed resume token');
    }
    if (t.v !== VERSION || typeof t.id !== 'string' || !Array.isArray(t.k)) throw bad('malformed resume token');
    if (t.fp !== fp || t.k.length !== terms) throw bad('resume token belongs to a different query');
    const values: SortValue[] = (t.k as { m?: number; v?: JsonValue }[]).map((e) => (e.m === 1 ? MISSING : (e.v as JsonValue)));
    return { values, id: t.id };
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update(payload).digest();
  }
}

function b64(s: string): Buffer | undefined {
  if (s.length === 0 || !/^[A-Za-z0-9_-]+$/.test(s)) return undefined;
  return Buffer.from(s, 'base64url');
}

function bad(message: string): DbError {
  return invalid('INVALID_PAGE_TOKEN', 'start_after', message);
}
