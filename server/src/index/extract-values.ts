/**
 * What a document contributes to each index: typed, injective encodings of
 * its field values, shared by every IndexStore adapter.
 *
 * Equality / unique indexes: one value per combination of the fields'
 * candidate values, encoded as the canonical JSON (object keys sorted) of the
 * array of those values, e.g. `["active",21]`. JSON keeps the type (1 ≠ "1")
 * and is injective, so no value can forge another. A field's candidates are
 * its value itself and, when it is an array, each of its elements too (so
 * `eq` on an array field matches a whole-array value or any element). A
 * missing field gives no candidates, so the document has no entry.
 *
 * Ordered indexes: a number field gives `n:<JSON number>`, a string field
 * `s:<escaped string>` (escapeOrdered: NUL becomes NUL 0x01, so the stores
 * can terminate values with NUL NUL and keep UTF-8 byte order). Other types
 * and missing fields give nothing: they are not in the walk.
 *
 * Hashed equality/unique indexes (`hashValues`) store hashIndexValue of
 * that canonical JSON instead (value-hash.ts), on both sides through
 * equalityValue below.
 *
 * Paths are dotted and traverse objects only: `a.b` of `{a: {b: 1}}` is 1;
 * through an array or a scalar it is missing.
 */
import type { IndexCatalog, IndexValues } from './index-store.js';
import type { IndexDefinition } from '../model/index-def.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../model/json.js';
import { compareUtf8 } from '../common/utf8-order.js';
import { hashIndexValue } from './value-hash.js';

/** Most combinations a composite index may produce for one document (beyond: the document is not indexed by it). */
export const MAX_COMBINATIONS = 1024;

/** The value at a dotted path, or undefined when missing (objects are traversed; arrays and scalars are not). */
export function fieldValue(data: JsonObject, path: string): JsonValue | undefined {
  let current: JsonValue = data;
  for (const part of path.split('.')) {
    if (!isJsonObject(current) || !Object.prototype.hasOwnProperty.call(current, part)) return undefined;
    current = current[part] as JsonValue;
  }
  return current;
}

/** Canonical JSON: object keys sorted by code point, no whitespace. */
export function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value).sort(compareUtf8);
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Compares two strings by their UTF-8 bytes (one implementation for the whole server: common/utf8-order.ts). */
export { compareUtf8 };

/** The encoded lookup value of `eq` on an equality/unique index: one value per field, in order. */
export function encodeEqualityValues(def: EqualityDef, values: readonly JsonValue[]): string {
  if (values.length !== def.fields.length) {
    throw new Error(`index has ${def.fields.length} field(s), got ${values.length} value(s)`);
  }
  return equalityValue(def, values);
}

/** What the equality encoding reads of a definition (name: for the error when a hashed index has no key). */
type EqualityDef = Pick<IndexDefinition, 'fields'> & Partial<Pick<IndexDefinition, 'hashValues' | 'name'>>;

/** The one equality encoding: canonical JSON of the values, hashed when the index says so. */
function equalityValue(def: EqualityDef, values: readonly JsonValue[]): string {
  const canonical = canonicalJson(values as JsonValue[]);
  return def.hashValues === true ? hashIndexValue(canonical, def.name) : canonical;
}

/** Escapes a string for ordered storage: NUL → NUL 0x01 (order-preserving; NUL NUL can then terminate it). */
export function escapeOrdered(s: string): string {
  // eslint-disable-next-line no-control-regex -- escaping NUL is the point
  return s.includes('\u0000') ? s.replace(/\u0000/g, '\u0000\u0001') : s;
}

/** Undoes escapeOrdered. */
export function unescapeOrdered(s: string): string {
  // eslint-disable-next-line no-control-regex -- unescaping NUL is the point
  return s.includes('\u0000') ? s.replace(/\u0000\u0001/g, '\u0000') : s;
}

/** The ordered encoding of a number or string; undefined for other values. */
export function encodeOrderedValue(value: JsonValue | undefined): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return `n:${JSON.stringify(value)}`;
  if (typeof value === 'string') return `s:${escapeOrdered(value)}`;
  return undefined;
}

/** Decodes an ordered encoding back to its number or string. */
export function decodeOrderedValue(encoded: string): number | string {
  if (encoded.startsWith('n:')) return Number(encoded.slice(2));
  if (encoded.startsWith('s:')) return unescapeOrdered(encoded.slice(2));
  throw new Error(`not an ordered index value: ${JSON.stringify(encoded)}`);
}

/** The document's values for one index (sorted, without duplicates). */
export function valuesForIndex(def: Pick<IndexDefinition, 'fields' | 'kind'> & EqualityDef, data: JsonObject): string[] {
  if (def.kind === 'ordered') {
    const encoded = encodeOrderedValue(fieldValue(data, def.fields[0] ?? ''));
    return encoded === undefined ? [] : [encoded];
  }
  const perField: JsonValue[][] = [];
  let combinations = 1;
  for (const field of def.fields) {
    const candidates = equalityCandidates(fieldValue(data, field));
    if (candidates.length === 0) return [];
    combinations *= candidates.length;
    if (combinations > MAX_COMBINATIONS) return [];
    perField.push(candidates);
  }
  const out = new Set<string>();
  const combo: JsonValue[] = [];
  const walk = (i: number): void => {
    if (i === perField.length) {
      out.add(equalityValue(def, combo));
      return;
    }
    for (const v of perField[i] ?? []) {
      combo[i] = v;
      walk(i + 1);
    }
  };
  walk(0);
  return [...out].sort(compareUtf8);
}

/** The values of every index of the catalog for a document. */
export function indexValues(catalog: IndexCatalog, data: JsonObject): IndexValues {
  const out: Record<string, readonly string[]> = {};
  for (const def of catalog.indexes) out[def.name] = valuesForIndex(def, data);
  return out;
}

/** A field's candidate values: none when missing; the value and, for an array, each element. */
function equalityCandidates(value: JsonValue | undefined): JsonValue[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return [value];
  return [value, ...value];
}
