import type { StoredDocument } from '../model/document.js';
import type { JsonObject } from '../model/json.js';

/** A write prepared by WriteHooks.prepare: its sequence number (revision), plus whatever the hooks keep. */
export interface PreparedWrite {
  /** Stored in the envelope; orders this write's index update (docs/adr/0005) and is its feed revision (docs/adr/0012). */
  readonly seq: number;
}

/** What the engine knows of a write when it prepares it. */
export interface PrepareOptions {
  /** The revision (envelope seq) of the version the write replaces; 0 or absent when none. */
  readonly prevSeq?: number;
  /** A revision already allocated for this write (by the change feed), to use as its seq instead of taking one. */
  readonly seq?: number;
  /** The transaction the write belongs to. */
  readonly txid?: string;
  /** A delete that purges an expired document (docs/streams.md, "Document expiry (TTL)"): the feed records it as `expire`. */
  readonly expire?: boolean;
}

/**
 * What the document engine calls around every conditional write, so that
 * secondary indexes and the change feed follow the documents (implemented by
 * index/write-hooks.ts and streams/feed-hooks.ts).
 * prepare runs after the engine read the state it replaces and before the
 * write; then exactly one of commit (the write happened) or abort (it did
 * not) runs. commit and abort never throw.
 */
export interface WriteHooks<P extends PreparedWrite = PreparedWrite> {
  /** Reserves unique values and takes a seq; throws DbError UNIQUE_VIOLATION on a conflict. `data` null = delete. */
  prepare(collection: string, id: string, data: JsonObject | null, signal?: AbortSignal, opts?: PrepareOptions): Promise<P>;
  /** Applies the write: `written` is the document as stored (undefined for a delete). */
  commit(prepared: P, written?: StoredDocument): Promise<void>;
  /** Releases what prepare reserved. */
  abort(prepared: P): Promise<void>;
  /**
   * Applies the changes of a committed transaction's writes (`data` null =
   * delete), each with the seq its prepare() took (possibly in another
   * process that died since): one atomic step per collection, ignored per
   * document when already applied or superseded. Never throws.
   */
  applyCommitted(writes: readonly CommittedWrite[]): Promise<void>;
}

/** One document write of a committed transaction, for WriteHooks.applyCommitted. */
export interface CommittedWrite {
  readonly collection: string;
  readonly id: string;
  /** The new data; null for a delete. */
  readonly data: JsonObject | null;
  readonly seq: number;
  /** The document as finally stored (a set); absent for a delete. */
  readonly document?: StoredDocument;
  /** The revision of the version the write replaced; 0 or absent when none or unknown. */
  readonly prevSeq?: number;
  /** The transaction's id. */
  readonly txid?: string;
  /** When the transaction committed. */
  readonly commitTime?: Date;
}
