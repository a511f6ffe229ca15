/**
 * A client-side check of document data: protobuf-es (this client's runtime)
 * drops an object key named "__proto__" when it encodes a
 * google.protobuf.Struct, so such data would be written without it and the
 * call would succeed. The server refuses that key (INVALID_ARGUMENT); this
 * check refuses it the same way before anything is sent.
 */
import { Code } from '@connectrpc/connect';
import { SmarterBaseError } from './errors.js';

/** The key the server refuses and protobuf-es cannot encode. */
const FORBIDDEN_KEY = '__proto__';

/**
 * Throws SmarterBaseError INVALID_ARGUMENT / INVALID_ARGUMENT (metadata
 * field: the key's path, e.g. "data.a.__proto__") when `value` holds an own
 * key "__proto__" at any depth; `path` names `value` in the request.
 */
export function checkDataKeys(value: unknown, path = 'data'): void {
  const at = findForbiddenKey(value, path, new Set());
  if (at === undefined) return;
  throw new SmarterBaseError({
    code: Code.InvalidArgument,
    reason: 'INVALID_ARGUMENT',
    message: `${at}: the key "${FORBIDDEN_KEY}" is not supported (it cannot be stored faithfully)`,
    metadata: { field: at },
    fieldViolations: [{ field: at, description: `the key "${FORBIDDEN_KEY}" is not supported` }],
  });
}

function findForbiddenKey(value: unknown, path: string, seen: Set<object>): string | undefined {
  if (value === null || typeof value !== 'object' || seen.has(value)) return undefined;
  seen.add(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const at = findForbiddenKey(value[i], `${path}[${i}]`, seen);
      if (at !== undefined) return at;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === FORBIDDEN_KEY) return `${path}.${k}`;
    const at = findForbiddenKey(v, `${path}.${k}`, seen);
    if (at !== undefined) return at;
  }
  return undefined;
}
