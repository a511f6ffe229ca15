/**
 * SmarterBaseClient: one method per DocumentService, QueryService,
 * AdminService and LockService RPC, taking and returning plain objects,
 * rejecting with SmarterBaseError, plus the batch calls, listAll(), the update()
 * compare-and-swap loop, waitForIndexReady(), withLock(), transactions
 * (transaction(), commit(), runTransaction()), watch() and the log calls (logs).
 */
import { randomUUID } from 'node:crypto';
import { createClient as createConnectClient, type Client } from '@connectrpc/connect';
import { checkDataKeys } from './data-check.js';
import { toSmarterBaseError } from './errors.js';
import { fromProtoDocument, type BatchGetItem, type DeleteResult, type JsonObject, type ListPage } from './document.js';
import type { ReadDocument, StoredDocument } from './document.js';
import { ObjectCalls } from './objects.js';
import { LogCalls } from './logs.js';
import { DocumentService } from './gen/smarterbase/v1/document_service_pb.js';
import { AdminService } from './gen/smarterbase/v1/admin_service_pb.js';
import { QueryService } from './gen/smarterbase/v1/query_service_pb.js';
import { LockService } from './gen/smarterbase/v1/lock_service_pb.js';
import { StreamService } from './gen/smarterbase/v1/stream_service_pb.js';
import { watchRequest, WatchStream, type WatchOptions } from './watch.js';
import {
  LockCalls,
  type AcquireOptions,
  type HoldOptions,
  type HoldUpdate,
  type LockInfo,
  type LockLease,
  type WithLockFn,
} from './locks.js';
import { fromProtoIndex, pollUntilReady, toProtoIndex, type IndexDefinition, type IndexInfo, type WaitForIndexOptions } from './admin.js';
import {
  fromProtoPlan,
  queryRequest,
  QueryStream,
  type CountOptions,
  type CountResult,
  type QueryOptions,
  type QueryPlan,
} from './query.js';
import type { CallOptions, ClientOptions } from './options.js';
import { createRetryInterceptor } from './retry.js';
import { buildTransport } from './transport.js';
import {
  fromProtoExistsResult,
  fromProtoWriteResult,
  toProtoDeleteItem,
  toProtoWriteItem,
  type BatchDelItem,
  type BatchExistsItem,
  type BatchItem,
  type BatchWriteResult,
} from './batch.js';
import { runUpdate, type UpdateFn, type UpdateOptions } from './update.js';
import {
  fromProtoCommitResponse,
  runTransaction,
  toProtoCommitRequest,
  Transaction,
  type CommitOptions,
  type CommitResult,
  type RunTransactionOptions,
  type TransactionFn,
  type TransactionRun,
  type TransactionWriteSpec,
} from './commit.js';
import { createRequest, deleteRequest, putIfMatchRequest, putRequest } from './document-options.js';
import type { CreateOptions, DeleteOptions, ListOptions, PutIfMatchOptions, PutOptions } from './document-options.js';

export type { CreateOptions, DeleteOptions, ListOptions, PutIfMatchOptions, PutOptions } from './document-options.js';

/** A SmarterBase client. Create it with createClient(); call close() when done. */
export class SmarterBaseClient {
  /** The generated Connect client, for what the wrapper does not cover (errors are not converted). */
  readonly rpc: Client<typeof DocumentService>;
  /** The generated QueryService client (errors are not converted). */
  readonly queryRpc: Client<typeof QueryService>;
  /** The generated AdminService client (errors are not converted). */
  readonly adminRpc: Client<typeof AdminService>;
  /** The generated LockService client (errors are not converted). */
  readonly lockRpc: Client<typeof LockService>;
  /** The generated StreamService client (errors are not converted). */
  readonly streamRpc: Client<typeof StreamService>;
  /** The object calls: upload(), download(), stat(), delete(), list() and their file helpers (see objects.ts). */
  readonly objects: ObjectCalls;
  /** The log calls: append(), appender() and read() (see logs.ts). */
  readonly logs: LogCalls;
  private readonly locks: LockCalls;
  private readonly timeoutMs: number | undefined;
  private readonly closeTransport: () => void;

  /** Connects lazily to the server named by options (see ClientOptions). */
  constructor(options: ClientOptions) {
    const interceptors = options.retry === false ? [] : [createRetryInterceptor(options.retry)];
    const { transport, close } = buildTransport(options, interceptors);
    this.rpc = createConnectClient(DocumentService, transport);
    this.queryRpc = createConnectClient(QueryService, transport);
    this.adminRpc = createConnectClient(AdminService, transport);
    this.lockRpc = createConnectClient(LockService, transport);
    this.streamRpc = createConnectClient(StreamService, transport);
    this.locks = new LockCalls(this.lockRpc, (o) => this.opts(o));
    this.objects = new ObjectCalls(transport, (o) => this.opts(o), options.retry, options.transport === 'connect');
    this.logs = new LogCalls(transport, (o) => this.opts(o), options.retry);
    this.timeoutMs = options.timeoutMs;
    this.closeTransport = close;
  }

  /** Reads one document; rejects with DOCUMENT_NOT_FOUND when absent. */
  async get<T extends JsonObject = JsonObject>(collection: string, id: string, options?: CallOptions): Promise<StoredDocument<T>> {
    return (await this.getWithReadRevision<T>(collection, id, options)).document;
  }

  /** Like get(), also returning the read's readRevision (to watch the collection from this read on). */
  async getWithReadRevision<T extends JsonObject>(collection: string, id: string, options?: CallOptions): Promise<ReadDocument<T>> {
    const res = await this.call(() => this.rpc.get({ collection, id }, this.opts(options)));
    return { document: fromProtoDocument<T>(res.document), readRevision: res.readRevision };
  }

  /** Writes (upserts) a document, or creates it only when options.createOnly (DOCUMENT_ALREADY_EXISTS if taken). */
  async put<T extends JsonObject>(collection: string, id: string, data: T, options?: PutOptions): Promise<StoredDocument<T>> {
    checkDataKeys(data);
    const req = putRequest(collection, id, data, options);
    const res = await this.call(() => this.rpc.put(req, this.opts(options)));
    return fromProtoDocument<T>(res.document);
  }

  /** Replaces a document only if its etag is still `etag`; ETAG_MISMATCH (metadata.currentEtag) otherwise. */
  async putIfMatch<T extends JsonObject>(
    collection: string,
    id: string,
    data: T,
    etag: string,
    options?: PutIfMatchOptions,
  ): Promise<StoredDocument<T>> {
    checkDataKeys(data);
    const res = await this.call(() => this.rpc.putIfMatch(putIfMatchRequest(collection, id, data, etag, options), this.opts(options)));
    return fromProtoDocument<T>(res.document);
  }

  /** Creates a new document (version 1); the server assigns a UUIDv7 id unless options.id is given. */
  async create<T extends JsonObject>(collection: string, data: T, options?: CreateOptions): Promise<StoredDocument<T>> {
    checkDataKeys(data);
    const res = await this.call(() => this.rpc.create(createRequest(collection, data, options), this.opts(options)));
    return fromProtoDocument<T>(res.document);
  }

  /** Deletes a document; resolves true when this call deleted it, false when none existed. */
  async delete(collection: string, id: string, options?: DeleteOptions): Promise<boolean> {
    return (await this.deleteWithRevision(collection, id, options)).deleted;
  }

  /** Like delete(), also returning the delete's revision (0n when nothing was deleted): watch from it to follow your write. */
  async deleteWithRevision(collection: string, id: string, options?: DeleteOptions): Promise<DeleteResult> {
    const res = await this.call(() => this.rpc.delete(deleteRequest(collection, id, options), this.opts(options)));
    return { deleted: res.deleted, revision: res.revision };
  }

  /** Tells whether a document exists, without reading its data. */
  async exists(collection: string, id: string, options?: CallOptions): Promise<boolean> {
    const res = await this.call(() => this.rpc.exists({ collection, id }, this.opts(options)));
    return res.exists;
  }

  /** Reads one page of a collection, in ascending id order. Continue while nextPageToken is not "". */
  async list<T extends JsonObject = JsonObject>(collection: string, options?: ListOptions): Promise<ListPage<T>> {
    const req = {
      collection,
      pageSize: options?.pageSize ?? 0,
      pageToken: options?.pageToken ?? '',
      idPrefix: options?.idPrefix ?? '',
      keysOnly: options?.keysOnly ?? false,
    };
    const res = await this.call(() => this.rpc.list(req, this.opts(options)));
    const documents = res.documents.map((d) => fromProtoDocument<T>(d));
    return { documents, nextPageToken: res.nextPageToken, readRevision: res.readRevision };
  }

  /** Iterates over every document of a collection (all pages), in ascending id order. */
  async *listAll<T extends JsonObject = JsonObject>(
    collection: string,
    options?: Omit<ListOptions, 'pageToken'>,
  ): AsyncGenerator<StoredDocument<T>> {
    let pageToken = '';
    do {
      const page: ListPage<T> = await this.list<T>(collection, { ...options, pageToken });
      yield* page.documents;
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
  }

  /** Reads many documents of one collection; yields one item per id, in request order, found or not. */
  async *batchGet<T extends JsonObject = JsonObject>(
    collection: string,
    ids: readonly string[],
    options?: CallOptions,
  ): AsyncGenerator<BatchGetItem<T>> {
    try {
      for await (const r of this.rpc.batchGet({ collection, ids: [...ids] }, this.opts(options))) {
        const document = r.found ? fromProtoDocument<T>(r.document) : undefined;
        yield { id: r.id, found: r.found, document, readRevision: r.readRevision };
      }
    } catch (e) {
      throw toSmarterBaseError(e);
    }
  }

  /**
   * Applies puts and deletes (build them with put() / del()) of one
   * collection, NOT atomically: resolves one result per item in request
   * order; a failed item carries in `error` the SmarterBaseError the single
   * call would raise. Rejects only when the whole request fails.
   */
  async batchWrite<T extends JsonObject = JsonObject>(
    collection: string,
    items: readonly BatchItem[],
    options?: CallOptions,
  ): Promise<BatchWriteResult<T>[]> {
    const req = { collection, writes: items.map(toProtoWriteItem) };
    const res = await this.call(() => this.rpc.batchWrite(req, this.opts(options)));
    return res.results.map((r) => fromProtoWriteResult<T>(r));
  }

  /** Tells, for each id, whether it exists (and its etag), in request order. */
  async batchExists(collection: string, ids: readonly string[], options?: CallOptions): Promise<BatchExistsItem[]> {
    const res = await this.call(() => this.rpc.batchExists({ collection, ids: [...ids] }, this.opts(options)));
    return res.results.map(fromProtoExistsResult);
  }

  /** Deletes many documents (del() items, each optionally etag-conditional), NOT atomically; one result per item in order. */
  async batchDelete(collection: string, items: readonly BatchDelItem[], options?: CallOptions): Promise<BatchWriteResult[]> {
    const req = { collection, items: items.map(toProtoDeleteItem) };
    const res = await this.call(() => this.rpc.batchDelete(req, this.opts(options)));
    return res.results.map((r) => fromProtoWriteResult(r));
  }

  /**
   * Read-modify-write with compare-and-swap: reads the document, computes
   * fn(data), writes it with putIfMatch, and starts over (bounded, with
   * backoff) when another writer got there first. See UpdateOptions.
   */
  update<T extends JsonObject = JsonObject>(
    collection: string,
    id: string,
    fn: UpdateFn<T>,
    options?: UpdateOptions,
  ): Promise<StoredDocument<T>> {
    return runUpdate(this, collection, id, fn, options);
  }

  /**
   * Starts an all-or-nothing commit builder:
   * `db.transaction().set(c, id, data, { ifEtag }).delete(c2, id2).check(c3, id3, { ifExists: true }).commit()`.
   */
  transaction(): Transaction {
    return new Transaction(this);
  }

  /**
   * Applies up to 100 writes (set / delete / check), across collections, all
   * or none. A random UUID request id is sent unless options.requestId is
   * given, so the automatic UNAVAILABLE retry never commits twice. Failed
   * preconditions reject with PRECONDITION_FAILED (err.preconditionFailures).
   */
  async commit(writes: readonly TransactionWriteSpec[], options?: CommitOptions): Promise<CommitResult> {
    const requestId = options?.requestId ?? randomUUID();
    const req = toProtoCommitRequest(writes, requestId, options?.lockGuard);
    const res = await this.call(() => this.rpc.commit(req, this.opts(options)));
    return fromProtoCommitResponse(res, requestId);
  }

  /**
   * Runs fn(tx) — reads, then writes conditioned on them — and commits tx;
   * starts over (bounded, with backoff) on PRECONDITION_FAILED or
   * TRANSACTION_CONTENTION. See RunTransactionOptions.
   */
  runTransaction<R>(fn: TransactionFn<R>, options?: RunTransactionOptions): Promise<TransactionRun<R>> {
    return runTransaction(() => this.transaction(), fn, options);
  }

  /**
   * Streams the documents matching a query, in order (filter → orderBy →
   * offset → limit). Iterate the result with `for await`; it also exposes
   * resumeToken, skippedResults and done. The call starts when iteration does.
   */
  query<T extends JsonObject = JsonObject>(collection: string, options?: QueryOptions): QueryStream<T> {
    const req = queryRequest(collection, options);
    return new QueryStream<T>((stop) => {
      const o = this.opts(options);
      return this.queryRpc.query(req, { ...o, signal: o.signal ? AbortSignal.any([o.signal, stop]) : stop });
    });
  }

  /** Counts the documents matching a filter (answered from indexes alone when they cover it). */
  async count(collection: string, options?: CountOptions): Promise<CountResult> {
    const req = {
      collection,
      filter: options?.filter,
      filterExpression: options?.filterExpression ?? '',
      requireIndex: options?.requireIndex ?? false,
    };
    const res = await this.call(() => this.queryRpc.count(req, this.opts(options)));
    return { count: Number(res.count), storageRequests: Number(res.storageRequests) };
  }

  /** The plan the server would use for query(collection, options), without running it. */
  async explain(collection: string, options?: Omit<QueryOptions, 'startAfter' | 'projection' | 'requireIndex'>): Promise<QueryPlan> {
    const { startAfter: _s, projection: _p, requireIndex: _r, ...req } = queryRequest(collection, options);
    const res = await this.call(() => this.queryRpc.explain(req, this.opts(options)));
    return fromProtoPlan(res.plan);
  }

  /** Creates an index: READY at once on an empty collection, else BUILDING (see waitForIndexReady). */
  async createIndex(def: IndexDefinition, options?: CallOptions): Promise<IndexInfo> {
    const res = await this.call(() => this.adminRpc.createIndex({ index: toProtoIndex(def) }, this.opts(options)));
    return fromProtoIndex(res.index);
  }

  /** One index with its state and build progress; INDEX_NOT_FOUND when absent. */
  async getIndex(collection: string, name: string, options?: CallOptions): Promise<IndexInfo> {
    const res = await this.call(() => this.adminRpc.getIndex({ collection, name }, this.opts(options)));
    return fromProtoIndex(res.index);
  }

  /** The indexes of a collection, by name. */
  async listIndexes(collection: string, options?: CallOptions): Promise<IndexInfo[]> {
    const res = await this.call(() => this.adminRpc.listIndexes({ collection }, this.opts(options)));
    return res.indexes.map(fromProtoIndex);
  }

  /** Drops an index and its entries; INDEX_NOT_FOUND when absent. */
  async dropIndex(collection: string, name: string, options?: CallOptions): Promise<void> {
    await this.call(() => this.adminRpc.dropIndex({ collection, name }, this.opts(options)));
  }

  /** Polls getIndex every options.pollMs (100 ms) until READY; rejects if FAILED (IndexBuildError), on options.timeoutMs or signal. */
  waitForIndexReady(collection: string, name: string, options?: WaitForIndexOptions): Promise<IndexInfo> {
    return pollUntilReady(() => this.getIndex(collection, name, { signal: options?.signal }), options);
  }

  /** Takes a lock (ttlMs default 10 s); LOCK_HELD (retryDelayMs) when busy after options.waitMs. Prefer withLock(). */
  acquire(name: string, options?: AcquireOptions): Promise<LockLease> {
    return this.locks.acquire(name, options);
  }

  /** Extends a lease by ttlMs from now; LOCK_NOT_HELD when it is no longer current. */
  renew(lease: Pick<LockLease, 'name' | 'leaseId'>, ttlMs: number, options?: CallOptions): Promise<LockLease> {
    return this.locks.renew(lease, ttlMs, options);
  }

  /** Frees a lock; true when this call freed it, false when the lease was no longer current. */
  release(lease: Pick<LockLease, 'name' | 'leaseId'>, options?: CallOptions): Promise<boolean> {
    return this.locks.release(lease, options);
  }

  /** Whether a lock is held, by whom and until when. */
  getLock(name: string, options?: CallOptions): Promise<LockInfo> {
    return this.locks.get(name, options);
  }

  /** The Hold stream: the grant, then one update per renewal; leaving the loop or aborting releases the lock. */
  hold(name: string, options?: HoldOptions): AsyncGenerator<HoldUpdate> {
    return this.locks.hold(name, options);
  }

  /**
   * Runs fn while holding the lock `name` (through Hold, renewed by the server) and releases it
   * afterwards, also when fn throws. Pass `lock.guard` as the lockGuard option of writes.
   */
  withLock<R>(name: string, fn: WithLockFn<R>, options?: HoldOptions): Promise<R> {
    return this.locks.withLock(name, fn, options);
  }

  /**
   * Watches a collection's changes: `for await (const batch of db.watch(c))`.
   * Resumes by itself after disconnects (see WatchStream; initialSnapshot: the current documents first);
   * REVISION_COMPACTED throws a RevisionCompactedError. The call starts when iteration does, with no deadline.
   */
  watch<T extends JsonObject = JsonObject>(collection: string, options?: WatchOptions): WatchStream<T> {
    const open = (req: ReturnType<typeof watchRequest>, signal: AbortSignal) => this.streamRpc.watch(req, { timeoutMs: 0, signal });
    return new WatchStream<T>(open, watchRequest(collection, options), options);
  }

  /** Closes the client's connections; calls made afterwards fail. */
  close(): void {
    this.closeTransport();
  }

  private opts(options: CallOptions | undefined): { timeoutMs?: number; signal?: AbortSignal } {
    return { timeoutMs: options?.timeoutMs ?? this.timeoutMs, signal: options?.signal };
  }

  private async call<R>(fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (e) {
      throw toSmarterBaseError(e);
    }
  }
}

/** Creates a client; e.g. createClient({ address: '127.0.0.1:50051' }). */
export function createClient(options: ClientOptions): SmarterBaseClient {
  return new SmarterBaseClient(options);
}
