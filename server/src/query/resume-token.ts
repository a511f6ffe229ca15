import { invalid, type DbError } from '../errors/db-error.js';
import type { Filter, OrderTerm } from '../model/filter.js';
import type { JsonValue } from '../model/json.js';
import { MISSING } from './field-path.js';
import type { SortKey, SortValue } from './compare.js';
import { formatFilter } from './format-filter.js';
import { openJsonToken, sealJsonToken, shapeFingerprint } from '../tokens/signed-token.js';
import type { TokenKeys } from '../tokens/token-keys.js';

/**
 * Opaque query resume tokens: `<key id>.<base64url(JSON {v, fp, k, id})>.<base64url(HMAC-SHA256)>`
 * (tokens/signed-token.ts, purpose "query"). `k` and `id` are the last
 * document's sort key (a missing value is written as `{"m":1}`, a present one
 * as `{"v":value}`); `fp` fingerprints the query (collection, filter, order)
 * so a token only continues the query it came from. limit, offset (ignored
 * with a token), projection and require_index may differ when resuming.
 */

const VERSION = 2;
const PURPOSE = 'query';

/** What a token's fingerprint covers. */
export interface QueryShape {
  readonly collection: string;
  readonly filter?: Filter;
  readonly orderBy: readonly OrderTerm[];
}

/** Signs and checks resume tokens with the deployment's token keys. */
export class ResumeTokenCodec {
  /** `keys`: the token keys (tokens/durable-token-keys.ts, or staticTokenKeys). */
  constructor(private readonly keys: TokenKeys) {}

  /** The fingerprint of a query shape. */
  fingerprint(shape: QueryShape): string {
    return shapeFingerprint([
      shape.collection,
      shape.filter === undefined ? '' : formatFilter(shape.filter),
      shape.orderBy.map((t) => [t.field, t.direction]),
    ]);
  }

  /** A token continuing the query with fingerprint `fp` after `key`. */
  encode(fp: string, key: SortKey): string {
    const k = key.values.map((v) => (v === MISSING ? { m: 1 } : { v }));
    return sealJsonToken(this.keys, PURPOSE, { v: VERSION, fp, k, id: key.id });
  }

  /** The sort key of a token; throws INVALID_PAGE_TOKEN (field start_after) when it is malformed, forged or from another query. */
  async decode(fp: string, terms: number, token: string, signal?: AbortSignal): Promise<SortKey> {
    const opened = await openJsonToken(this.keys, PURPOSE, 'resume token', token, signal);
    if (!opened.ok) throw bad(opened.message);
    const t = opened.payload;
    if (t.v !== VERSION || typeof t.id !== 'string' || !Array.isArray(t.k)) throw bad('malformed resume token');
    if (t.fp !== fp || t.k.length !== terms) {
      throw bad('resume token belongs to a different query: collection, filter and order_by must match the query that returned it');
    }
    const values: SortValue[] = (t.k as { m?: number; v?: JsonValue }[]).map((e) => (e.m === 1 ? MISSING : (e.v as JsonValue)));
    return { values, id: t.id };
  }
}

function bad(message: string): DbError {
  return invalid('INVALID_PAGE_TOKEN', 'start_after', message);
}
