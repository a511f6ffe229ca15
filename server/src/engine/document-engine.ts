import { v7 as uuidv7 } from 'uuid';
import { invalid } from '../errors/db-error.js';
import { orderedMap } from '../common/ordered-map.js';
import type { Coordinator } from '../coordination/coordinator.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ListedDocument, StoredDocument } from '../model/document.js';
import { validateCollection, validateId, validateIdPrefix } from '../model/keys.js';
import type { CallContext } from '../api/call-context.js';
import { BatchOperations, DEFAULT_MAX_BATCH_WRITE_ITEMS } from './batch-operations.js';
import type {
  BatchExistsItem,
  BatchGetItem,
  BatchWriteOp,
  BatchWriteOutcome,
  CommitInput,
  CommitResult,
  CreateInput,
  DeleteInput,
  DocumentApi,
  ListInput,
  ListResult,
  PutIfMatchInput,
  PutInput,
  DeleteResult,
} from '../api/document-api.js';
import { DocumentReader } from './document-reader.js';
import { DocumentWriter, type PurgeOutcome } from './document-writer.js';
import { ExpiryPolicy } from './expiry-policy.js';
import type { ExpiryPort } from '../api/expiry-port.js';
import { PageTokenCodec } from './page-token.js';
import { SingleDocuments } from './single-documents.js';
import { staticTokenKeys, type TokenKeys } from '../tokens/token-keys.js';
import type { WriteHooks } from '../api/write-hooks.js';
import { VersionCache } from './version-cache.js';
import type { FenceCheck } from '../api/lock-api.js';
import { CommitRunner } from '../txn/commit-runner.js';
import { validateCommit } from '../txn/commit-input.js';
import { IntentStore } from '../txn/intent.js';
import { RequestRecords } from '../txn/request-records.js';
import { TxnRecovery, type RecoverOutcome, type RecoveryLog } from '../txn/txn-recovery.js';
import { CleanupQueue, type DrainOutcome } from '../txn/cleanup-queue.js';
import { collectionPrefix } from '../format/bucket-layout.js';
import { Failpoints } from '../common/failpoints.js';
import { systemClock, systemRandom, type Clock, type RandomSource } from '../common/clock.js';

/** Options of the DocumentEngine; every one but `store` and `coordinator` has a default. */
export interface DocumentEngineOptions {
  /** Where documents live. */
  readonly store: BlobStore;
  /** Transaction mutexes (the same backend for every server of a deployment; main.ts picks the adapter). */
  readonly coordinator: Coordinator;
  /** The largest encoded envelope accepted, in bytes. Default 1 MiB (1048576). */
  readonly maxDocumentBytes?: number;
  /** How many blob reads (BatchGet, List) or items (batch writes, BatchExists) run in parallel. Default 32. */
  readonly batchConcurrency?: number;
  /** The most ids one BatchGet or BatchExists may ask for. Default 1000. */
  readonly maxBatchItems?: number;
  /** The most items of one BatchWrite or BatchDelete. Default 500. */
  readonly maxBatchWriteItems?: number;
  /** The keys that sign List page tokens, shared by all servers of a deployment (tokens/). Default: from pageTokenSecret. */
  readonly tokenKeys?: TokenKeys;
  /** A fixed HMAC secret of List page tokens when tokenKeys is unset. Default: random per process. */
  readonly pageTokenSecret?: string;
  /** The clock of every part (write times, transaction expiry, waits). Default systemClock. */
  readonly clock?: Clock;
  /** The jitter of every part's backoff. Default systemRandom. */
  readonly random?: RandomSource;
  /**
   * This engine's failpoints, for crash and fault tests (common/failpoints.ts);
   * main.ts arms them from SB_FAILPOINTS. Default: a registry of its own, none
   * armed (a spec arms it through `engine.failpoints`).
   */
  readonly failpoints?: Failpoints;
  /** Assigns ids to Creates without one. Default UUIDv7. */
  readonly newId?: () => string;
  /** Index maintenance around every write (index/write-hooks.ts). Default: none. */
  readonly hooks?: WriteHooks;
  /** How many read-modify-write rounds an unconditional Put tries before CONCURRENT_MODIFICATION. Default 10. */
  readonly maxPutAttempts?: number;
  /**
   * How many keys' last known {etag, version, createTime} this process
   * remembers, so that a Put or PutIfMatch over a known version writes without
   * reading first. Default 10000; 0 disables it.
   */
  readonly versionCacheEntries?: number;
  /**
   * Checks the lock guards of Put, PutIfMatch, Delete and Commit, after the
   * engine read the documents and before writing. Default: none, and then a
   * guarded write is refused (invalid INVALID_ARGUMENT lock_guard).
   */
  readonly fences?: FenceCheck;
  /** A transaction's time limit in ms (mutex lease, intent expiry). Default 30 000. */
  readonly txnTimeoutMs?: number;
  /** How long a single write waits for a live transaction holding its document, in ms. Default 2 000. */
  readonly txnWriterWaitMs?: number;
  /**
   * The most Commit cleanups (request record, intent delete) pending after
   * their answers (txn/cleanup-queue.ts); beyond it they run before the
   * answer; 0: always before. Default 1000.
   */
  readonly txnCleanupMaxQueued?: number;
  /** Where transaction recovery logs. Default: nowhere. */
  readonly log?: RecoveryLog;
  /**
   * Document expiry's schedule, markers and default TTLs (ttl/,
   * docs/streams.md "Document expiry (TTL)"). Default: none, and then writes
   * that would expire are refused (FAILED_PRECONDITION TTL_NOT_AVAILABLE);
   * expired documents read as absent either way.
   */
  readonly expiry?: ExpiryPort;
}

/** The List page size when none is given. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest List page size; larger requests are served this many. */
export const MAX_PAGE_SIZE = 1000;

/**
 * The document engine: DocumentApi over a BlobStore. Every write is a
 * conditional put (ifNoneMatch to create, ifMatch to update), so versions
 * are exact and no write is lost; see docs/storage-format.md. Reads resolve
 * transactions (document-reader.ts), writes go through document-writer.ts,
 * Commit through txn/commit-runner.ts.
 */
export class DocumentEngine implements DocumentApi {
  private readonly store: BlobStore;
  private readonly batchConcurrency: number;
  private readonly maxBatchItems: number;
  private readonly tokens: PageTokenCodec;
  private readonly singles: SingleDocuments;
  private readonly batches: BatchOperations;
  private readonly recovery: TxnRecovery;
  private readonly commits: CommitRunner;
  private readonly cleanups: CleanupQueue;
  /** This engine's failpoint registry (the option, or its own). */
  readonly failpoints: Failpoints;
  /** Transaction-aware reads (also used by the query engine). */
  readonly reader: DocumentReader;
  /** Expire times of writes and the liveness of versions (also used by the query engine's Count). */
  readonly expiry: ExpiryPolicy;
  private readonly writer: DocumentWriter;

  constructor(options: DocumentEngineOptions) {
    const store = (this.store = options.store);
    this.batchConcurrency = options.batchConcurrency ?? 32;
    this.maxBatchItems = options.maxBatchItems ?? 1000;
    const clock = options.clock ?? systemClock;
    const random = options.random ?? systemRandom;
    const failpoints = (this.failpoints = options.failpoints ?? new Failpoints());
    this.tokens = new PageTokenCodec(options.tokenKeys ?? staticTokenKeys(options.pageTokenSecret));
    const known = new VersionCache(options.versionCacheEntries);
    const intents = new IntentStore(store);
    const requests = new RequestRecords(store, clock);
    const { hooks } = options;
    this.recovery = new TxnRecovery({
      store,
      intents,
      requests,
      hooks,
      clock,
      random,
      failpoints,
      writerWaitMs: options.txnWriterWaitMs,
      log: options.log,
    });
    const expiry = (this.expiry = new ExpiryPolicy(clock, options.expiry));
    this.reader = new DocumentReader(store, this.recovery, known, expiry);
    const writer = (this.writer = new DocumentWriter({
      store,
      reader: this.reader,
      known,
      hooks,
      fences: options.fences,
      maxDocumentBytes: options.maxDocumentBytes ?? 1024 * 1024,
      clock,
      random,
      maxAttempts: options.maxPutAttempts ?? 10,
      failpoints,
      expiry,
    }));
    this.singles = new SingleDocuments(this.reader, writer, options.newId ?? (() => uuidv7()), expiry);
    const maxWriteItems = options.maxBatchWriteItems ?? DEFAULT_MAX_BATCH_WRITE_ITEMS;
    this.batches = new BatchOperations(this.singles, { concurrency: this.batchConcurrency, maxWriteItems, maxItems: this.maxBatchItems });
    const { coordinator } = options;
    this.cleanups = new CleanupQueue({ maxQueued: options.txnCleanupMaxQueued, log: options.log });
    this.commits = new CommitRunner({
      store,
      reader: this.reader,
      coordinator,
      intents,
      requests,
      recovery: this.recovery,
      hooks,
      writer,
      clock,
      random,
      failpoints,
      timeoutMs: options.txnTimeoutMs,
      cleanups: this.cleanups,
    });
  }

  /** One document; NOT_FOUND DOCUMENT_NOT_FOUND when absent. */
  get(ctx: CallContext, collection: string, id: string): Promise<StoredDocument> {
    return this.singles.get(ctx, collection, id);
  }

  /** One item per id in request order; validation errors surface on the first iteration. */
  async *batchGet(ctx: CallContext, collection: string, ids: readonly string[]): AsyncIterable<BatchGetItem> {
    validateCollection(collection);
    if (ids.length === 0) throw invalid('INVALID_ARGUMENT', 'ids', 'ids must not be empty');
    if (ids.length > this.maxBatchItems) {
      throw invalid('INVALID_ARGUMENT', 'ids', `at most ${this.maxBatchItems} ids per BatchGet, got ${ids.length}`);
    }
    ids.forEach((id, i) => validateId(id, `ids[${i}]`));
    const fetchOne = async (id: string, signal: AbortSignal): Promise<BatchGetItem> => {
      const document = await this.singles.read(collection, id, signal);
      return document === undefined ? { id } : { id, document };
    };
    yield* orderedMap(ids, this.batchConcurrency, fetchOne, ctx.signal);
  }

  /** Upsert (a CAS read-modify-write loop), or create-only. */
  put(ctx: CallContext, input: PutInput): Promise<StoredDocument> {
    return this.singles.put(ctx, input);
  }

  /** Replaces the document only when its etag is still `input.etag`. */
  putIfMatch(ctx: CallContext, input: PutIfMatchInput): Promise<StoredDocument> {
    return this.singles.putIfMatch(ctx, input);
  }

  /** A new document; the id is a UUIDv7 when absent or empty. */
  create(ctx: CallContext, input: CreateInput): Promise<StoredDocument> {
    return this.singles.create(ctx, input);
  }

  /** Deletes (idempotently, or only the version with `input.etag`). */
  delete(ctx: CallContext, input: DeleteInput): Promise<boolean> {
    return this.singles.delete(ctx, input);
  }

  /** Deletes, and says at which revision (0 when nothing was deleted). */
  deleteWithRevision(ctx: CallContext, input: DeleteInput): Promise<DeleteResult> {
    return this.singles.deleteWithRevision(ctx, input);
  }

  /** Whether the document exists, with its etag when it does (as committed: transactions are resolved). */
  exists(ctx: CallContext, collection: string, id: string): Promise<{ exists: boolean; etag?: string }> {
    return this.singles.exists(ctx, collection, id);
  }

  /** One page of a collection in id order. */
  async list(ctx: CallContext, input: ListInput): Promise<ListResult> {
    const { collection } = input;
    const idPrefix = input.idPrefix ?? '';
    const keysOnly = input.keysOnly === true;
    validateCollection(collection);
    validateIdPrefix(idPrefix);
    const pageSize = resolvePageSize(input.pageSize);
    const shape = { collection, idPrefix, keysOnly };
    const after = input.pageToken ? await this.tokens.decode(shape, input.pageToken, ctx.signal) : undefined;
    const base = collectionPrefix(collection);
    const page = await this.store.list(
      { prefix: base + idPrefix, startAfter: after === undefined ? undefined : base + after, limit: pageSize },
      ctx.signal,
    );
    // Keys with a '/' after the collection prefix are not documents (nothing writes them): skip them.
    const ids = page.keys.map((k) => k.slice(base.length)).filter((id) => id !== '' && !id.includes('/'));
    const documents: ListedDocument[] = [];
    if (keysOnly) {
      // An id due on the expiry schedule is read to see whether it is still there (docs/streams.md, "Document expiry (TTL)").
      const due = await this.expiry.mayBeExpired(collection, ids, ctx.signal);
      for (const id of ids) {
        if (due.has(id) && (await this.singles.read(collection, id, ctx.signal)) === undefined) continue;
        documents.push({ collection, id });
      }
    } else {
      const read = (id: string, signal: AbortSignal): Promise<StoredDocument | undefined> => this.singles.read(collection, id, signal);
      for await (const doc of orderedMap(ids, this.batchConcurrency, read, ctx.signal)) {
        if (doc !== undefined) documents.push(doc); // deleted since the listing: skipped
      }
    }
    const lastKey = page.keys[page.keys.length - 1];
    const nextPageToken = page.isTruncated && lastKey !== undefined ? this.tokens.encode(shape, lastKey.slice(base.length)) : '';
    return { documents, nextPageToken };
  }

  /** Puts and deletes, not atomic, one outcome per item in order (engine/batch-operations.ts). */
  batchWrite(ctx: CallContext, collection: string, ops: readonly BatchWriteOp[]): Promise<BatchWriteOutcome[]> {
    return this.batches.write(ctx, collection, ops);
  }

  /** Existence and etag of each id, in order. */
  batchExists(ctx: CallContext, collection: string, ids: readonly string[]): Promise<BatchExistsItem[]> {
    return this.batches.exists(ctx, collection, ids);
  }

  /** Deletes, not atomic, one outcome per item in order. */
  batchDelete(
    ctx: CallContext,
    collection: string,
    items: readonly { readonly id: string; readonly etag?: string }[],
  ): Promise<BatchWriteOutcome[]> {
    return this.batches.delete(ctx, collection, items);
  }

  /** Up to 100 writes, all-or-nothing (txn/commit-runner.ts). */
  commit(ctx: CallContext, input: CommitInput): Promise<CommitResult> {
    const expiring =
      Array.isArray(input.writes) && input.writes.some((w) => w.op === 'set' && this.expiry.mayExpire(w.collection, w.expiration));
    return expiring ? this.commitExpiring(ctx, input) : this.commits.commit(ctx, input);
  }

  /** A Commit with writes that expire: their Expirations resolve now, by this server's clock (collections marked, ids scheduled). */
  private async commitExpiring(ctx: CallContext, input: CommitInput): Promise<CommitResult> {
    validateCommit(input);
    const writes = await Promise.all(
      input.writes.map(async (w) => {
        if (w.op !== 'set') return w;
        const expireTime = await this.expiry.resolve(w.collection, w.id, w.expiration, ctx.signal);
        return expireTime === undefined ? w : { ...w, expireTime };
      }),
    );
    return this.commits.commit(ctx, { ...input, writes });
  }

  /**
   * Purges (collection, id) when it is still expired: a delete of exactly
   * the expired version through the write path (index entries removed, one
   * `expire` change in the feed); 'dropped' when it is absent, rewritten or
   * no longer expired. Called by the purger (ttl/expiry-purger.ts).
   */
  purgeExpired(collection: string, id: string, signal: AbortSignal): Promise<PurgeOutcome> {
    return this.writer.purgeExpired({ signal }, collection, id);
  }

  /**
   * Finishes every transaction whose server is gone (committed: forward;
   * pending past expiry: back) and drops expired request records. Run at
   * start-up and periodically; counts the outcomes.
   */
  recoverTransactions(signal?: AbortSignal): Promise<Record<RecoverOutcome, number>> {
    return this.recovery.sweep(signal);
  }

  /** Finishes transaction `txid` if it is not live (rolls a committed one forward, which publishes its changes). */
  recoverTransaction(txid: string, signal?: AbortSignal): Promise<RecoverOutcome> {
    return this.recovery.recover(txid, signal);
  }

  /**
   * Graceful shutdown of Commit cleanups: waits up to `timeoutMs` for those
   * pending after their answers, then abandons the rest to recovery (their
   * intents stay committed). Later Commits clean up before answering.
   */
  drainTransactionCleanup(timeoutMs: number): Promise<DrainOutcome> {
    return this.cleanups.drain(timeoutMs);
  }
}

function resolvePageSize(pageSize: number | undefined): number {
  if (pageSize === undefined || pageSize === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw invalid('INVALID_ARGUMENT', 'page_size', 'page_size must be a non-negative integer');
  }
  return Math.min(pageSize, MAX_PAGE_SIZE);
}
