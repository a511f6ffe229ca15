/**
 * The single-document write path of the DocumentEngine: every write is a
 * conditional put or delete over the version it read (or the version this
 * process last saw), with the index hooks and the lock guard around it.
 * Documents held by a transaction are settled before they are written over
 * (document-reader.ts), so a write never lands on a staged document. The
 * writer owns the fence check of guarded writes and the encoding (with its
 * size limit); the transaction part uses it through its TxnWriter port.
 */
import { DbError, invalid } from '../errors/db-error.js';
import { throwIfAborted } from '../common/abort.js';
import type { Clock, RandomSource } from '../common/clock.js';
import { backoffDelay } from '../common/backoff.js';
import { ConditionFailedError, type BlobStore, type WriteCondition } from '../storage/blob-store.js';
import type { JsonObject } from '../model/json.js';
import type { StoredDocument } from '../model/document.js';
import type { CallContext } from '../api/call-context.js';
import type { DeleteResult, PutIfMatchInput } from '../api/document-api.js';
import type { DocumentReader } from './document-reader.js';
import { encodeEnvelope, type DocState, type Envelope, type EnvelopeMeta } from '../format/envelope.js';
import { contention, etagMismatch, nextMeta, notFound, toDocument, type OldVersion } from './write-results.js';

export { notFound, toDocument } from './write-results.js';
import type { ExpiryPolicy } from './expiry-policy.js';
import type { FenceCheck, LockGuardInput } from '../api/lock-api.js';
import type { CheckedOp, TxnWriter } from '../txn/txn-ports.js';
import type { PreparedWrite, WriteHooks } from '../api/write-hooks.js';
import type { VersionCache } from './version-cache.js';
import { documentKey } from '../format/bucket-layout.js';
import type { Failpoints } from '../common/failpoints.js';

/** What the writer is built from. */
export interface DocumentWriterOptions {
  readonly store: BlobStore;
  readonly reader: DocumentReader;
  readonly known: VersionCache;
  readonly hooks?: WriteHooks;
  /** Checks the lock guards of writes; undefined: a guarded write is refused (INVALID_ARGUMENT lock_guard). */
  readonly fences?: FenceCheck;
  /** The largest encoded envelope accepted, in bytes (DOCUMENT_TOO_LARGE above). */
  readonly maxDocumentBytes: number;
  /** The clock of createTime / updateTime. */
  readonly clock: Clock;
  /** The jitter of the upsert loop's waits. */
  readonly random: RandomSource;
  readonly maxAttempts: number;
  /**
   * The engine's failpoints (index.before-apply: after the storage write,
   * before the index apply; ttl.before-purge-write: between a purge's read
   * and its delete). Default: none.
   */
  readonly failpoints?: Failpoints;
  /** Expired versions read as absent and are written over (docs/streams.md, "Document expiry (TTL)"). Default: none expire. */
  readonly expiry?: ExpiryPolicy;
}

/** What a write stores: the data and the version's expire time (resolved by ExpiryPolicy), if any. */
export interface WriteContent {
  readonly data: JsonObject;
  readonly expireTime?: Date;
}

/** What a purge of an expired document did: deleted it, or dropped it (absent, rewritten or no longer expired). */
export type PurgeOutcome = 'purged' | 'dropped';

/** Single-document writes (see the file comment). Inputs are validated by the engine. */
export class DocumentWriter implements TxnWriter {
  constructor(private readonly o: DocumentWriterOptions) {}

  /** Runs the fence check of a guarded write; refuses guards when no checker is configured. */
  async checkFence(guard: LockGuardInput, signal: AbortSignal): Promise<void> {
    if (this.o.fences === undefined) {
      throw invalid('INVALID_ARGUMENT', 'lock_guard', 'this server does not check lock guards');
    }
    await this.o.fences.check(guard, signal);
  }

  /** Encodes an envelope; DOCUMENT_TOO_LARGE when it is over maxDocumentBytes. */
  encode(envelope: Envelope): Uint8Array {
    const body = encodeEnvelope(envelope);
    const limit = this.o.maxDocumentBytes;
    if (body.byteLength > limit) {
      throw new DbError('invalid', 'DOCUMENT_TOO_LARGE', `document is ${body.byteLength} bytes encoded; the limit is ${limit}`, {
        field: 'data',
        metadata: { field: 'data', sizeBytes: String(body.byteLength), limitBytes: String(limit) },
      });
    }
    return body;
  }

  /** Forgets the remembered version of `key` (a transaction is about to change it). */
  forget(key: string): void {
    this.o.known.forget(key);
  }

  /** Upsert: a read-modify-write loop of conditional writes. */
  async upsert(ctx: CallContext, collection: string, id: string, data: WriteContent, guard?: LockGuardInput): Promise<StoredDocument> {
    const key = documentKey(collection, id);
    const known = this.o.known.get(key);
    if (known !== undefined && !this.expired(known)) {
      // One round trip when this process knows the current version; the store checks that it still is.
      try {
        return await this.write(ctx, collection, id, data, known, { ifMatch: known.etag }, guard);
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
      }
    }
    return this.retrying(ctx, collection, id, async () => {
      // An expired version is written over (its etag the condition) as if absent: the new one is version 1.
      const cur = await this.o.reader.readForWrite(collection, id, ctx.signal);
      const condition: WriteCondition = cur === undefined ? { ifNoneMatch: true } : { ifMatch: cur.etag };
      return this.write(ctx, collection, id, data, cur?.env.meta, condition, guard);
    });
  }

  /** Compare-and-swap on the etag (an expired version is absent: NOT_FOUND). `data` replaces `input.data`. */
  async putIfMatch(ctx: CallContext, input: PutIfMatchInput, data: WriteContent): Promise<StoredDocument> {
    const { collection, id, etag } = input;
    const key = documentKey(collection, id);
    const known = this.o.known.get(key);
    let old: OldVersion = known;
    if (known?.etag !== etag || this.expired(known)) {
      // Not the version this process knows: read it (the version number comes from the stored envelope).
      const cur = await this.o.reader.readForWrite(collection, id, ctx.signal);
      if (cur === undefined || this.expired(cur.env.meta)) throw notFound(collection, id);
      if (cur.etag !== etag) throw etagMismatch(collection, id, etag, cur.etag);
      old = cur.env.meta;
    }
    try {
      return await this.write(ctx, collection, id, data, old, { ifMatch: etag }, input.lockGuard);
    } catch (e) {
      if (!(e instanceof ConditionFailedError)) throw e;
      throw await this.staleEtag(ctx, collection, id, etag, e);
    }
  }

  /** Create-only: ALREADY_EXISTS when the id is taken (a transaction's placeholder is settled first). */
  async create(ctx: CallContext, collection: string, id: string, data: WriteContent, guard?: LockGuardInput): Promise<StoredDocument> {
    return this.retrying(ctx, collection, id, async () => {
      try {
        return await this.write(ctx, collection, id, data, undefined, { ifNoneMatch: true }, guard);
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
        // Taken, or only reserved by a transaction that may roll back: settle and look.
        const cur = await this.o.reader.readForWrite(collection, id, ctx.signal);
        if (cur === undefined) throw e;
        // Expired: free, written over its etag (a concurrent purge or write makes this attempt fail and retry).
        if (this.expired(cur.env.meta)) return this.write(ctx, collection, id, data, cur.env.meta, { ifMatch: cur.etag }, guard);
        throw new DbError('already_exists', 'DOCUMENT_ALREADY_EXISTS', `document ${collection}/${id} already exists`, {
          metadata: { collection, id },
          cause: e,
        });
      }
    });
  }

  /**
   * Delete: reads the current version (settling a transaction on it), checks
   * `expected` and the guard, and deletes only that version; retried when
   * the document changed in between.
   */
  async delete(
    ctx: CallContext,
    collection: string,
    id: string,
    expected: string | undefined,
    guard?: LockGuardInput,
  ): Promise<DeleteResult> {
    return this.retrying(ctx, collection, id, async () => {
      const cur = await this.liveForWrite(collection, id, ctx.signal);
      if (cur === undefined) {
        if (expected !== undefined) throw notFound(collection, id);
        if (guard !== undefined) await this.checkFence(guard, ctx.signal);
        return { deleted: false, revision: 0 };
      }
      if (expected !== undefined && cur.etag !== expected) throw etagMismatch(collection, id, expected, cur.etag);
      return this.deleteVersion(ctx, collection, id, cur.etag, guard, cur.env.meta.seq);
    });
  }

  /**
   * A one-document transaction (Commit with a single write), which needs no
   * intent: one object is atomic by itself. Reads the current version
   * (settling a transaction on it), lets `check` refuse it (a precondition),
   * then sets, deletes or only checks exactly that version; retried when the
   * document changed in between. Returns the state after: the document, or
   * undefined when it does not exist then.
   */
  async writeChecked(
    ctx: CallContext,
    collection: string,
    id: string,
    op: CheckedOp,
    check: (current: { etag: string } | undefined) => void,
    guard?: LockGuardInput,
  ): Promise<{ etag: string; version: number } | undefined> {
    return this.retrying(ctx, collection, id, async () => {
      const stored = await this.o.reader.readForWrite(collection, id, ctx.signal);
      const cur = stored === undefined || this.expired(stored.env.meta) ? undefined : stored; // expired: absent
      check(cur);
      if (op.kind === 'set') {
        const condition: WriteCondition = stored === undefined ? { ifNoneMatch: true } : { ifMatch: stored.etag };
        return this.write(ctx, collection, id, op, stored?.env.meta, condition, guard);
      }
      if (op.kind === 'delete' && cur !== undefined) {
        if (!(await this.deleteVersion(ctx, collection, id, cur.etag, guard, cur.env.meta.seq)).deleted)
          throw new ConditionFailedError(documentKey(collection, id));
        return undefined;
      }
      if (guard !== undefined) await this.checkFence(guard, ctx.signal);
      return cur === undefined || op.kind === 'delete' ? undefined : { etag: cur.etag, version: cur.env.meta.version };
    });
  }

  /**
   * Purges (collection, id) if it is still expired: reads it; absent, or a
   * version that is not expired → dropped; else deletes exactly that
   * version (If-Match its etag: a rewrite in between wins) through the
   * hooks, as an `expire` change (index entries removed, one EXPIRE event).
   */
  async purgeExpired(ctx: CallContext, collection: string, id: string): Promise<PurgeOutcome> {
    return (await this.purgeIfExpired(ctx, collection, id)) === 'purged' ? 'purged' : 'dropped';
  }

  /** purgeExpired, telling a document found absent (or raced away) from one found live (not expired). */
  private async purgeIfExpired(ctx: CallContext, collection: string, id: string): Promise<'purged' | 'absent' | 'live'> {
    const cur = await this.o.reader.readForWrite(collection, id, ctx.signal);
    if (cur === undefined) return 'absent';
    if (!this.expired(cur.env.meta)) return 'live';
    await this.o.failpoints?.reached('ttl.before-purge-write');
    try {
      return (await this.deleteVersion(ctx, collection, id, cur.etag, undefined, cur.env.meta.seq, true)).deleted ? 'purged' : 'absent';
    } catch (e) {
      if (e instanceof ConditionFailedError) return 'absent'; // rewritten or purged meanwhile: look again
      throw e;
    }
  }

  /** True when the version `meta` describes has expired (this server's clock). */
  private expired(meta: Pick<EnvelopeMeta, 'expireTime'> | undefined): boolean {
    return meta !== undefined && this.o.expiry !== undefined && this.o.expiry.isExpired(meta);
  }

  /** readForWrite, with an expired version read as absent (and put back on the schedule). */
  private async liveForWrite(collection: string, id: string, signal: AbortSignal): Promise<DocState | undefined> {
    const cur = await this.o.reader.readForWrite(collection, id, signal);
    return this.o.expiry === undefined ? cur : this.o.expiry.live(collection, id, cur);
  }

  /** The error for a failed ifMatch: NOT_FOUND when the document is gone, ETAG_MISMATCH otherwise. */
  private async staleEtag(
    ctx: CallContext,
    collection: string,
    id: string,
    expected: string,
    cause: ConditionFailedError,
  ): Promise<DbError> {
    const now = await this.o.reader.read(collection, id, ctx.signal);
    if (now === undefined) return notFound(collection, id);
    return etagMismatch(collection, id, expected, now.etag, cause);
  }

  /** Runs `fn` again (with backoff) while it loses races, up to maxAttempts; then CONCURRENT_MODIFICATION. */
  private async retrying<T>(ctx: CallContext, collection: string, id: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      throwIfAborted(ctx.signal);
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
        if (attempt + 1 >= this.o.maxAttempts) throw contention(collection, id, e);
        await this.o.clock.sleep(backoffDelay(attempt, { baseMs: 4, maxMs: 100, random: () => this.o.random.random() }), ctx.signal);
      }
    }
  }

  /**
   * Deletes version `etag` with the index hooks and guard around it
   * (`expire`: a purge); the revision is the one the hooks took (0 without
   * hooks). ConditionFailedError propagates.
   */
  private async deleteVersion(
    ctx: CallContext,
    collection: string,
    id: string,
    etag: string,
    guard: LockGuardInput | undefined,
    prevSeq: number | undefined,
    expire = false,
  ): Promise<DeleteResult> {
    const key = documentKey(collection, id);
    this.o.known.forget(key);
    const prepared = await this.o.hooks?.prepare(collection, id, null, ctx.signal, {
      prevSeq: prevSeq ?? 0,
      ...(expire ? { expire } : {}),
    });
    let deleted = false;
    try {
      if (guard !== undefined) await this.checkFence(guard, ctx.signal);
      deleted = await this.o.store.delete(key, { ifMatch: etag }, ctx.signal);
    } finally {
      this.o.known.forget(key); // a read that overlapped the delete may have remembered the old version
      // Only a delete that removed something is an index change (docs/adr/0005).
      if (prepared !== undefined) await (deleted ? this.o.hooks!.commit(prepared) : this.o.hooks!.abort(prepared));
    }
    return { deleted, revision: deleted ? (prepared?.seq ?? 0) : 0 };
  }

  /**
   * The hooks' prepare of a write of `data`; a unique value held by an
   * expired document is freed by purging that document, then reserved again.
   * A holder found gone is being purged by someone else (the background
   * purger): its index entry goes with that purge's commit, so the
   * reservation is retried a few times, briefly; a live holder is a conflict.
   */
  private async prepareFreeing(
    ctx: CallContext,
    collection: string,
    id: string,
    data: JsonObject,
    prevSeq: number,
  ): Promise<PreparedWrite | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.o.hooks?.prepare(collection, id, data, ctx.signal, { prevSeq });
      } catch (e) {
        const holder = e instanceof DbError && e.reason === 'UNIQUE_VIOLATION' ? e.metadata?.conflictingId : undefined;
        if (holder === undefined || holder === id || this.o.expiry === undefined || attempt >= 5) throw e;
        const outcome = await this.purgeIfExpired(ctx, collection, holder);
        if (outcome === 'live') throw e;
        if (outcome === 'absent') await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
      }
    }
  }

  /**
   * One conditional write of `data` over `old` (undefined = creating), with the
   * index hooks around it: prepare after the caller's read, commit when the
   * store accepted the write, abort otherwise. The lock guard, if any, is
   * checked after prepare and before the write (a rejected guard aborts the
   * hooks and writes nothing). ConditionFailedError propagates.
   */
  private async write(
    ctx: CallContext,
    collection: string,
    id: string,
    content: WriteContent,
    old: OldVersion,
    condition: WriteCondition,
    guard?: LockGuardInput,
  ): Promise<StoredDocument> {
    const key = documentKey(collection, id);
    const { data, expireTime } = content;
    const prepared = await this.prepareFreeing(ctx, collection, id, data, old?.seq ?? 0);
    let written: StoredDocument;
    try {
      if (guard !== undefined) await this.checkFence(guard, ctx.signal);
      const now = this.o.clock.date();
      const meta = nextMeta(this.expired(old) ? undefined : old, now, prepared?.seq, expireTime);
      const { etag } = await this.o.store.put(key, this.encode({ meta, data }), condition, ctx.signal);
      this.o.known.remember(key, etag, meta);
      this.o.expiry?.noteExpiring(collection, id, expireTime);
      written = toDocument(collection, id, data, etag, meta);
    } catch (e) {
      this.o.known.forget(key);
      if (prepared !== undefined) await this.o.hooks!.abort(prepared);
      throw e;
    }
    if (prepared !== undefined) {
      this.o.failpoints?.hit('index.before-apply');
      await this.o.hooks!.commit(prepared, written);
    }
    return written;
  }
}
