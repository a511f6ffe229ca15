/** Every write path (and filter operands) enforces one nesting limit with DOCUMENT_TOO_DEEP, and refuses "__proto__" keys. */
import { type DbError, isDbError } from '../errors/db-error.js';
import type { JsonObject } from '../model/json.js';
import { MAX_JSON_DEPTH } from '../model/json-check.js';
import { validateFilter } from '../query/validate-filter.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DocumentEngine } from './document-engine.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';

const ctx = { signal: new AbortController().signal };

/** An object nested `n` levels deep, counting itself. */
function nest(n: number): JsonObject {
  let v: JsonObject = { leaf: true };
  for (let i = 1; i < n; i++) v = { v };
  return v;
}

async function failure(p: Promise<unknown> | (() => unknown)): Promise<DbError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    if (isDbError(e)) return e;
    throw e;
  }
  throw new Error('expected a DbError');
}

describe('nesting limit on every write path', () => {
  const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
  const atLimit = nest(MAX_JSON_DEPTH);
  const tooDeep = nest(MAX_JSON_DEPTH + 1);

  test('a document exactly MAX_JSON_DEPTH levels deep is stored and read back unchanged', async () => {
    await engine.put(ctx, { collection: 'c', id: 'max', data: atLimit });
    expect((await engine.get(ctx, 'c', 'max')).data).toEqual(atLimit);
  });

  test.each<[string, () => Promise<unknown>, string]>([
    ['Put', () => engine.put(ctx, { collection: 'c', id: 'a', data: tooDeep }), 'data'],
    ['Put create_only', () => engine.put(ctx, { collection: 'c', id: 'b', data: tooDeep, createOnly: true }), 'data'],
    ['PutIfMatch', () => engine.putIfMatch(ctx, { collection: 'c', id: 'max', data: tooDeep, etag: 'x' }), 'data'],
    ['Create', () => engine.create(ctx, { collection: 'c', data: tooDeep }), 'data'],
    ['Commit set', () => engine.commit(ctx, { writes: [{ collection: 'c', id: 'd', op: 'set', data: tooDeep }] }), 'writes[0].set.data'],
  ])('%s one level deeper is INVALID_ARGUMENT / DOCUMENT_TOO_DEEP naming the field', async (_name, call, field) => {
    const e = await failure(call());
    expect([e.kind, e.reason, e.field]).toEqual(['invalid', 'DOCUMENT_TOO_DEEP', field]);
    expect(e.metadata).toMatchObject({ field, maxDepth: String(MAX_JSON_DEPTH) });
  });

  test('a BatchWrite put one level deeper fails that item alone with DOCUMENT_TOO_DEEP', async () => {
    const out = await engine.batchWrite(ctx, 'c', [
      { kind: 'put', id: 'ok', data: atLimit },
      { kind: 'put', id: 'deep', data: tooDeep },
    ]);
    expect(out[0]?.error).toBeUndefined();
    expect([out[1]?.error?.reason, out[1]?.error?.field]).toEqual(['DOCUMENT_TOO_DEEP', 'data']);
    await expect(engine.get(ctx, 'c', 'deep')).rejects.toMatchObject({ reason: 'DOCUMENT_NOT_FOUND' });
  });

  test('an object operand of a filter one level deeper is DOCUMENT_TOO_DEEP; at the limit it passes', async () => {
    expect(() => validateFilter({ kind: 'field', field: 'v', op: 'eq', value: atLimit as never })).not.toThrow();
    const e = await failure(() => validateFilter({ kind: 'field', field: 'v', op: 'eq', value: tooDeep as never }));
    expect([e.reason, e.field]).toEqual(['DOCUMENT_TOO_DEEP', 'filter']);
  });
});

describe('the key "__proto__" is refused, never dropped', () => {
  const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
  const withProto = JSON.parse('{"a":1,"n":{"__proto__":{"x":1}}}') as JsonObject;

  test('Put and Commit answer INVALID_ARGUMENT naming the path; nothing is written', async () => {
    const e = await failure(engine.put(ctx, { collection: 'p', id: 'a', data: withProto }));
    expect([e.reason, e.field]).toEqual(['INVALID_ARGUMENT', 'data.n.__proto__']);
    const c = await failure(engine.commit(ctx, { writes: [{ collection: 'p', id: 'a', op: 'set', data: withProto }] }));
    expect([c.reason, c.field]).toEqual(['INVALID_ARGUMENT', 'writes[0].set.data.n.__proto__']);
    await expect(engine.get(ctx, 'p', 'a')).rejects.toMatchObject({ reason: 'DOCUMENT_NOT_FOUND' });
  });

  test('a filter operand with "__proto__" is INVALID_FILTER', async () => {
    const e = await failure(() => validateFilter({ kind: 'field', field: 'n', op: 'eq', value: withProto.n as never }));
    expect(e.reason).toBe('INVALID_FILTER');
  });

  test('"constructor" and "prototype" keys round-trip', async () => {
    const data = { constructor: 1, prototype: { constructor: 'x', toString: [1] }, hasOwnProperty: null };
    await engine.put(ctx, { collection: 'p', id: 'ok', data });
    expect((await engine.get(ctx, 'p', 'ok')).data).toEqual(data);
  });
});
