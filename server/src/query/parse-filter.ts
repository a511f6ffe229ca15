import type { Filter, FieldOp } from '../model/filter.js';
import type { JsonObject, JsonValue } from '../model/json.js';
import { syntaxError, tokenize, type Token } from './filter-lexer.js';
import { MAX_COMPOSITE_CHILDREN, MAX_FILTER_DEPTH, MAX_FILTER_TERMS, MAX_IN_VALUES, validateFilter } from './validate-filter.js';

/**
 * The filter expression syntax (AIP-160-like; grammar in docs/queries.md):
 *
 *   expr       := and ( "OR" and )*
 *   and        := unary ( "AND" unary )*
 *   unary      := ( "NOT" | "-" ) unary | primary
 *   primary    := "(" expr ")" | function | field op value | field ["NOT"] "IN" list
 *   function   := starts_with(field, string) | contains(field, string)
 *               | array_contains(field, value) | exists(field [, bool])
 *   op         := = | != | < | <= | > | >= | :        (":" = contains, string values only)
 *   field      := name ( "." name )*   name := identifier | `backquoted`
 *   value      := string | number | true | false | null | list | object
 *
 * Precedence: NOT > AND > OR. Keywords are upper case; identifiers that are
 * keywords (AND, OR, NOT, IN, true, false, null) must be backquoted as fields.
 * Errors: DbError invalid INVALID_FILTER, field filter_expression, metadata
 * position (0-based offset) and expression; a limit's error also names it
 * (maxChars, maxTerms, maxDepth). The limits are checked as the text is
 * read, so an oversized expression costs no more than reading up to the
 * limit: its length before tokenizing, the comparisons as each is parsed.
 */

/**
 * The longest accepted expression, in characters (UTF-16 code units).
 * 100 comparisons of typical size take 2–5 KiB; longer filters (e.g. IN
 * lists of many long ids) can be sent as the typed `filter`.
 */
export const MAX_EXPRESSION_CHARS = 16_384;

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'true', 'false', 'null']);
const COMPARE_OPS: Record<string, FieldOp> = { '=': 'eq', '!=': 'ne', '<': 'lt', '<=': 'lte', '>': 'gt', '>=': 'gte', ':': 'contains' };
const FUNCTIONS = new Set(['starts_with', 'contains', 'array_contains', 'exists']);

/** Parses a filter expression into the Filter tree (validated). */
export function parseFilter(expression: string): Filter {
  if (expression.length > MAX_EXPRESSION_CHARS) {
    throw syntaxError(
      expression.slice(0, 200),
      MAX_EXPRESSION_CHARS,
      `expression is ${expression.length} characters long; the limit is ${MAX_EXPRESSION_CHARS}`,
      {
        maxChars: String(MAX_EXPRESSION_CHARS),
      },
    );
  }
  const filter = new Parser(expression, tokenize(expression)).parse();
  validateFilter(filter, 'filter_expression');
  return filter;
}

class Parser {
  private i = 0;
  private depth = 0;
  private terms = 0;

  constructor(
    private readonly src: string,
    private readonly toks: Token[],
  ) {}

  parse(): Filter {
    if (this.peek().kind === 'eof') throw this.fail('expected a filter');
    const f = this.orExpr();
    const t = this.peek();
    if (t.kind !== 'eof') throw this.fail(`expected AND, OR or the end of the expression but found ${describe(t)}`);
    return f;
  }

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }

  private fail(message: string, pos = this.peek().pos): Error {
    return syntaxError(this.src, pos, message);
  }

  private isWord(t: Token, w: string): boolean {
    return t.kind === 'ident' && t.text === w;
  }

  private isPunct(t: Token, p: string): boolean {
    return t.kind === 'punct' && t.text === p;
  }

  private expectPunct(p: string, what = `"${p}"`): void {
    const t = this.peek();
    if (!this.isPunct(t, p)) throw this.fail(`expected ${what} but found ${describe(t)}`);
    this.next();
  }

  private enter(): void {
    if (++this.depth > MAX_FILTER_DEPTH) {
      throw syntaxError(this.src, this.peek().pos, `filter nesting exceeds ${MAX_FILTER_DEPTH} levels`, {
        maxDepth: String(MAX_FILTER_DEPTH),
      });
    }
  }

  /** Counts one comparison starting at `pos`; refuses the one past MAX_FILTER_TERMS. */
  private term(pos: number): void {
    if (++this.terms > MAX_FILTER_TERMS) {
      throw syntaxError(this.src, pos, `filter has more than ${MAX_FILTER_TERMS} comparisons (the limit per filter)`, {
        maxTerms: String(MAX_FILTER_TERMS),
      });
    }
  }

  private orExpr(): Filter {
    const parts = [this.andExpr()];
    while (this.isWord(this.peek(), 'OR')) {
      const pos = this.next().pos;
      if (parts.length >= MAX_COMPOSITE_CHILDREN) throw this.fail(`OR combines at most ${MAX_COMPOSITE_CHILDREN} filters`, pos);
      parts.push(this.andExpr());
    }
    return parts.length === 1 ? (parts[0] as Filter) : { kind: 'or', filters: parts };
  }

  private andExpr(): Filter {
    const parts = [this.unary()];
    while (this.isWord(this.peek(), 'AND')) {
      const pos = this.next().pos;
      if (parts.length >= MAX_COMPOSITE_CHILDREN) throw this.fail(`AND combines at most ${MAX_COMPOSITE_CHILDREN} filters`, pos);
      parts.push(this.unary());
    }
    return parts.length === 1 ? (parts[0] as Filter) : { kind: 'and', filters: parts };
  }

  private unary(): Filter {
    const t = this.peek();
    if (this.isWord(t, 'NOT') || this.isPunct(t, '-')) {
      this.next();
      this.enter();
      const f = this.unary();
      this.depth--;
      return { kind: 'not', filter: f };
    }
    return this.primary();
  }

  private primary(): Filter {
    const t = this.peek();
    if (this.isPunct(t, '(')) {
      this.next();
      this.enter();
      const f = this.orExpr();
      this.depth--;
      this.expectPunct(')', '")" or AND/OR');
      return f;
    }
    if (t.kind === 'ident' && FUNCTIONS.has(t.text) && this.isPunct(this.peek(1), '(')) {
      this.term(t.pos);
      return this.call();
    }
    if (t.kind !== 'ident' && t.kind !== 'quoted_ident') {
      throw this.fail(`expected a field name, a function, NOT or "(" but found ${describe(t)}`);
    }
    this.term(t.pos);
    const field = this.field();
    const op = this.peek();
    if (this.isWord(op, 'IN') || (this.isWord(op, 'NOT') && this.isWord(this.peek(1), 'IN'))) {
      const negated = this.isWord(op, 'NOT');
      this.next();
      if (negated) this.next();
      const listTok = this.peek();
      if (!this.isPunct(listTok, '[')) throw this.fail(`expected a list "[...]" after IN but found ${describe(listTok)}`);
      const list = this.value() as JsonValue[];
      if (list.length > MAX_IN_VALUES) throw this.fail(`IN takes at most ${MAX_IN_VALUES} values`, listTok.pos);
      return { kind: 'field', field, op: negated ? 'not_in' : 'in', value: list };
    }
    const fop = op.kind === 'punct' ? COMPARE_OPS[op.text] : undefined;
    if (fop === undefined) {
      throw this.fail(`expected an operator (=, !=, <, <=, >, >=, :, IN, NOT IN) after "${field}" but found ${describe(op)}`);
    }
    this.next();
    const vpos = this.peek().pos;
    const value = this.value();
    if (op.text === ':' && typeof value !== 'string') {
      throw this.fail('":" (contains) takes a string; use array_contains(field, value) for array elements', vpos);
    }
    if ((fop === 'lt' || fop === 'lte' || fop === 'gt' || fop === 'gte') && typeof value !== 'number' && typeof value !== 'string') {
      throw this.fail(`${op.text} takes a number or a string`, vpos);
    }
    return { kind: 'field', field, op: fop, value };
  }

  private call(): Filter {
    const name = this.next().text;
    this.next(); // (
    const field = this.field();
    let value: JsonValue = true;
    if (name === 'exists') {
      if (this.isPunct(this.peek(), ',')) {
        this.next();
        const vpos = this.peek().pos;
        value = this.value();
        if (typeof value !== 'boolean') throw this.fail('exists takes true or false as its second argument', vpos);
      }
    } else {
      this.expectPunct(',', `"," and a value after the field of ${name}`);
      const vpos = this.peek().pos;
      value = this.value();
      if (name !== 'array_contains' && typeof value !== 'string') throw this.fail(`${name} takes a string`, vpos);
    }
    this.expectPunct(')', `")" closing ${name}(`);
    return { kind: 'field', field, op: name as FieldOp, value };
  }

  private field(): string {
    const segs = [this.segment()];
    while (this.isPunct(this.peek(), '.')) {
      this.next();
      segs.push(this.segment());
    }
    return segs.join('.');
  }

  private segment(): string {
    const t = this.peek();
    if (t.kind === 'quoted_ident') {
      if (t.text.includes('.')) throw this.fail('a backquoted field name must not contain "."; write a.b for nested fields');
      this.next();
      return t.text;
    }
    if (t.kind === 'ident' && !KEYWORDS.has(t.text)) {
      this.next();
      return t.text;
    }
    throw this.fail(`expected a field name but found ${describe(t)}${t.kind === 'ident' ? ' (backquote keywords used as names)' : ''}`);
  }

  private value(): JsonValue {
    const t = this.peek();
    if (t.kind === 'string') return this.next().text;
    if (t.kind === 'number') return this.next().number as number;
    if (this.isWord(t, 'true') || this.isWord(t, 'false')) return this.next().text === 'true';
    if (this.isWord(t, 'null')) {
      this.next();
      return null;
    }
    if (this.isPunct(t, '[')) return this.list();
    if (this.isPunct(t, '{')) return this.object();
    throw this.fail(`expected a value (string, number, true, false, null, list or object) but found ${describe(t)}`);
  }

  private list(): JsonValue[] {
    this.next();
    this.enter();
    const out: JsonValue[] = [];
    if (!this.isPunct(this.peek(), ']')) {
      out.push(this.value());
      while (this.isPunct(this.peek(), ',')) {
        this.next();
        out.push(this.value());
      }
    }
    this.expectPunct(']', '"," or "]"');
    this.depth--;
    return out;
  }

  private object(): JsonObject {
    this.next();
    this.enter();
    const out: JsonObject = {};
    if (!this.isPunct(this.peek(), '}')) {
      let first = true;
      do {
        if (!first) this.next(); // the ","
        first = false;
        const k = this.peek();
        if (k.kind !== 'string') throw this.fail(`expected a quoted key but found ${describe(k)}`);
        this.next();
        this.expectPunct(':');
        Object.defineProperty(out, k.text, { value: this.value(), enumerable: true, writable: true, configurable: true });
      } while (this.isPunct(this.peek(), ','));
    }
    this.expectPunct('}', '"," or "}"');
    this.depth--;
    return out;
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'the end of the expression';
    case 'string':
      return `string ${JSON.stringify(t.text)}`;
    case 'quoted_ident':
      return `\`${t.text}\``;
    default:
      return `"${t.text}"`;
  }
}
