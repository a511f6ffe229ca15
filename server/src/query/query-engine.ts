import { DbError } from '../errors/db-error.js';
import type { CallContext } from '../api/call-context.js';
import type { QueryApi, QueryInput, QueryItem, QueryPlan, QuerySummary } from '../api/query-api.js';
import type { IndexStore } from '../index/index-store.js';
import { indexNotReady, indexesWithMissing, type ExpectedIndexes } from '../index/index-readiness.js';
import type { Filter, OrderTerm } from '../model/filter.js';
import { visibleIndexes } from '../model/index-def.js';
import { validateCollection } from '../model/keys.js';
import type { BlobStore } from '../storage/blob-store.js';
import { throwIfAborted } from '../common/abort.js';
import { execContext, type CommittedReader, type ExecContext, type Hit } from './exec-context.js';
import { fieldPathProblem } from './field-path.js';
import { formatFilter } from './format-filter.js';
import { indexRequired, planQuery, type Plan } from './planner.js';
import { project } from './projection.js';
import { ResumeTokenCodec } from './resume-token.js';
import { staticTokenKeys, type TokenKeys } from '../tokens/token-keys.js';
import { indexIdOrder, indexSorted, listIds, scanIdOrder, scanSorted } from './sources.js';
import { validateFilter, validateOrderBy } from './validate-filter.js';
import { walkOrdered } from './walk-source.js';
import { describePlan } from './describe-plan.js';
import { notReadyServing } from './not-ready.js';

/** A plan and the BUILDING indexes that would have served it (index-readiness.ts; empty unless it scans). */
type CheckedPlan = Plan & { readonly notReady: readonly string[] };

/** Options of the QueryEngine (defaults in brackets). */
export interface QueryEngineOptions {
  /** Where documents live (`docs/<collection>/<id>`). */
  readonly store: BlobStore;
  /** The secondary indexes. */
  readonly indexes: IndexStore;
  /** Transaction-aware document reads (DocumentEngine.reader): the one way a query reads a document. */
  readonly reader: CommittedReader;
  /** Documents fetched in parallel per query [32]. */
  readonly fetchConcurrency?: number;
  /** The most documents an in-memory sort may buffer (without a limit), or keep (offset + limit) [10,000]. */
  readonly maxSortBuffer?: number;
  /** The keys that sign resume tokens, shared by all servers of a deployment (tokens/) [from tokenSecret]. */
  readonly tokenKeys?: TokenKeys;
  /** A fixed HMAC secret of resume tokens when tokenKeys is unset [random per process]. */
  readonly tokenSecret?: string;
  /** The durable index definitions (IndexAdmin): one the store lacks counts as BUILDING [the store's catalog only]. */
  readonly expected?: ExpectedIndexes;
  /**
   * Which collections may hold expired documents not yet purged (the
   * engine's ExpiryPolicy): their Count fetches every candidate, so an
   * expired document is never counted [none].
   */
  readonly expiry?: { countsNeedFetch(collection: string): boolean };
}

/** Default of QueryEngineOptions.maxSortBuffer: the most documents one query sorts in memory. */
export const DEFAULT_MAX_SORT_BUFFER = 10_000;

/**
 * The query executor: plans each query against the READY indexes, fetches
 * candidates with bounded concurrency in order, re-checks every hit, and
 * applies filter → sort → offset → limit → projection (docs/queries.md).
 */
export class QueryEngine implements QueryApi {
  private readonly store: BlobStore;
  private readonly indexes: IndexStore;
  private readonly reader: CommittedReader;
  private readonly concurrency: number;
  private readonly maxSortBuffer: number;
  private readonly tokens: ResumeTokenCodec;
  private readonly expected?: ExpectedIndexes;
  private readonly expiry?: QueryEngineOptions['expiry'];

  constructor(options: QueryEngineOptions) {
    if (options.expected !== undefined) this.expected = options.expected;
    if (options.expiry !== undefined) this.expiry = options.expiry;
    this.store = options.store;
    this.indexes = options.indexes;
    this.reader = options.reader;
    this.concurrency = Math.max(1, Math.floor(options.fetchConcurrency ?? 32));
    this.maxSortBuffer = Math.max(1, Math.floor(options.maxSortBuffer ?? DEFAULT_MAX_SORT_BUFFER));
    this.tokens = new ResumeTokenCodec(options.tokenKeys ?? staticTokenKeys(options.tokenSecret));
  }

  /** Streams the matching documents in order (see QueryApi.query). */
  async *query(ctx: CallContext, input: QueryInput): AsyncGenerator<QueryItem, QuerySummary, undefined> {
    const orderBy = input.orderBy ?? [];
    checkInput(input);
    const fp = this.tokens.fingerprint({
      collection: input.collection,
      orderBy,
      ...(input.filter === undefined ? {} : { filter: input.filter }),
    });
    const cursor = input.startAfter ? await this.tokens.decode(fp, orderBy.length, input.startAfter, ctx.signal) : undefined;
    const plan = await this.plan(ctx, input, orderBy);
    if (input.requireIndex === true && plan.scan) throw scanRefused(input, orderBy, plan);
    const ex = this.context(ctx, input, orderBy, plan, cursor);
    const limit = input.limit ?? 0;
    let toSkip = cursor === undefined ? (input.offset ?? 0) : 0;
    const keep = limit > 0 ? toSkip + limit : Infinity;
    let sent = 0;
    for await (const hit of source(ex, plan, keep)) {
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      yield this.item(ex, fp, hit, input.projection);
      sent++;
      if (limit > 0 && sent >= limit) break;
    }
    return { skippedResults: ex.stats.skipped };
  }

  /**
   * Counts the matches: from the index alone when the plan is exact, else by
   * fetching and re-checking. A collection that may hold expired documents
   * is always counted by fetching (reads hide expired documents).
   */
  async count(
    ctx: CallContext,
    input: Pick<QueryInput, 'collection' | 'filter' | 'requireIndex'>,
  ): Promise<{ count: number; storageRequests: number }> {
    checkInput(input);
    const plan = await this.plan(ctx, input, []);
    if (input.requireIndex === true && plan.scan) throw scanRefused(input, [], plan);
    const fetchAll = this.expiry?.countsNeedFetch(input.collection) === true;
    if (plan.candidates !== undefined && plan.exact && !fetchAll) {
      return { count: await this.indexes.count(input.collection, plan.candidates, ctx.signal), storageRequests: 0 };
    }
    const ex = this.context(ctx, input, [], plan, undefined);
    let count = 0;
    if (input.filter === undefined && !fetchAll) {
      for await (const ids of listIds(ex)) count += ids.length;
    } else {
      for await (const hit of source(ex, { ...plan, order: { kind: 'id' } }, Infinity)) {
        void hit;
        count++;
      }
    }
    return { count, storageRequests: ex.stats.storageRequests };
  }

  /** The plan query() would use, with the candidate count. */
  async explain(ctx: CallContext, input: QueryInput): Promise<QueryPlan> {
    const orderBy = input.orderBy ?? [];
    checkInput(input);
    const plan = await this.plan(ctx, input, orderBy);
    const ex = this.context(ctx, input, orderBy, plan, undefined);
    let candidateCount: number;
    let listPages = 0;
    if (plan.candidates !== undefined) {
      candidateCount = await this.indexes.count(input.collection, plan.candidates, ctx.signal);
    } else if (plan.order.kind === 'walk') {
      candidateCount = await this.indexes.count(input.collection, { op: 'all' }, ctx.signal);
    } else {
      candidateCount = 0;
      for await (const ids of listIds(ex)) candidateCount += ids.length;
      listPages = ex.stats.storageRequests;
    }
    const residualFilter = plan.residual === undefined ? '' : formatFilter(plan.residual);
    // A streamed order with an exact candidate set stops after offset + limit documents.
    const window = (input.offset ?? 0) + (input.limit ?? 0);
    const stopsEarly = plan.exact && (input.limit ?? 0) > 0 && plan.order.kind !== 'memory' && !plan.scan;
    return {
      indexesUsed: [...plan.indexesUsed],
      candidateCount,
      storageRequests: (stopsEarly ? Math.min(candidateCount, window) : candidateCount) + listPages,
      scan: plan.scan,
      sortedByIndex: plan.order.kind === 'walk',
      residualFilter,
      description: describePlan(plan, input.requireIndex === true, plan.notReady),
    };
  }

  private async plan(
    ctx: CallContext,
    input: Pick<QueryInput, 'collection' | 'filter'>,
    orderBy: readonly OrderTerm[],
  ): Promise<CheckedPlan> {
    throwIfAborted(ctx.signal);
    const catalog = await this.indexes.catalog(input.collection, ctx.signal);
    const plan = planQuery(visibleIndexes(catalog.indexes), input.filter, orderBy);
    if (!plan.scan) return { ...plan, notReady: [] };
    const expected = (await this.expected?.definitionsFor(input.collection, catalog, ctx.signal)) ?? [];
    const { all, missing } = indexesWithMissing(catalog, expected);
    if (missing > 0) this.expected?.requestReconcile();
    return { ...plan, notReady: notReadyServing(all, input.filter, orderBy) };
  }

  private context(
    ctx: CallContext,
    input: Pick<QueryInput, 'collection' | 'filter'>,
    orderBy: readonly OrderTerm[],
    plan: Plan,
    cursor: Hit['key'] | undefined,
  ): ExecContext {
    return execContext({
      store: this.store,
      reader: this.reader,
      indexes: this.indexes,
      collection: input.collection,
      ...(input.filter === undefined ? {} : { filter: input.filter }),
      orderBy,
      signal: ctx.signal,
      concurrency: this.concurrency,
      maxSortBuffer: this.maxSortBuffer,
      ...(cursor === undefined ? {} : { cursor }),
      exact: plan.exact,
    });
  }

  private item(ex: ExecContext, fp: string, hit: Hit, projection: readonly string[] | undefined): QueryItem {
    const doc = projection === undefined || projection.length === 0 ? hit.doc : { ...hit.doc, data: project(hit.doc.data, projection) };
    return { document: doc, resumeToken: this.tokens.encode(fp, hit.key), skippedResults: ex.stats.skipped };
  }
}

/** The hits of a plan, in the query's order. */
function source(ex: ExecContext, plan: Plan, keep: number): AsyncGenerator<Hit, void, undefined> {
  switch (plan.order.kind) {
    case 'id':
      return plan.candidates !== undefined ? indexIdOrder(ex, plan.candidates) : scanIdOrder(ex);
    case 'memory':
      return plan.candidates !== undefined ? indexSorted(ex, plan.candidates, keep) : scanSorted(ex, keep);
    case 'walk':
      return walkOrdered(
        ex,
        {
          index: plan.order.index,
          direction: plan.order.direction,
          ...(plan.candidates === undefined ? {} : { within: plan.candidates }),
        },
        keep,
      );
  }
}

/** The error of a require_index query that would scan: INDEX_NOT_READY when a BUILDING index would serve it, else INDEX_REQUIRED. */
function scanRefused(input: Pick<QueryInput, 'collection' | 'filter'>, orderBy: readonly OrderTerm[], plan: CheckedPlan): DbError {
  const first = plan.notReady[0];
  if (first === undefined) return indexRequired(input.collection, input.filter, orderBy);
  return indexNotReady(input.collection, first, 'being built: its candidates could be incomplete, and scans are not allowed');
}

function argError(field: string, message: string): DbError {
  return new DbError('invalid', 'INVALID_ARGUMENT', message, { field, metadata: { field } });
}

/** Validates the request's shape (collection, filter, order, limit, offset, projection). */
function checkInput(input: Partial<QueryInput> & { collection: string; filter?: Filter }): void {
  validateCollection(input.collection);
  if (input.filter !== undefined) validateFilter(input.filter);
  validateOrderBy(input.orderBy);
  for (const [name, v] of [
    ['limit', input.limit],
    ['offset', input.offset],
  ] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0)) throw argError(name, `${name} must be a non-negative integer`);
  }
  for (const p of input.projection ?? []) {
    const problem = fieldPathProblem(p);
    if (problem !== undefined) throw argError('projection', problem);
  }
}
