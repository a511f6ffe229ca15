import type { JsonObject } from './json.js';

/** How deep objects and arrays may nest inside document data (protobuf's default recursion limit). */
export const MAX_JSON_DEPTH = 100;

/**
 * Why `value` is not a JSON object that survives a JSON round trip unchanged
 * (e.g. a non-finite number, undefined, a function, a class instance, a
 * cycle or too deep nesting), or undefined when it is one.
 */
export function jsonObjectProblem(value: unknown): string | undefined {
  if (!isPlainObject(value)) return 'data must be a JSON object';
  return problemIn(value, 'data', 1);
}

/** True when `value` is a JSON object as jsonObjectProblem defines it. */
export function isValidJsonObject(value: unknown): value is JsonObject {
  return jsonObjectProblem(value) === undefined;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function problemIn(value: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_JSON_DEPTH) return `${path} nests deeper than ${MAX_JSON_DEPTH} levels`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = valueProblem(value[i], `${path}[${i}]`, depth);
      if (p !== undefined) return p;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = valueProblem(v, `${path}.${k}`, depth);
    if (p !== undefined) return p;
  }
  return undefined;
}

function valueProblem(v: unknown, path: string, depth: number): string | undefined {
  if (v === null || typeof v === 'boolean' || typeof v === 'string') return undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : `${path} is not a finite number`;
  if (Array.isArray(v) || isPlainObject(v)) return problemIn(v, path, depth + 1);
  return `${path} is not a JSON value`;
}
