import { v7 as uuidv7 } from 'uuid';
import { DbError, invalid } from '../errors/db-error.js';
import { sleep, throwIfAborted } from '../common/abort.js';
import { backoffDelay } from '../common/backoff.js';
import { orderedMap } from '../common/ordered-map.js';
import { ConditionFailedError, type BlobStore, type WriteCondition } from '../storage/blob-store.js';
import type { JsonObject } from '../model/json.js';
import type { ListedDocument, StoredDocument } from '../model/document.js';
import { jsonObjectProblem } from '../model/json-check.js';
import { collectionPrefix, documentKey, validateCollection, validateId, validateIdPrefix } from '../model/keys.js';
import type { CallContext } from './call-context.js';
import { BatchOperations, DEFAULT_MAX_BATCH_WRITE_ITEMS } from './batch-operations.js';
import type {
  BatchExistsItem,
  BatchGetItem,
  BatchWriteOp,
  BatchWriteOutcome,
  CreateInput,
  DeleteInput,
  DocumentApi,
  ListInput,
  ListResult,
  PutIfMatchInput,
  PutInput,
} from './document-api.js';
import { decodeEnvelope, encodeEnvelope, newWriteId, type EnvelopeMeta } from './envelope.js';
import { PageTokenCodec } from './page-token.js';
import type { PreparedWrite, WriteHooks } from './write-hooks.js';
import { VersionCache, type KnownVersion } from './version-cache.js';
import type { LockGuardInput } from './lock-api.js';

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
  /** The largest encoded envelope accepted, in bytes. Default 1 MiB (1048576). */
  readonly maxDocumentBytes?: number;
  /** How many blob reads (BatchGet, List) or items (batch writes, BatchExists) run in parallel. Default 32. */
  readonly batchConcurrency?: number;
  /** The most ids one BatchGet or BatchExists may ask for. Default 1000. */
  readonly maxBatchItems?: number;
  /** The most items of one BatchWrite or BatchDelete. Default 500. */
  readonly maxBatchWriteItems?: number;
  /** HMAC secret of List page tokens; shared by all servers of a deployment. Default: random per process. */
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
   * Checks the lock guards of Put, PutIfMatch and Delete, after the engine
   * read the document and before the conditional write. Default: none, and
   * then a guarded write is refused (invalid INVALID_ARGUMENT lock_guard).
   */
  readonly fences?: FenceCheck;
}

/** The List page size when none is given. */
export const DEFAULT_PAGE_SIZE = 100;
/** The largest List page size; larger requests are served this many. */
export const MAX_PAGE_SIZE = 1000;

/**
 * The document engine: DocumentApi over a BlobStore. Every write is a
 * conditional put (ifNoneMatch to create, ifMatch to update), so versions
 * are exact and no write is lost; see docs/storage-format.md.
 */
export class DocumentEngine implements DocumentApi {
  private readonly store: BlobStore;
  private readonly maxDocumentBytes: number;
  private readonly batchConcurrency: number;
  private readonly maxBatchItems: number;
  private readonly maxPutAttempts: number;
  private readonly now: () => Date;
  private readonly newId: () => string;
  private readonly tokens: PageTokenCodec;
  private readonly hooks?: WriteHooks;
  private readonly known: VersionCache;
  private readonly fences?: FenceCheck;
  private readonly batches: BatchOperations;

  constructor(options: DocumentEngineOptions) {
    this.store = options.store;
    this.maxDocumentBytes = options.maxDocumentBytes ?? 1024 * 1024;
    this.batchConcurrency = options.batchConcurrency ?? 32;
    this.maxBatchItems = options.maxBatchItems ?? 1000;
    this.maxPutAttempts = options.maxPutAttempts ?? 10;
    this.now = options.now ?? (() => new Date());
    this.newId = options.newId ?? (() => uuidv7());
    this.tokens = new PageTokenCodec(options.pageTokenSecret);
    this.hooks = options.hooks;
    this.known = new VersionCache(options.versionCacheEntries);
    this.fences = options.fences;
    const maxWriteItems = options.maxBatchWriteItems ?? DEFAULT_MAX_BATCH_WRITE_ITEMS;
    this.batches = new BatchOperations(this, { concurrency: this.batchConcurrency, maxWriteItems, maxItems: this.maxBatchItems });
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
    const { collection, id, data, lockGuard: guard } = input;
    this.validateWrite(collection, id, data);
    if (input.createOnly === true) return this.createNew(ctx, collection, id, data, guard);
    const key = documentKey(collection, id);
    const known = this.known.get(key);
    if (known !== undefined) {
      // One round trip when this process knows the current version; the store checks that it still is.
      const written = await this.writeOver(ctx, collection, id, data, known, guard);
      if (written !== undefined) return written;
    }
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(ctx.signal);
      const current = await this.store.get(key, ctx.signal);
      const old = current === undefined ? undefined : decodeEnvelope(current.body, key).meta;
      try {
        const condition = current === undefined ? { ifNoneMatch: true as const } : { ifMatch: current.etag };
        return await this.conditionalWrite(ctx, collection, id, data, old, condition, guard);
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
        if (attempt + 1 >= this.maxPutAttempts) throw contention(collection, id, e);
        await sleep(backoffDelay(attempt, { baseMs: 4, maxMs: 100 }), ctx.signal);
      }
    }
  }

  /** Replaces the document only when its etag is still `input.etag`. */
  async putIfMatch(ctx: CallContext, input: PutIfMatchInput): Promise<StoredDocument> {
    const { collection, id, data, etag } = input;
    this.validateWrite(collection, id, data);
    if (typeof etag !== 'string' || etag === '') throw invalid('INVALID_ARGUMENT', 'etag', 'etag is required');
    const key = documentKey(collection, id);
    let old: KnownVersion | EnvelopeMeta | undefined = this.known.get(key);
    if (old?.etag !== etag) {
      // Not the version this process knows: read it (the version number comes from the stored envelope).
      const current = await this.store.get(key, ctx.signal);
      if (current === undefined) throw notFound(collection, id);
      if (current.etag !== etag) throw etagMismatch(collection, id, etag, current.etag);
      old = decodeEnvelope(current.body, key).meta;
    }
    try {
      return await this.conditionalWrite(ctx, collection, id, data, old, { ifMatch: etag }, input.lockGuard);
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
      throw await this.staleEtag(ctx, collection, id, etag, e);
    }
  }

  /** A new document; the id is a UUIDv7 when absent or empty. */
  async create(ctx: CallContext, input: CreateInput): Promise<StoredDocument> {
    const id = input.id === undefined || input.id === '' ? this.newId() : input.id;
    this.validateWrite(input.collection, id, input.data);
    return this.createNew(ctx, input.collection, id, input.data);
  }

  /** Deletes (idempotently, or only the version with `input.etag`). */
  async delete(ctx: CallContext, input: DeleteInput): Promise<boolean> {
    const { collection, id, etag } = input;
    validateCollection(collection);
    validateId(id);
    const expected = etag === undefined || etag === '' ? undefined : etag;
    const guard = input.lockGuard;
    if (guard !== undefined && expected === undefined) return this.guardedDelete(ctx, collection, id, guard);
    try {
      return await this.deleteOnce(ctx, collection, id, expected, guard);
    } catch (e) {
      if (!(e instanceof ConditionFailedError) || expected === undefined) throw e;
      throw await this.staleEtag(ctx, collection, id, expected, e);
    }
  }

  /** Whether the document exists, with its etag when it does. */
  async exists(ctx: CallContext, collection: string, id: string): Promise<{ exists: boolean; etag?: string }> {
    validateCollection(collection);
    validateId(id);
    const meta = await this.store.head(documentKey(collection, id), ctx.signal);
    return meta === undefined ? { exists: false } : { exists: true, etag: meta.etag };
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
    const after = input.pageToken ? this.tokens.decode(shape, input.pageToken) : undefined;
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
      const read = (id: string, signal: AbortSignal): Promise<StoredDocument | undefined> =>
        this.read(collection, id, signal);
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

  private async read(collection: string, id: string, signal: AbortSignal): Promise<StoredDocument | undefined> {
    const key = documentKey(collection, id);
    const blob = await this.store.get(key, signal);
    if (blob === undefined) return undefined;
    const { meta, data } = decodeEnvelope(blob.body, key);
    this.known.remember(key, blob.etag, meta);
    return toDocument(collection, id, data, blob.etag, meta);
  }

  /**
   * One delete (only of version `expected` when given), the index hooks and
   * the lock guard around it. ConditionFailedError propagates.
   */
  private async deleteOnce(
    ctx: CallContext,
    collection: string,
    id: string,
    expected: string | undefined,
    guard: LockGuardInput | undefined,
  ): Promise<boolean> {
    const key = documentKey(collection, id);
    this.known.forget(key);
    const prepared = await this.hooks?.prepare(collection, id, null, ctx.signal);
    let deleted = false;
    try {
      if (guard !== undefined) await this.checkFence(guard, ctx.signal);
      deleted = await this.store.delete(key, expected === undefined ? undefined : { ifMatch: expected }, ctx.signal);
    } finally {
      this.known.forget(key); // a read that overlapped the delete may have remembered the old version
      // Only a delete that removed something is an index change (docs/adr/0005).
      if (prepared !== undefined) await (deleted ? this.hooks!.commit(prepared) : this.hooks!.abort(prepared));
    }
    return deleted;
  }

  /**
   * A guarded delete without an etag: read the etag, check the guard, delete
   * only that version; retried when the document changed in between, so a
   * successor's write made after the check is never deleted.
   */
  private async guardedDelete(ctx: CallContext, collection: string, id: string, guard: LockGuardInput): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(ctx.signal);
      const current = await this.store.head(documentKey(collection, id), ctx.signal);
      if (current === undefined) {
        await this.checkFence(guard, ctx.signal);
        return false;
      }
      try {
        return await this.deleteOnce(ctx, collection, id, current.etag, guard);
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
        if (attempt + 1 >= this.maxPutAttempts) throw contention(collection, id, e);
        await sleep(backoffDelay(attempt, { baseMs: 4, maxMs: 100 }), ctx.signal);
      }
    }
  }

  /** Runs the fence check of a guarded write; refuses guards when no checker is configured. */
  private async checkFence(guard: LockGuardInput, signal: AbortSignal): Promise<void> {
    if (this.fences === undefined) {
      throw invalid('INVALID_ARGUMENT', 'lock_guard', 'this server does not check lock guards');
    }
    await this.fences.check(guard, signal);
  }

  /**
   * Put over the version this process last saw: the conditional write alone.
   * Undefined when that version is no longer current (the caller then reads).
   */
  private async writeOver(
    ctx: CallContext,
    collection: string,
    id: string,
    data: JsonObject,
    known: KnownVersion,
    guard: LockGuardInput | undefined,
  ): Promise<StoredDocument | undefined> {
    try {
      return await this.conditionalWrite(ctx, collection, id, data, known, { ifMatch: known.etag }, guard);
    } catch (e) {
      if (e instanceof ConditionFailedError) return undefined;
      throw e;
    }
  }

  private async createNew(
    ctx: CallContext,
    collection: string,
    id: string,
    data: JsonObject,
    guard?: LockGuardInput,
  ): Promise<StoredDocument> {
    try {
      return await this.conditionalWrite(ctx, collection, id, data, undefined, { ifNoneMatch: true }, guard);
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
      throw new DbError('already_exists', 'DOCUMENT_ALREADY_EXISTS', `document ${collection}/${id} already exists`, {
        metadata: { collection, id },
        cause: e,
      });
    }
  }

  /**
   * One conditional write of `data` over `old` (undefined = creating), with the
   * index hooks around it: prepare after the caller's read, commit when the
   * store accepted the write, abort otherwise. The lock guard, if any, is
   * checked after prepare and before the write (a rejected guard aborts the
   * hooks and writes nothing). ConditionFailedError propagates.
   */
  private async conditionalWrite(
    ctx: CallContext,
    collection: string,
    id: string,
    data: JsonObject,
    old: Pick<EnvelopeMeta, 'version' | 'createTime'> | undefined,
    condition: WriteCondition,
    guard?: LockGuardInput,
  ): Promise<StoredDocument> {
    const key = documentKey(collection, id);
    const prepared: PreparedWrite | undefined = await this.hooks?.prepare(collection, id, data, ctx.signal);
    let written: StoredDocument;
    try {
      if (guard !== undefined) await this.checkFence(guard, ctx.signal);
      const meta = this.nextMeta(old, this.now(), prepared?.seq);
      const { etag } = await this.store.put(key, this.encode(meta, data), condition, ctx.signal);
      this.known.remember(key, etag, meta);
      written = toDocument(collection, id, data, etag, meta);
    } catch (e) {
      this.known.forget(key);
      if (prepared !== undefined) await this.hooks!.abort(prepared);
      throw e;
    }
    if (prepared !== undefined) await this.hooks!.commit(prepared);
    return written;
  }

  /** The error for a failed ifMatch: NOT_FOUND when the document is gone, ETAG_MISMATCH otherwise. */
  private async staleEtag(
    ctx: CallContext,
    collection: string,
    id: string,
    expected: string,
    cause: ConditionFailedError,
  ): Promise<DbError> {
    const now = await this.store.head(documentKey(collection, id), ctx.signal);
    if (now === undefined) return notFound(collection, id);
    return etagMismatch(collection, id, expected, now.etag, cause);
  }

  private validateWrite(collection: string, id: string, data: unknown): void {
    validateCollection(collection);
    validateId(id);
    const problem = jsonObjectProblem(data);
    if (problem !== undefined) throw invalid('INVALID_ARGUMENT', 'data', problem);
  }

  private nextMeta(old: Pick<EnvelopeMeta, 'version' | 'createTime'> | undefined, now: Date, seq?: number): EnvelopeMeta {
    const meta: EnvelopeMeta = {
      version: old === undefined ? 1 : old.version + 1,
      createTime: old === undefined ? now : old.createTime,
      updateTime: now,
      writeId: newWriteId(),
    };
    return seq === undefined ? meta : { ...meta, seq };
  }

  private encode(meta: EnvelopeMeta, data: JsonObject): Uint8Array {
    const body = encodeEnvelope({ meta, data });
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

function toDocument(collection: string, id: string, data: JsonObject, etag: string, meta: EnvelopeMeta): StoredDocument {
  return { collection, id, data, etag, version: meta.version, createTime: meta.createTime, updateTime: meta.updateTime };
}

function contention(collection: string, id: string, cause: unknown): DbError {
  return new DbError('aborted', 'CONCURRENT_MODIFICATION', `too much contention writing ${collection}/${id}`, {
    metadata: { collection, id },
    retryDelayMs: 50,
    cause,
  });
}

function notFound(collection: string, id: string): DbError {
  return new DbError('not_found', 'DOCUMENT_NOT_FOUND', `document ${collection}/${id} not found`, {
    metadata: { collection, id },
  });
}

function etagMismatch(collection: string, id: string, expected: string, current: string, cause?: unknown): DbError {
  return new DbError('aborted', 'ETAG_MISMATCH', `document ${collection}/${id} has changed`, {
    metadata: { collection, id, expectedEtag: expected, currentEtag: current },
    cause,
  });
}
