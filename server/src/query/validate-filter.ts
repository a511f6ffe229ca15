import { DbError } from '../errors/db-error.js';
import type { Filter, FieldOp, OrderTerm } from '../model/filter.js';
import type { JsonValue } from '../model/json.js';
import { dataIssueError, jsonValueIssue } from '../model/json-check.js';
import { fieldPathProblem } from './field-path.js';

/**
 * Shape checks of typed filters and order terms (limits in docs/queries.md):
 * composites hold 1..100 children, at most MAX_FILTER_DEPTH and/or/not
 * operators enclose a comparison, a filter holds at most MAX_FILTER_TERMS
 * comparisons in all,
 * `in`/`not_in` take a list of at most 100 values, `exists` a boolean,
 * `contains`/`starts_with` a string, ranges a number or a string, numbers
 * are finite, and an object or list operand nests at most MAX_JSON_DEPTH
 * levels (INVALID_ARGUMENT / DOCUMENT_TOO_DEEP, as document data) and has
 * no "__proto__" key.
 */

/** The most children of an and/or. */
export const MAX_COMPOSITE_CHILDREN = 100;
/** The most values of an in/not_in list. */
export const MAX_IN_VALUES = 100;
/**
 * The most and/or/not operators enclosing any node (a bare comparison has
 * depth 0; `NOT (a = 1 OR b = 2)` has depth 2). Keeps every recursive walk
 * of a filter (parser, converters, planner, evaluator, Redis Lua) shallow.
 */
export const MAX_FILTER_DEPTH = 32;
/**
 * The most comparisons (field filters and functions, whatever their
 * operator; an in/not_in list counts once) of one filter. Planning and
 * evaluating a filter cost time in proportion to its comparisons for every
 * candidate document, and width × depth alone would allow 100^32 of them.
 */
export const MAX_FILTER_TERMS = 100;
/** The most order terms of a query. */
export const MAX_ORDER_TERMS = 8;

const OPS: ReadonlySet<FieldOp> = new Set<FieldOp>([
  'eq',
  'ne',
  'lt',
  'lte',
  'gt',
  'gte',
  'in',
  'not_in',
  'contains',
  'array_contains',
  'starts_with',
  'exists',
]);

/** A DbError invalid INVALID_FILTER naming `field` (the request field at fault). */
export function filterError(message: string, field = 'filter', metadata: Record<string, string> = {}): DbError {
  return new DbError('invalid', 'INVALID_FILTER', message, { field, metadata: { field, ...metadata } });
}

/** INVALID_FILTER: nesting deeper than MAX_FILTER_DEPTH (metadata maxDepth). */
export function filterTooDeep(
  requestField = 'filter',
  metadata: Record<string, string> = {},
  message = `filter nesting exceeds ${MAX_FILTER_DEPTH} levels`,
): DbError {
  return filterError(message, requestField, { maxDepth: String(MAX_FILTER_DEPTH), ...metadata });
}

/** INVALID_FILTER: more comparisons than MAX_FILTER_TERMS (metadata maxTerms). */
export function filterTooManyTerms(requestField = 'filter', metadata: Record<string, string> = {}, prefix = ''): DbError {
  return filterError(`${prefix}filter has more than ${MAX_FILTER_TERMS} comparisons (the limit per filter)`, requestField, {
    maxTerms: String(MAX_FILTER_TERMS),
    ...metadata,
  });
}

/** Throws INVALID_FILTER (field `requestField`) unless `filter` is well formed. */
export function validateFilter(filter: Filter, requestField = 'filter'): void {
  check(filter, 0, requestField, { terms: 0 });
}

function check(f: Filter, depth: number, rf: string, count: { terms: number }): void {
  if (depth > MAX_FILTER_DEPTH) throw filterTooDeep(rf);
  if (f === null || typeof f !== 'object') throw filterError('filter node must be an object', rf);
  switch (f.kind) {
    case 'and':
    case 'or':
      if (!Array.isArray(f.filters) || f.filters.length < 1 || f.filters.length > MAX_COMPOSITE_CHILDREN) {
        throw filterError(`${f.kind} must combine 1 to ${MAX_COMPOSITE_CHILDREN} filters`, rf);
      }
      for (const c of f.filters) check(c, depth + 1, rf, count);
      return;
    case 'not':
      check(f.filter, depth + 1, rf, count);
      return;
    case 'field':
      if (++count.terms > MAX_FILTER_TERMS) throw filterTooManyTerms(rf);
      checkField(f, rf);
      return;
    default:
      throw filterError(`unknown filter kind ${JSON.stringify((f as { kind?: unknown }).kind)}`, rf);
  }
}

function checkField(f: Extract<Filter, { kind: 'field' }>, rf: string): void {
  const problem = fieldPathProblem(f.field);
  if (problem !== undefined) throw filterError(problem, rf);
  if (!OPS.has(f.op)) throw filterError(`unknown operator ${JSON.stringify(f.op)}`, rf);
  const v = f.value;
  if (!finite(v)) throw filterError(`${f.op} on "${f.field}": numbers must be finite`, rf);
  const issue = v === undefined ? undefined : jsonValueIssue(v, 'value');
  if (issue?.kind === 'too_deep') throw dataIssueError(issue, rf, `${f.op} on "${f.field}": `);
  if (issue !== undefined) throw filterError(`${f.op} on "${f.field}": ${issue.message}`, rf);
  switch (f.op) {
    case 'in':
    case 'not_in':
      if (!Array.isArray(v) || v.length > MAX_IN_VALUES) {
        throw filterError(`${f.op} on "${f.field}" takes a list of at most ${MAX_IN_VALUES} values`, rf);
      }
      return;
    case 'exists':
      if (typeof v !== 'boolean') throw filterError(`exists on "${f.field}" takes a boolean`, rf);
      return;
    case 'contains':
    case 'starts_with':
      if (typeof v !== 'string') throw filterError(`${f.op} on "${f.field}" takes a string`, rf);
      return;
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte':
      if (typeof v !== 'number' && typeof v !== 'string') {
        throw filterError(`${f.op} on "${f.field}" takes a number or a string`, rf);
      }
      return;
    default:
      if (v === undefined) throw filterError(`${f.op} on "${f.field}" needs a value`, rf);
  }
}

function finite(v: JsonValue): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(finite);
  if (v !== null && typeof v === 'object') return Object.values(v).every(finite);
  return true;
}

/** Throws DbError invalid INVALID_ARGUMENT (field order_by) unless the order terms are well formed. */
export function validateOrderBy(orderBy: readonly OrderTerm[] | undefined): void {
  if (orderBy === undefined) return;
  const bad = (m: string): DbError => new DbError('invalid', 'INVALID_ARGUMENT', m, { field: 'order_by', metadata: { field: 'order_by' } });
  if (orderBy.length > MAX_ORDER_TERMS) throw bad(`at most ${MAX_ORDER_TERMS} order_by terms`);
  for (const t of orderBy) {
    const problem = fieldPathProblem(t.field);
    if (problem !== undefined) throw bad(problem);
    if (t.direction !== 'asc' && t.direction !== 'desc') throw bad('direction must be asc or desc');
  }
}
