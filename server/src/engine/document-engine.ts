import { v7 as uuidv7 } from 'uuid';
import { DbError, invalid } from '../errors/db-error.js';
import { orderedMap } from '../common/ordered-map.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ListedDocument, StoredDocument } from '../model/document.js';
import { checkDocumentData } from '../model/json-check.js';
import { collectionPrefix, validateCollection, validateExistingId, validateId, validateIdPrefix } from '../model/keys.js';
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
  TxnWrite,
} from '../api/document-api.js';
import { DocumentReader } from './document-reader.js';
import { DocumentWriter, notFound, toDocument } from './document-writer.js';
import { encodeEnvelope, type Envelope } from '../format/envelope.js';
import { PageTokenCodec } from './page-token.js';
import { staticTokenKeys, type TokenKeys } from '../tokens/token-keys.js';
import type { WriteHooks } from '../api/write-hooks.js';
import { VersionCache } from './version-cache.js';
import type { LockGuardInput } from '../api/lock-api.js';
import { CommitRunner } from '../txn/commit-runner.js';
import { commitSingle } from '../txn/single-write.js';
import { IntentStore } from '../txn/intent.js';
import { RequestRecords } from '../txn/request-records.js';
import { TxnRecovery, type RecoverOutcome, type RecoveryLog } from '../txn/txn-recovery.js';

/**
 * Checks a write's lock guard (locks/fence-checker.ts): resolves when the
 * guard's fencing token is the lock's latest grant, throws DbError
 * failed_precondition LOCK_NOT_HELD otherwise.
 */
export interface FenceCheck {
  check(guard: LockGuardInput, signal?: AbortSignal): Promise<void>;
}

/** Options of the DocumentEngine; every one but `store` has a default. */
export interface DocumentEngineOptions {
  /** Where documents live. */
  readonly store: BlobStore;
  /** Transaction mutexes (the same backend for every server of a deployment). Default: an in-process LocalCoordinator. */
  readonly coordinator?: Coordinator;
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
  /** The clock. Default `() => new Date()`. */
  readonly now?: () => Date;
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
  /** Where transaction recovery logs. Default: nowhere. */
  readonly log?: RecoveryLog;
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
  private readonly maxDocumentBytes: number;
  private readonly batchConcurrency: number;
  private readonly maxBatchItems: number;
  private readonly newId: () => string;
  private readonly tokens: PageTokenCodec;
  private readonly fences?: FenceCheck;
  private readonly batches: BatchOperations;
  private readonly recovery: TxnRecovery;
  private readonly commits: CommitRunner;
  /** Transaction-aware reads (also used by the query engine). */
  readonly reader: DocumentReader;
  private readonly writer: DocumentWriter;

  constructor(options: DocumentEngineOptions) {
    const store = (this.store = options.store);
    this.maxDocumentBytes = options.maxDocumentBytes ?? 1024 * 1024;
    this.batchConcurrency = options.batchConcurrency ?? 32;
    this.maxBatchItems = options.maxBatchItems ?? 1000;
    const now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => uuidv7());
    this.tokens = new PageTokenCodec(options.tokenKeys ?? staticTokenKeys(options.pageTokenSecret));
    const known = new VersionCache(options.versionCacheEntries);
    this.fences = options.fences;
    const maxWriteItems = options.maxBatchWriteItems ?? DEFAULT_MAX_BATCH_WRITE_ITEMS;
    this.batches = new BatchOperations(this, { concurrency: this.batchConcurrency, maxWriteItems, maxItems: this.maxBatchItems });
    const intents = new IntentStore(store);
    const requests = new RequestRecords(store, now);
    const { hooks } = options;
    this.recovery = new TxnRecovery({ store, intents, requests, hooks, now, writerWaitMs: options.txnWriterWaitMs, log: options.log });
    this.reader = new DocumentReader(store, this.recovery, known);
    const checkFence = (guard: LockGuardInput, signal: AbortSignal): Promise<void> => this.checkFence(guard, signal);
    const encode = (envelope: Envelope): Uint8Array => this.encode(envelope);
    this.writer = new DocumentWriter({ store, reader: this.reader, known, hooks, checkFence, encode, now, maxAttempts: options.maxPutAttempts ?? 10 });
    const coordinator = options.coordinator ?? new LocalCoordinator();
    const forget = (key: string): void => known.forget(key);
    const single = (ctx: CallContext, write: TxnWrite, guard: LockGuardInput | undefined): Promise<CommitResult> =>
      commitSingle(this.writer, now, ctx, write, guard);
    this.commits = new CommitRunner({ store, reader: this.reader, coordinator, intents, requests, recovery: this.recovery, hooks, checkFence, encode, forget, single, now, timeoutMs: options.txnTimeoutMs });
  }

  /** One document; NOT_FOUND DOCUMENT_NOT_FOUND when absent. */
  async get(ctx: CallContext, collection: string, id: string): Promise<StoredDocument> {
    validateCollection(collection);
    validateId(id);
    const doc = await this.read(collection, id, ctx.signal);
    if (doc === undefined) throw notFound(collection, id);
    return doc;
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
      const document = await this.read(collection, id, signal);
      return document === undefined ? { id } : { id, document };
    };
    yield* orderedMap(ids, this.batchConcurrency, fetchOne, ctx.signal);
  }

  /** Upsert (a CAS read-modify-write loop), or create-only. */
  async put(ctx: CallContext, input: PutInput): Promise<StoredDocument> {
    const { collection, id, data, lockGuard } = input;
    this.validateWrite(collection, id, data);
    if (input.createOnly === true) return this.writer.create(ctx, collection, id, data, lockGuard);
    return this.writer.upsert(ctx, collection, id, data, lockGuard);
  }

  /** Replaces the document only when its etag is still `input.etag`. */
  async putIfMatch(ctx: CallContext, input: PutIfMatchInput): Promise<StoredDocument> {
    this.validateWrite(input.collection, input.id, input.data);
    if (typeof input.etag !== 'string' || input.etag === '') throw invalid('INVALID_ARGUMENT', 'etag', 'etag is required');
    return this.writer.putIfMatch(ctx, input);
  }

  /** A new document; the id is a UUIDv7 when absent or empty. */
  async create(ctx: CallContext, input: CreateInput): Promise<StoredDocument> {
    const id = input.id === undefined || input.id === '' ? this.newId() : input.id;
    this.validateWrite(input.collection, id, input.data);
    return this.writer.create(ctx, input.collection, id, input.data);
  }

  /** Deletes (idempotently, or only the version with `input.etag`). */
  async delete(ctx: CallContext, input: DeleteInput): Promise<boolean> {
    const { collection, id, etag } = input;
    validateCollection(collection);
    validateExistingId(id); // documents stored under ids that are refused today stay deletable
    return this.writer.delete(ctx, collection, id, etag === undefined || etag === '' ? undefined : etag, input.lockGuard);
  }

  /** Whether the document exists, with its etag when it does (as committed: transactions are resolved). */
  async exists(ctx: CallContext, collection: string, id: string): Promise<{ exists: boolean; etag?: string }> {
    validateCollection(collection);
    validateId(id);
    const state = await this.reader.read(collection, id, ctx.signal);
    return state === undefined ? { exists: false } : { exists: true, etag: state.etag };
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
      for (const id of ids) documents.push({ collection, id });
    } else {
      const read = (id: string, signal: AbortSignal): Promise<StoredDocument | undefined> => this.read(collection, id, signal);
      for await (const doc of orderedMap(ids, this.batchConcurrency, read, ctx.signal)) {
        if (doc !== undefined) documents.push(doc); // deleted since the listing: skipped
      }
    }
    const lastKey = page.keys[page.keys.length - 1];
    const nextPageToken =
      page.isTruncated && lastKey !== undefined ? this.tokens.encode(shape, lastKey.slice(base.length)) : '';
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
  batchDelete(ctx: CallContext, collection: string, items: readonly { readonly id: string; readonly etag?: string }[]): Promise<BatchWriteOutcome[]> {
    return this.batches.delete(ctx, collection, items);
  }

  /** Up to 100 writes, all-or-nothing (engine/txn/commit-runner.ts). */
  commit(ctx: CallContext, input: CommitInput): Promise<CommitResult> {
    return this.commits.commit(ctx, input);
  }

  /**
   * Finishes every transaction whose server is gone (committed: forward;
   * pending past expiry: back) and drops expired request records. Run at
   * start-up and periodically; counts the outcomes.
   */
  recoverTransactions(signal?: AbortSignal): Promise<Record<RecoverOutcome, number>> {
    return this.recovery.sweep(signal);
  }

  private async read(collection: string, id: string, signal: AbortSignal): Promise<StoredDocument | undefined> {
    const state = await this.reader.read(collection, id, signal);
    return state === undefined ? undefined : toDocument(collection, id, state.env.data, state.etag, state.env.meta);
  }

  /** Runs the fence check of a guarded write; refuses guards when no checker is configured. */
  private async checkFence(guard: LockGuardInput, signal: AbortSignal): Promise<void> {
    if (this.fences === undefined) {
      throw invalid('INVALID_ARGUMENT', 'lock_guard', 'this server does not check lock guards');
    }
    await this.fences.check(guard, signal);
  }

  private validateWrite(collection: string, id: string, data: unknown): void {
    validateCollection(collection);
    validateId(id);
    checkDocumentData(data, 'data');
  }

  private encode(envelope: Envelope): Uint8Array {
    const body = encodeEnvelope(envelope);
    if (body.byteLength > this.maxDocumentBytes) {
      throw new DbError(
        'invalid',
        'DOCUMENT_TOO_LARGE',
        `document is ${body.byteLength} bytes encoded; the limit is ${this.maxDocumentBytes}`,
        {
          field: 'data',
          metadata: { field: 'data', sizeBytes: String(body.byteLength), limitBytes: String(this.maxDocumentBytes) },
        },
      );
    }
    return body;
  }
}

function resolvePageSize(pageSize: number | undefined): number {
  if (pageSize === undefined || pageSize === 0) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw invalid('INVALID_ARGUMENT', 'page_size', 'page_size must be a non-negative integer');
  }
  return Math.min(pageSize, MAX_PAGE_SIZE);
}
