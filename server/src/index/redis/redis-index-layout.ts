/**
 * The Redis key layout of the index store, and the translation of set
 * expressions and ranges into the arguments of its scripts.
 *
 * Every key of collection C starts with the base `<prefix>{ix:C}:` (one hash
 * tag per collection, so a collection lives in one Redis Cluster slot;
 * collection names are [A-Za-z0-9_.-], so C cannot end the tag early). After
 * the base, the first segment says what the key is, and everything variable
 * comes last or is followed by a ':' that cannot occur in it:
 *
 *   cat              hash: _version, _stamp, d:<name> (definition JSON with tok), st:/sc:/er:<name>
 *   seq              counter of nextSeq
 *   p                hash id → "<seq>:<recorded at, ms by Redis TIME>": pending index work (docs/adr/0008)
 *   all              set of every indexed document id
 *   d:<id>           hash: s (seq), c (catalog version), v (values JSON or 'null')
 *   e:<tok>:<value>  set of ids (equality index)
 *   u:<tok>          hash value → owner id (unique index)
 *   r:<tok>          hash value → "<expiresAtMs>:<id>" (unique reservations)
 *   n:<tok>          zset id by number (ordered index)
 *   s:<tok>          zset, score 0, members escaped value NUL NUL id (ordered index)
 *   t:<n>            temporaries of a running script
 *
 * tok is `<name>@<catalog version at creation>`: index names are [a-z0-9_],
 * so tok contains no ':'; a dropped index and a new one of the same name
 * never share keys.
 */
import { encodeEqualityValues, escapeOrdered } from '../extract-values.js';
import { eqAsRange, requireIndex } from '../index-rules.js';
import type { IdSetExpr, IndexCatalog, OrderedRange } from '../index-store.js';

/** The base of every key of a collection. */
export function collectionBase(prefix: string, collection: string): string {
  return `${prefix}{ix:${collection}}:`;
}

/** The fixed keys of a collection. */
export function collectionKeys(base: string): { catalog: string; seq: string; all: string; pending: string } {
  return { catalog: `${base}cat`, seq: `${base}seq`, all: `${base}all`, pending: `${base}p` };
}

/** The record key of a document. */
export function docKey(base: string, id: string): string {
  return `${base}d:${id}`;
}

/** A SCAN MATCH pattern for the equality sets of an index (glob characters of the base escaped). */
export function equalitySetPattern(base: string, tok: string): string {
  return `${base.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}e:${tok}:*`;
}

/** ZRANGEBYSCORE bounds of a number range. */
export function numberBounds(range: OrderedRange | undefined): [min: string, max: string] {
  const lo = range?.lower;
  const hi = range?.upper;
  return [
    lo === undefined ? '-inf' : `${lo.inclusive ? '' : '('}${String(lo.value)}`,
    hi === undefined ? '+inf' : `${hi.inclusive ? '' : '('}${String(hi.value)}`,
  ];
}

/** ZRANGEBYLEX bounds of a string range over members `escaped value NUL NUL id`. */
export function stringBounds(range: OrderedRange | undefined): [min: string, max: string] {
  const lo = range?.lower;
  const hi = range?.upper;
  return [
    lo === undefined ? '-' : `[${escapeOrdered(String(lo.value))}\u0000${lo.inclusive ? '\u0000' : '\u0001'}`,
    hi === undefined ? '+' : `(${escapeOrdered(String(hi.value))}\u0000${hi.inclusive ? '\u0001' : '\u0000'}`,
  ];
}

/** The catalog with each index's key token. */
export interface TokenCatalog {
  readonly catalog: IndexCatalog;
  readonly tokens: ReadonlyMap<string, string>;
}

/** The postfix program computing `expr` (see redis-index-read-scripts.ts). */
export function compileExpr(expr: IdSetExpr, cat: TokenCatalog, collection: string): string[] {
  const out: string[] = [];
  const emit = (e: IdSetExpr): void => {
    switch (e.op) {
      case 'all':
        out.push('K', 'all');
        return;
      case 'eq': {
        const info = requireIndex(cat.catalog, collection, e.index, ['equality', 'unique', 'ordered']);
        const tok = cat.tokens.get(e.index) as string;
        if (info.kind === 'ordered') {
          const range = eqAsRange(e.values);
          if (range === undefined) out.push('0');
          else emitRange(out, tok, range);
        } else if (info.kind === 'unique') {
          out.push('U', tok, encodeEqualityValues(info, e.values));
        } else {
          out.push('K', `e:${tok}:${encodeEqualityValues(info, e.values)}`);
        }
        return;
      }
      case 'range':
        requireIndex(cat.catalog, collection, e.index, ['ordered']);
        emitRange(out, cat.tokens.get(e.index) as string, e.range);
        return;
      case 'and':
      case 'or':
        if (e.args.length === 0) {
          out.push('0');
          return;
        }
        for (const a of e.args) emit(a);
        out.push(e.op === 'and' ? '&' : '|', String(e.args.length));
        return;
      case 'diff':
        emit(e.from);
        emit(e.minus);
        out.push('-');
        return;
    }
  };
  emit(expr);
  return out;
}

function emitRange(out: string[], tok: string, range: OrderedRange): void {
  if (range.type === 'number') out.push('N', tok, ...numberBounds(range));
  else out.push('S', tok, ...stringBounds(range));
}
