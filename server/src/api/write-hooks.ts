import type { JsonObject } from '../model/json.js';

/** A write prepared by WriteHooks.prepare: its index sequence number, plus whatever the hooks keep. */
export interface PreparedWrite {
  /** Stored in the envelope; orders this write's index update (docs/adr/0005). */
  readonly seq: number;
}

/**
 * What the document engine calls around every conditional write, so that
 * secondary indexes follow the documents (implemented by index/write-hooks.ts).
 * prepare runs after the engine read the state it replaces and before the
 * write; then exactly one of commit (the write happened) or abort (it did
 * not) runs. commit and abort never throw.
 */
export interface WriteHooks<P extends PreparedWrite = PreparedWrite> {
  /** Reserves unique values and takes a seq; throws DbError UNIQUE_VIOLATION on a conflict. `data` null = delete. */
  prepare(collection: string, id: string, data: JsonObject | null, signal?: AbortSignal): Promise<P>;
  /** Applies the write to the indexes. */
  commit(prepared: P): Promise<void>;
  /** Releases what prepare reserved. */
  abort(prepared: P): Promise<void>;
  /**
   * Applies the index changes of a committed transaction's writes (`data`
   * null = delete), each with the seq its prepare() took (possibly in another
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
}
