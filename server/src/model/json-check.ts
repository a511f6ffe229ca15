import { DbError, invalid } from '../errors/db-error.js';
import type { JsonObject } from './json.js';

/**
 * How deep objects and arrays may nest inside document data, counting the
 * document's top-level object as level 1 (`{"a":{"b":1}}` is 2 levels).
 * One number for every port and client: the Python client's protobuf runtime
 * (upb, 100 message levels, about 3 per JSON level) reads 33 levels back
 * through Get and fewer through wider responses; 32 leaves that margin, and
 * grpc-js / connect-node (100 levels, 2 per JSON level) and Go read far more.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * An object key that is refused in document data and filter literals:
 * protobuf-es (the server's and the TypeScript client's runtime) builds
 * Struct maps by assignment, so the key would be dropped silently rather
 * than stored (docs/storage-format.md).
 */
export const FORBIDDEN_KEY = '__proto__';

/** What is wrong with a JSON value: a too deep nesting or any other shape problem. */
export interface JsonIssue {
  /** 'too_deep' when the nesting exceeds MAX_JSON_DEPTH, 'forbidden_key' for a FORBIDDEN_KEY, 'invalid' otherwise. */
  readonly kind: 'too_deep' | 'forbidden_key' | 'invalid';
  /** For humans, starting with the path of the offending value. */
  readonly message: string;
  /** The path of the offending value, e.g. `data.a[2].b`. */
  readonly path: string;
}

/**
 * Why `value` is not a JSON object that survives a JSON round trip unchanged
 * (e.g. a non-finite number, undefined, a function, a class instance, a
 * cycle, too deep nesting or a `__proto__` key), or undefined when it is one.
 */
export function jsonObjectProblem(value: unknown): string | undefined {
  return jsonObjectIssue(value)?.message;
}

/** The first issue of `value` as document data named `root`, or undefined when it is a valid JSON object. */
export function jsonObjectIssue(value: unknown, root = 'data'): JsonIssue | undefined {
  if (!isPlainObject(value)) return { kind: 'invalid', message: `${root} must be a JSON object`, path: root };
  return problemIn(value, root, 1);
}

/**
 * The first issue of a JSON value of any type (a filter literal): a scalar
 * has no nesting, an object or array is level 1.
 */
export function jsonValueIssue(value: unknown, path: string): JsonIssue | undefined {
  return valueProblem(value, path, 0);
}

/** True when `value` is a JSON object as jsonObjectProblem defines it. */
export function isValidJsonObject(value: unknown): value is JsonObject {
  return jsonObjectIssue(value) === undefined;
}

/**
 * The DbError of a document data issue: INVALID_ARGUMENT / DOCUMENT_TOO_DEEP
 * (metadata field, maxDepth) for too deep nesting, else INVALID_ARGUMENT /
 * INVALID_ARGUMENT; `field` names the request field (extended by the path
 * below it for a forbidden key: `data.a.__proto__`), the message the path.
 */
export function dataIssueError(issue: JsonIssue, field: string, prefix = ''): DbError {
  if (issue.kind === 'invalid') return invalid('INVALID_ARGUMENT', field, prefix + issue.message);
  if (issue.kind === 'forbidden_key') return invalid('INVALID_ARGUMENT', field + issue.path.replace(/^[^.[]*/, ''), prefix + issue.message);
  return new DbError('invalid', 'DOCUMENT_TOO_DEEP', prefix + issue.message, {
    field,
    metadata: { field, path: issue.path, maxDepth: String(MAX_JSON_DEPTH) },
  });
}

/** Throws dataIssueError unless `data` is a valid JSON object (the check of every write). */
export function checkDocumentData(data: unknown, field = 'data', prefix = ''): void {
  const issue = jsonObjectIssue(data, 'data');
  if (issue !== undefined) throw dataIssueError(issue, field, prefix);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function problemIn(value: unknown, path: string, depth: number): JsonIssue | undefined {
  if (depth > MAX_JSON_DEPTH) {
    return { kind: 'too_deep', message: `${path} nests deeper than ${MAX_JSON_DEPTH} levels`, path };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = valueProblem(value[i], `${path}[${i}]`, depth);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (k === FORBIDDEN_KEY) {
      const at = `${path}.${k}`;
      return {
        kind: 'forbidden_key',
        message: `${at}: the key "${FORBIDDEN_KEY}" is not supported (it cannot be stored faithfully)`,
        path: at,
      };
    }
    const p = valueProblem(v, `${path}.${k}`, depth);
    if (p !== undefined) return p;
  }
  return undefined;
}

function valueProblem(v: unknown, path: string, depth: number): JsonIssue | undefined {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return undefined;
  if (typeof v === 'number') {
    return Number.isFinite(v) ? undefined : { kind: 'invalid', message: `${path} is not a finite number`, path };
  }
  if (Array.isArray(v) || isPlainObject(v)) return problemIn(v, path, depth + 1);
  return { kind: 'invalid', message: `${path} is not a JSON value`, path };
}
