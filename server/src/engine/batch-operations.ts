/**
 * BatchWrite, BatchExists and BatchDelete: many single calls of one
 * collection, NOT atomic, run with bounded concurrency, one outcome per item
 * in request order. Each item IS the single call (put / putIfMatch /
 * create-only put / delete / exists of the DocumentApi given), so it has the
 * same semantics, index hooks and errors. Whole-request problems throw an
 * INVALID_ARGUMENT DbError before anything is written.
 */
import { DbError, invalid } from '../errors/db-error.js';
import { orderedMap } from '../common/ordered-map.js';
import { validateCollection, validateId } from '../model/keys.js';
import type { CallContext } from '../api/call-context.js';
import type { BatchExistsItem, BatchWriteOp, BatchWriteOutcome, DocumentApi } from '../api/document-api.js';

/** The single calls a batch is made of. */
export type SingleDocumentCalls = Pick<DocumentApi, 'put' | 'putIfMatch' | 'delete' | 'exists'>;

/** The limits of BatchOperations. */
export interface BatchLimits {
  /** How many items run at once (at least 1). */
  readonly concurrency: number;
  /** The most items of one BatchWrite or BatchDelete. */
  readonly maxWriteItems: number;
  /** The most ids of one BatchExists. */
  readonly maxItems: number;
}

/** The default BatchLimits.maxWriteItems (proto: BatchWriteRequest.writes). */
export const DEFAULT_MAX_BATCH_WRITE_ITEMS = 500;

/** Runs batches as bounded-concurrency sequences of single calls. */
export class BatchOperations {
  /**
   * @param single the calls each item is (normally the DocumentEngine itself)
   * @param limits concurrency and item-count limits
   */
  constructor(
    private readonly single: SingleDocumentCalls,
    private readonly limits: BatchLimits,
  ) {}

  /** DocumentApi.batchWrite: field names of whole-request errors are `writes`, `writes[i].id`, ... */
  async write(ctx: CallContext, collection: string, ops: readonly BatchWriteOp[]): Promise<BatchWriteOutcome[]> {
    validateCollection(collection);
    this.checkWriteCount('writes', ops.length);
    ops.forEach((op, i) => {
      if (op.kind === 'put') {
        if (op.createOnly === true && op.etag !== undefined && op.etag !== '') {
          throw invalid('INVALID_ARGUMENT', `writes[${i}].put.etag`, 'a put may not have both create_only and etag');
        }
      } else if (op.kind !== 'delete') {
        throw invalid('INVALID_ARGUMENT', `writes[${i}]`, 'each write must be a put or a delete');
      }
    });
    checkUnique(
      ops.map((op) => op.id),
      (i) => `writes[${i}].id`,
    );
    return this.run(ctx, ops, (op, c) => this.writeOne(c, collection, op));
  }

  /** DocumentApi.batchExists: 1..maxItems valid ids (duplicates allowed), answers in request order. */
  async exists(ctx: CallContext, collection: string, ids: readonly string[]): Promise<BatchExistsItem[]> {
    validateCollection(collection);
    if (ids.length === 0) throw invalid('INVALID_ARGUMENT', 'ids', 'ids must not be empty');
    if (ids.length > this.limits.maxItems) {
      throw invalid('INVALID_ARGUMENT', 'ids', `at most ${this.limits.maxItems} ids per BatchExists, got ${ids.length}`);
    }
    // No per-item status in BatchExistsResult: an invalid id fails the request (as in BatchGet).
    ids.forEach((id, i) => validateId(id, `ids[${i}]`));
    const answers: BatchExistsItem[] = [];
    const one = async (id: string, signal: AbortSignal): Promise<BatchExistsItem> => {
      const r = await this.single.exists({ ...ctx, signal }, collection, id);
      return r.exists ? { id, exists: true, etag: r.etag } : { id, exists: false };
    };
    for await (const answer of orderedMap(ids, this.limits.concurrency, one, ctx.signal)) answers.push(answer);
    return answers;
  }

  /** DocumentApi.batchDelete: field names of whole-request errors are `items`, `items[i].id`. */
  async delete(
    ctx: CallContext,
    collection: string,
    items: readonly { readonly id: string; readonly etag?: string }[],
  ): Promise<BatchWriteOutcome[]> {
    validateCollection(collection);
    this.checkWriteCount('items', items.length);
    checkUnique(
      items.map((item) => item.id),
      (i) => `items[${i}].id`,
    );
    const ops = items.map((item): BatchWriteOp => ({ kind: 'delete', id: item.id, etag: item.etag }));
    return this.run(ctx, ops, (op, c) => this.writeOne(c, collection, op));
  }

  private checkWriteCount(field: string, count: number): void {
    if (count === 0) throw invalid('INVALID_ARGUMENT', field, `${field} must not be empty`);
    if (count > this.limits.maxWriteItems) {
      throw invalid('INVALID_ARGUMENT', field, `at most ${this.limits.maxWriteItems} ${field} per request, got ${count}`);
    }
  }

  /** One item as the single call it stands for. */
  private async writeOne(ctx: CallContext, collection: string, op: BatchWriteOp): Promise<Omit<BatchWriteOutcome, 'id'>> {
    const etag = op.etag === undefined || op.etag === '' ? undefined : op.etag;
    if (op.kind === 'delete') {
      return { deleted: await this.single.delete(ctx, { collection, id: op.id, ...(etag === undefined ? {} : { etag }) }) };
    }
    const { id, data } = op;
    const expiration = op.expiration === undefined ? {} : { expiration: op.expiration };
    if (etag !== undefined) return { document: await this.single.putIfMatch(ctx, { collection, id, data, etag, ...expiration }) };
    return {
      document: await this.single.put(ctx, {
        collection,
        id,
        data,
        ...(op.createOnly === true ? { createOnly: true } : {}),
        ...expiration,
      }),
    };
  }

  /**
   * Runs `fn` over the ops with bounded concurrency. An item's DbError is its
   * outcome; any other error becomes an INTERNAL_ERROR outcome (its text is
   * kept as the cause, never sent). Cancellation of the call throws.
   */
  private async run(
    ctx: CallContext,
    ops: readonly BatchWriteOp[],
    fn: (op: BatchWriteOp, ctx: CallContext) => Promise<Omit<BatchWriteOutcome, 'id'>>,
  ): Promise<BatchWriteOutcome[]> {
    const one = async (op: BatchWriteOp, signal: AbortSignal): Promise<BatchWriteOutcome> => {
      try {
        return { id: op.id, ...(await fn(op, { ...ctx, signal })) };
      } catch (e) {
        return { id: op.id, error: e instanceof DbError ? e : new DbError('internal', 'INTERNAL_ERROR', 'internal error', { cause: e }) };
      }
    };
    const outcomes: BatchWriteOutcome[] = [];
    for await (const outcome of orderedMap(ops, this.limits.concurrency, one, ctx.signal)) outcomes.push(outcome);
    return outcomes;
  }
}

/** Throws INVALID_ARGUMENT naming the second occurrence of a repeated id. */
function checkUnique(ids: readonly string[], field: (i: number) => string): void {
  const seen = new Map<string, number>();
  ids.forEach((id, i) => {
    const first = seen.get(id);
    if (first !== undefined) {
      throw invalid('INVALID_ARGUMENT', field(i), `id "${id}" appears twice (items ${first} and ${i}); at most one item per id`);
    }
    seen.set(id, i);
  });
}
