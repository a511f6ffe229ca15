import type { JsonObject, JsonValue } from '../model/json.js';
import { isJsonObject } from '../model/json.js';

/**
 * Dotted field paths (`address.city`): each segment names an object key; a
 * path never indexes into arrays. A field is MISSING when some segment's
 * object lacks the key or the parent is not an object — which differs from a
 * field that is present with the value null.
 */

/** The marker of a missing field (distinct from a present null). */
export const MISSING: unique symbol = Symbol('missing');
/** The type of MISSING. */
export type Missing = typeof MISSING;

const cache = new Map<string, readonly string[]>();

/** The segments of a dotted path (cached). */
export function splitPath(path: string): readonly string[] {
  let segs = cache.get(path);
  if (segs === undefined) {
    segs = path.split('.');
    if (cache.size > 10_000) cache.clear();
    cache.set(path, segs);
  }
  return segs;
}

/** The value at `path` in `data`, or MISSING. */
export function getField(data: JsonObject, path: string): JsonValue | Missing {
  let cur: JsonValue = data;
  for (const seg of splitPath(path)) {
    if (!isJsonObject(cur) || !Object.prototype.hasOwnProperty.call(cur, seg)) return MISSING;
    cur = cur[seg] as JsonValue;
  }
  return cur;
}

/** The reason `path` is not a valid dotted field path, or undefined when it is. */
export function fieldPathProblem(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'field path must not be empty';
  if (path.length > 1500) return 'field path must be at most 1500 characters';
  if (splitPath(path).some((s) => s.length === 0)) return `field path "${path}" has an empty segment`;
  return undefined;
}
