import type { Filter } from '../model/filter.js';
import type { JsonValue } from '../model/json.js';
import { splitPath } from './field-path.js';

/**
 * Filter → expression text (the syntax parse-filter.ts reads), used for
 * Explain's residual_filter and for query fingerprints. Nested and/or are
 * always parenthesised, so parseFilter(formatFilter(f)) gives back f's tree
 * (a one-child and/or is written as its child).
 */
export function formatFilter(f: Filter): string {
  switch (f.kind) {
    case 'and':
    case 'or':
      return f.filters
        .map((c) => ((c.kind === 'and' || c.kind === 'or') && c.filters.length > 1 ? `(${formatFilter(c)})` : formatFilter(c)))
        .join(f.kind === 'and' ? ' AND ' : ' OR ');
    case 'not': {
      const inner = f.filter;
      const text = formatFilter(inner);
      return (inner.kind === 'and' || inner.kind === 'or') && inner.filters.length > 1 ? `NOT (${text})` : `NOT ${text}`;
    }
    case 'field':
      break;
  }
  const field = formatField(f.field);
  const v = formatValue(f.value);
  switch (f.op) {
    case 'eq':
      return `${field} = ${v}`;
    case 'ne':
      return `${field} != ${v}`;
    case 'lt':
      return `${field} < ${v}`;
    case 'lte':
      return `${field} <= ${v}`;
    case 'gt':
      return `${field} > ${v}`;
    case 'gte':
      return `${field} >= ${v}`;
    case 'in':
      return `${field} IN ${v}`;
    case 'not_in':
      return `${field} NOT IN ${v}`;
    case 'exists':
      return f.value === false ? `exists(${field}, false)` : `exists(${field})`;
    default:
      return `${f.op}(${field}, ${v})`;
  }
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'true', 'false', 'null']);

/** A dotted path in expression syntax (odd segments backquoted). */
export function formatField(path: string): string {
  return splitPath(path)
    .map((s) => (PLAIN.test(s) && !KEYWORDS.has(s) ? s : `\`${s.replace(/[\\`]/g, (c) => `\\${c}`)}\``))
    .join('.');
}

/** A JSON value in expression syntax (JSON text, with spaces after commas). */
export function formatValue(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}: ${formatValue(v[k] as JsonValue)}`)
      .join(', ')}}`;
  }
  return JSON.stringify(v);
}
