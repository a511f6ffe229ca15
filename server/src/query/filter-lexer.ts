import type { DbError } from '../errors/db-error.js';
import { filterError } from './validate-filter.js';

/**
 * Tokens of the filter expression syntax (docs/queries.md "Filter syntax").
 * Positions are 0-based offsets (UTF-16 code units) into the expression.
 */

/** A token kind. */
export type TokenKind =
  | 'punct' // ( ) [ ] { } , . : = != < <= > >= -
  | 'string'
  | 'number'
  | 'ident'
  | 'quoted_ident' // `backquoted`
  | 'eof';

/** One token. `text` is the punctuation/identifier, or the decoded string. */
export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly number?: number;
  readonly pos: number;
}

/**
 * An INVALID_FILTER error for the expression at `pos` (metadata position,
 * expression — cut short by the error table — and any `extra` entries).
 */
export function syntaxError(expression: string, pos: number, message: string, extra: Record<string, string> = {}): DbError {
  return filterError(`invalid filter expression at position ${pos}: ${message}`, 'filter_expression', {
    position: String(pos),
    expression,
    ...extra,
  });
}

const NUMBER_RE = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const IDENT_RE = /[A-Za-z_][A-Za-z0-9_]*/y;
const PUNCT2 = ['!=', '<=', '>='];
const PUNCT1 = '()[]{},.:=<>-';

/** Splits `src` into tokens (ending with 'eof'); throws INVALID_FILTER with the position of a bad character. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const [text, end] = readQuoted(src, i, c);
      out.push({ kind: 'string', text, pos: i });
      i = end;
      continue;
    }
    if (c === '`') {
      const [text, end] = readQuoted(src, i, '`');
      if (text.length === 0) throw syntaxError(src, i, 'a backquoted field name must not be empty');
      out.push({ kind: 'quoted_ident', text, pos: i });
      i = end;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(src[i + 1] ?? ''))) {
      NUMBER_RE.lastIndex = i;
      const m = NUMBER_RE.exec(src) as RegExpExecArray;
      const n = Number(m[0]);
      if (!Number.isFinite(n)) throw syntaxError(src, i, `number ${m[0]} is out of range`);
      out.push({ kind: 'number', text: m[0], number: n, pos: i });
      i += m[0].length;
      if (/[A-Za-z0-9_.]/.test(src[i] ?? '')) throw syntaxError(src, i, `unexpected ${JSON.stringify(src[i])} after a number`);
      continue;
    }
    IDENT_RE.lastIndex = i;
    const id = IDENT_RE.exec(src);
    if (id !== null) {
      out.push({ kind: 'ident', text: id[0], pos: i });
      i += id[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      out.push({ kind: 'punct', text: two, pos: i });
      i += 2;
      continue;
    }
    if (PUNCT1.includes(c)) {
      out.push({ kind: 'punct', text: c, pos: i });
      i++;
      continue;
    }
    throw syntaxError(src, i, `unexpected character ${JSON.stringify(c)}`);
  }
  out.push({ kind: 'eof', text: '', pos: src.length });
  return out;
}

const ESCAPES: Record<string, string> = { '"': '"', "'": "'", '`': '`', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/** Reads a string quoted by `q` starting at `start`; returns the decoded text and the index after the closing quote. */
function readQuoted(src: string, start: number, q: string): [string, number] {
  let i = start + 1;
  let text = '';
  while (i < src.length) {
    const c = src[i] as string;
    if (c === q) return [text, i + 1];
    if (c === '\\') {
      const e = src[i + 1];
      if (e === 'u') {
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]{4}$/.test(hex)) throw syntaxError(src, i, 'expected 4 hex digits after \\u');
        text += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      const rep = e === undefined ? undefined : ESCAPES[e];
      if (rep === undefined) throw syntaxError(src, i, `unknown escape \\${e ?? ''}`);
      text += rep;
      i += 2;
      continue;
    }
    text += c;
    i++;
  }
  throw syntaxError(src, start, `unterminated ${q === '`' ? 'backquoted name' : 'string'}; expected a closing ${q}`);
}
