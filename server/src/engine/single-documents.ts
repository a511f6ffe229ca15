/**
 * The single-document calls of the DocumentApi (Get, Put, PutIfMatch,
 * Create, Delete, Exists): validation of collection, id and data, then one
 * transaction-aware read (document-reader.ts) or one write
 * (document-writer.ts). BatchWrite, BatchExists and BatchDelete are
 * sequences of these calls (batch-operations.ts).
 */
import { invalid } from '../errors/db-error.js';
import type { StoredDocument } from '../model/document.js';
import { checkDocumentData } from '../model/json-check.js';
import { validateCollection, validateExistingId, validateId } from '../model/keys.js';
import type { CallContext } from '../api/call-context.js';
import type { CreateInput, DeleteInput, DeleteResult, PutIfMatchInput, PutInput } from '../api/document-api.js';
import type { SingleDocumentCalls } from './batch-operations.js';
import type { DocumentReader } from './document-reader.js';
import { notFound, toDocument, type DocumentWriter, type WriteContent } from './document-writer.js';
import type { ExpiryPolicy } from './expiry-policy.js';
import type { ExpirationInput } from '../model/expiration.js';
import type { JsonObject } from '../model/json.js';

/** Single-document reads and writes over one reader and writer. */
export class SingleDocuments implements SingleDocumentCalls {
  /**
   * @param reader transaction-aware reads
   * @param writer conditional writes with index hooks and fence checks
   * @param newId assigns ids to Creates without one
   */
  constructor(
    private readonly reader: DocumentReader,
    private readonly writer: DocumentWriter,
    private readonly newId: () => string,
    private readonly expiry: ExpiryPolicy,
  ) {}

  /** One document; NOT_FOUND DOCUMENT_NOT_FOUND when absent. */
  async get(ctx: CallContext, collection: string, id: string): Promise<StoredDocument> {
    validateCollection(collection);
    validateId(id);
    const doc = await this.read(collection, id, ctx.signal);
    if (doc === undefined) throw notFound(collection, id);
    return doc;
  }

  /** Upsert (a CAS read-modify-write loop), or create-only. */
  async put(ctx: CallContext, input: PutInput): Promise<StoredDocument> {
    const { collection, id, data, lockGuard } = input;
    validateWrite(collection, id, data);
    const content = await this.content(ctx, collection, id, data, input.expiration);
    if (input.createOnly === true) return this.writer.create(ctx, collection, id, content, lockGuard);
    return this.writer.upsert(ctx, collection, id, content, lockGuard);
  }

  /** Replaces the document only when its etag is still `input.etag`. */
  async putIfMatch(ctx: CallContext, input: PutIfMatchInput): Promise<StoredDocument> {
    validateWrite(input.collection, input.id, input.data);
    if (typeof input.etag !== 'string' || input.etag === '') throw invalid('INVALID_ARGUMENT', 'etag', 'etag is required');
    return this.writer.putIfMatch(ctx, input, await this.content(ctx, input.collection, input.id, input.data, input.expiration));
  }

  /** A new document; the id is a new one (UUIDv7 by default) when absent or empty. */
  async create(ctx: CallContext, input: CreateInput): Promise<StoredDocument> {
    const id = input.id === undefined || input.id === '' ? this.newId() : input.id;
    validateWrite(input.collection, id, input.data);
    return this.writer.create(ctx, input.collection, id, await this.content(ctx, input.collection, id, input.data, input.expiration));
  }

  /** Deletes (idempotently, or only the version with `input.etag`). */
  async delete(ctx: CallContext, input: DeleteInput): Promise<boolean> {
    return (await this.deleteWithRevision(ctx, input)).deleted;
  }

  /** Delete, with the revision of the delete (0 when nothing was deleted). */
  async deleteWithRevision(ctx: CallContext, input: DeleteInput): Promise<DeleteResult> {
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

  /** What a write stores: `data` and the expire time its Expiration (or the collection default) resolves to now. */
  private async content(
    ctx: CallContext,
    collection: string,
    id: string,
    data: JsonObject,
    exp: ExpirationInput | undefined,
  ): Promise<WriteContent> {
    if (!this.expiry.mayExpire(collection, exp)) {
      this.expiry.check(exp);
      return { data };
    }
    const expireTime = await this.expiry.resolve(collection, id, exp, ctx.signal);
    return expireTime === undefined ? { data } : { data, expireTime };
  }

  /** The document as committed, in API form; undefined when absent. Collection and id are not validated. */
  async read(collection: string, id: string, signal: AbortSignal): Promise<StoredDocument | undefined> {
    const state = await this.reader.read(collection, id, signal);
    return state === undefined ? undefined : toDocument(collection, id, state.env.data, state.etag, state.env.meta);
  }
}

function validateWrite(collection: string, id: string, data: unknown): void {
  validateCollection(collection);
  validateId(id);
  checkDocumentData(data, 'data');
}
