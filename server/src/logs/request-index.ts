/**
 * The request-id index of logs (docs/adr/0013 §10): request id → where its
 * lines landed (first, count, SHA-256), for the ids appended within the
 * window, plus the sequence up to which the log's chunks have been indexed
 * (`indexedThrough`, the next sequence after the last indexed chunk). It is
 * read and written only under the log's writer mutex. The durable record is
 * the chunk headers; this index is a cache of them that can be rebuilt
 * (log-index-sync.ts). Adapters: LocalRequestIndex (in process, below) and
 * RedisRequestIndex (redis-request-index.ts).
 */
import type { RidRecord } from './chunk-format.js';

/** What a lookup found. */
export interface RidLookup {
  /** The next sequence after the last chunk indexed; undefined when the index is new or was lost. */
  readonly indexedThrough?: number;
  /** The ids found within the window. */
  readonly found: ReadonlyMap<string, RidRecord>;
}

/** The request-id index port. */
export interface RequestIndex {
  /** The records of `ids` (those within the window) and the indexed-through mark of `log`. */
  lookup(log: string, ids: readonly string[], signal?: AbortSignal): Promise<RidLookup>;
  /**
   * Records the ids of one chunk written at `timeMs` and, when given, moves
   * the mark to `indexedThrough`; drops records older than the window.
   */
  record(log: string, rids: ReadonlyMap<string, RidRecord>, timeMs: number, indexedThrough?: number, signal?: AbortSignal): Promise<void>;
  /** Releases connections. */
  close(): Promise<void>;
}

interface LocalLog {
  indexedThrough?: number;
  /** In insertion order, which is time order (up to clock steps): trimming walks from the front. */
  readonly records: Map<string, { readonly rec: RidRecord; readonly timeMs: number }>;
}

/** The in-process index (local coordination: one server). */
export class LocalRequestIndex implements RequestIndex {
  private readonly logs = new Map<string, LocalLog>();

  constructor(
    /** How long a request id is remembered, in ms. */
    private readonly windowMs: number,
    /** The current time in ms (a clock's now). */
    private readonly now: () => number,
  ) {}

  lookup(log: string, ids: readonly string[]): Promise<RidLookup> {
    const state = this.logs.get(log);
    if (state === undefined) return Promise.resolve({ found: new Map() });
    const cutoff = this.now() - this.windowMs;
    const found = new Map<string, RidRecord>();
    for (const id of ids) {
      const r = state.records.get(id);
      if (r !== undefined && r.timeMs >= cutoff) found.set(id, r.rec);
    }
    return Promise.resolve({ ...(state.indexedThrough === undefined ? {} : { indexedThrough: state.indexedThrough }), found });
  }

  record(log: string, rids: ReadonlyMap<string, RidRecord>, timeMs: number, indexedThrough?: number): Promise<void> {
    let state = this.logs.get(log);
    if (state === undefined) this.logs.set(log, (state = { records: new Map() }));
    if (indexedThrough !== undefined) state.indexedThrough = indexedThrough;
    for (const [id, rec] of rids) {
      state.records.delete(id);
      state.records.set(id, { rec, timeMs });
    }
    const cutoff = this.now() - this.windowMs;
    for (const [id, r] of state.records) {
      if (r.timeMs >= cutoff) break;
      state.records.delete(id);
    }
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
