/**
 * Queries: the options of query() / count() / explain(), the QueryStream
 * that iterates the server stream, and the plain shapes of their answers.
 */
import type { Client } from '@connectrpc/connect';
import type { JsonObject } from '@bufbuild/protobuf';
import { fromProtoDocument, type StoredDocument } from './document.js';
import { toSmarterBaseError } from './errors.js';
import { toProtoOrderBy, type Filter, type OrderBy } from './filter.js';
import type { QueryPlan as ProtoQueryPlan } from './gen/smarterbase/v1/query_pb.js';
import type { QueryService } from './gen/smarterbase/v1/query_service_pb.js';
import type { CallOptions } from './options.js';

/** Which documents a query, count or explain selects: a typed filter or an expression, not both. */
export interface FilterOptions {
  /** A typed filter built with eq(), and(), … (filter.ts). Unset: every document. */
  readonly filter?: Filter;
  /** The filter as an expression string, e.g. `status = "active" AND age >= 21`. */
  readonly filterExpression?: string;
}

/** Options of query() and explain(). Evaluation is always filter → orderBy → offset → limit. */
export interface QueryOptions extends FilterOptions, CallOptions {
  /** Sort keys (at most 8); a string is ascending. Default: id order. */
  readonly orderBy?: readonly (OrderBy | string)[];
  /** The most documents to return; 0 / unset: no limit. */
  readonly limit?: number;
  /** Matching documents to skip (after sorting). */
  readonly offset?: number;
  /** A resumeToken of an earlier stream of the same query: continue after that document (offset is then ignored). */
  readonly startAfter?: string;
  /** Keep only these dotted field paths of each document's data. */
  readonly projection?: readonly string[];
  /** Fail with INDEX_REQUIRED instead of scanning the collection. */
  readonly requireIndex?: boolean;
}

/** Options of count(). */
export interface CountOptions extends FilterOptions, CallOptions {
  /** Fail with INDEX_REQUIRED instead of scanning the collection. */
  readonly requireIndex?: boolean;
}

/** The answer of count(). */
export interface CountResult {
  /** How many documents match. */
  readonly count: number;
  /** Object-storage requests the server made (0 when indexes answered alone). */
  readonly storageRequests: number;
}

/** How the server executes a query (explain()). */
export interface QueryPlan {
  /** The names of the indexes read. */
  readonly indexesUsed: string[];
  /** Candidate documents the indexes yield (before the residual filter). */
  readonly candidateCount: number;
  /** Object-storage requests executing the plan makes (estimate). */
  readonly storageRequests: number;
  /** True when every document of the collection is read. */
  readonly scan: boolean;
  /** True when the order comes from an ordered index. */
  readonly sortedByIndex: boolean;
  /** The part of the filter checked on fetched documents ("" when indexes answer exactly). */
  readonly residualFilter: string;
  /** A human-readable description. */
  readonly description: string;
}

/** The proto request fields of a query's options. */
export function queryRequest(collection: string, o: QueryOptions | undefined) {
  return {
    collection,
    filter: o?.filter,
    filterExpression: o?.filterExpression ?? '',
    orderBy: toProtoOrderBy(o?.orderBy),
    limit: o?.limit ?? 0,
    offset: o?.offset ?? 0,
    startAfter: o?.startAfter ?? '',
    projection: o?.projection ? { fieldPaths: [...o.projection] } : undefined,
    requireIndex: o?.requireIndex ?? false,
  };
}

/** A plain QueryPlan of the proto one. */
export function fromProtoPlan(p: ProtoQueryPlan | undefined): QueryPlan {
  return {
    indexesUsed: [...(p?.indexesUsed ?? [])],
    candidateCount: Number(p?.candidateCount ?? 0n),
    storageRequests: Number(p?.storageRequests ?? 0n),
    scan: p?.scan ?? false,
    sortedByIndex: p?.sortedByIndex ?? false,
    residualFilter: p?.residualFilter ?? '',
    description: p?.description ?? '',
  };
}

/** Opens the server stream of a query, cancelled by `signal`: the request is sent when iteration starts. */
export type OpenQuery = (signal: AbortSignal) => ReturnType<Client<typeof QueryService>['query']>;

/**
 * The documents of one query, streamed: iterate it once with `for await`.
 * While (and after) iterating, `resumeToken` is the token of the last
 * document received (pass it as startAfter to continue after a broken
 * stream), `skippedResults` the stale index hits the server dropped, and
 * `done` true once the server sent its final message, `readRevision` the
 * read's revision (watch from it). Breaking out of the
 * loop cancels the call.
 */
export class QueryStream<T extends JsonObject = JsonObject> implements AsyncIterable<StoredDocument<T>> {
  /** The resume token of the last message received; "" before the first. */
  resumeToken = '';
  /** Index hits dropped so far because the document no longer matched or existed. */
  skippedResults = 0;
  /** True once the server's final message arrived (the result is complete). */
  done = false;
  /** The read's revision once a message arrived (0n before, or unknown): watch from it to follow the collection. */
  readRevision = 0n;
  private started = false;

  /** Used by SmarterBaseClient.query(); `open` starts the call. */
  constructor(private readonly open: OpenQuery) {}

  async *[Symbol.asyncIterator](): AsyncIterator<StoredDocument<T>> {
    if (this.started) throw new Error('a QueryStream can be iterated only once; call query() again');
    this.started = true;
    const stop = new AbortController();
    try {
      for await (const m of this.open(stop.signal)) {
        if (m.resumeToken !== '') this.resumeToken = m.resumeToken;
        this.skippedResults = Number(m.skippedResults);
        if (m.readRevision !== 0n) this.readRevision = m.readRevision;
        if (m.done) {
          this.done = true;
          continue;
        }
        yield fromProtoDocument<T>(m.document);
      }
    } catch (e) {
      throw toSmarterBaseError(e);
    } finally {
      // Leaving the loop early (break, return, throw) cancels the call on the server.
      if (!this.done) stop.abort();
    }
  }

  /** Collects every document (use only when the result is known to be small). */
  async toArray(): Promise<StoredDocument<T>[]> {
    const out: StoredDocument<T>[] = [];
    for await (const d of this) out.push(d);
    return out;
  }
}
