import type { StoredDocument } from '../model/document.js';
import type { Filter, OrderTerm } from '../model/filter.js';
import type { IndexDefinition, IndexInfo } from '../model/index-def.js';
import type { CallContext } from './call-context.js';

/** A query: evaluated filter → order → offset → limit, always. */
export interface QueryInput {
  readonly collection: string;
  /** Undefined matches every document. */
  readonly filter?: Filter;
  /** At most 8 terms; the id is always the final tie-breaker. */
  readonly orderBy?: readonly OrderTerm[];
  /** 0 or undefined = no limit. */
  readonly limit?: number;
  readonly offset?: number;
  /** A resume token from an earlier QueryItem of the same query. */
  readonly startAfter?: string;
  /** Dotted paths to keep in each document's data; empty/undefined keeps all. */
  readonly projection?: readonly string[];
  /** Fail with INDEX_REQUIRED instead of scanning. */
  readonly requireIndex?: boolean;
}

/** One streamed result. */
export interface QueryItem {
  readonly document: StoredDocument;
  /** Opaque; continues the same query after this document. */
  readonly resumeToken: string;
  /** Index hits dropped so far (stale entries, deleted documents). */
  readonly skippedResults: number;
}

/** The end of a query stream. */
export interface QuerySummary {
  readonly skippedResults: number;
}

/** How a query is executed (proto smarterbase.v1.QueryPlan). */
export interface QueryPlan {
  readonly indexesUsed: string[];
  readonly candidateCount: number;
  readonly storageRequests: number;
  readonly scan: boolean;
  readonly sortedByIndex: boolean;
  /** The residual filter in expression syntax; '' when the indexes answer exactly. */
  readonly residualFilter: string;
  readonly description: string;
}

/** Queries. Errors are DbErrors. */
export interface QueryApi {
  /**
   * Streams matching documents in order, fetching with bounded concurrency
   * and backpressure; returns the summary when done. Stops outstanding
   * storage requests when ctx.signal aborts.
   */
  query(ctx: CallContext, input: QueryInput): AsyncGenerator<QueryItem, QuerySummary, undefined>;
  /** Counts matches; storageRequests is 0 when indexes answered alone. */
  count(
    ctx: CallContext,
    input: Pick<QueryInput, 'collection' | 'filter' | 'requireIndex'>,
  ): Promise<{ count: number; storageRequests: number }>;
  /** The plan query() would use. */
  explain(ctx: CallContext, input: QueryInput): Promise<QueryPlan>;
}

/** Index administration. Errors are DbErrors. */
/** What AdminApi.checkIndexes checks. */
export interface CheckIndexesInput {
  readonly collection: string;
  /** Only this index; unset: every READY index of the collection. */
  readonly index?: string;
  /** Repair what is found. */
  readonly repair: boolean;
}

/** Progress of a check, cumulative (proto smarterbase.v1.CheckIndexesResponse). The last one has done = true. */
export interface CheckIndexesProgress {
  /** Documents read from storage. */
  readonly documentsScanned: number;
  /** Index entries read from the index store. */
  readonly entriesChecked: number;
  /** Entries a document should have and the index lacks. */
  readonly missing: number;
  /** Entries whose document is gone or no longer produces them. */
  readonly stale: number;
  /** Documents whose entries were repaired. */
  readonly repaired: number;
  /** Faulty documents left unrepaired because they changed meanwhile. */
  readonly skipped: number;
  readonly done: boolean;
  /** Up to 100 faults, "missing|stale <index> <value> <id>" (final message only). */
  readonly samples: readonly string[];
}

/** What AdminApi.rebuildIndexes rebuilds. */
export interface RebuildIndexesInput {
  readonly collection: string;
  /** Only this index; unset: every index of the collection. */
  readonly index?: string;
}

/**
 * How the rebuild of one index ended: swapped (the rebuilt copy is the live
 * index now), failed (the build failed, e.g. a unique duplicate; the live
 * index is as it was), dropped (the index was dropped or the rebuild
 * replaced meanwhile), aborted (cancelled, shut down, a backend failed, the
 * build lease was lost), skipped (the index is BUILDING, or another server
 * is rebuilding it).
 */
export type RebuildOutcome = 'swapped' | 'failed' | 'dropped' | 'aborted' | 'skipped';

/** The result of rebuilding one index (proto smarterbase.v1.RebuiltIndex). */
export interface RebuiltIndex {
  readonly name: string;
  readonly outcome: RebuildOutcome;
  /** Documents scanned by its build. */
  readonly documentsScanned: number;
  /** Why, unless swapped. */
  readonly error?: string;
}

/** One message of a rebuild (proto smarterbase.v1.RebuildIndexesResponse). The last one has done = true and every result. */
export interface RebuildIndexesProgress {
  /** The index being rebuilt ('' on the last message). */
  readonly index: string;
  /** Documents scanned so far by this index's build. */
  readonly documentsScanned: number;
  readonly done: boolean;
  /** One per index, in order (last message only). */
  readonly results: readonly RebuiltIndex[];
}

export interface AdminApi {
  /** Creates an index (building in the background when the collection has documents). */
  createIndex(ctx: CallContext, def: IndexDefinition): Promise<IndexInfo>;
  getIndex(ctx: CallContext, collection: string, name: string): Promise<IndexInfo>;
  /** By name. */
  listIndexes(ctx: CallContext, collection: string): Promise<IndexInfo[]>;
  dropIndex(ctx: CallContext, collection: string, name: string): Promise<void>;
  /** Compares the indexes with storage exactly (index/index-check.ts); ends when ctx.signal aborts. */
  checkIndexes(ctx: CallContext, input: CheckIndexesInput): AsyncGenerator<CheckIndexesProgress, void, undefined>;
  /** Rebuilds indexes online into shadow copies swapped in atomically (index/index-rebuild.ts); cancelled when ctx.signal aborts. */
  rebuildIndexes(ctx: CallContext, input: RebuildIndexesInput): AsyncGenerator<RebuildIndexesProgress, void, undefined>;
}
