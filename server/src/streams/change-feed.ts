/**
 * The change feed's port (docs/streams.md, docs/adr/0012): per collection, a
 * revision counter, the revisions allocated but not yet resolved (pending),
 * and the released history watchers read. A writer allocates a revision
 * before its storage write, stores it in the envelope, and resolves it after:
 * as an event when the write landed, as a hole when it did not. Events are
 * released in revision order once no smaller revision is pending, so no
 * watcher ever sees revision N+1 before N is settled.
 *
 * Implemented in process (streams/local/local-feed.ts, persisted in a journal
 * when given a directory) and over Redis (streams/redis/redis-feed.ts); both
 * pass test/streams/feed-conformance.ts. The engine never sees an implementation.
 */
import type { JsonObject } from '../model/json.js';

/** The document a PUT change wrote. */
export interface ChangedDocument {
  readonly etag: string;
  readonly version: number;
  /** ISO-8601. */
  readonly createTime: string;
  /** ISO-8601. */
  readonly updateTime: string;
  /** ISO-8601: when this version expires; absent when it does not. */
  readonly expireTime?: string;
  /** The document's data; `{}` while sealedData holds it. */
  readonly data: JsonObject;
  /**
   * With encryption at rest: the data sealed (base64 of the v1 envelope,
   * bound to collection, id and revision; streams/sealing-feed.ts), so the
   * feed's storage (Redis, the journal) holds no document content. Set and
   * removed only by SealingFeed; the feeds below store it as they get it.
   */
  readonly sealedData?: string;
}

/** What a change did: wrote a version, deleted the document, or purged it because it expired. */
export type ChangeOp = 'put' | 'delete' | 'expire';

/** One document change of an event. */
export interface FeedChange {
  readonly id: string;
  /** `expire`: the purge of an expired document (docs/streams.md, "Document expiry (TTL)"); a delete otherwise. */
  readonly op: ChangeOp;
  /** The change's own revision: the one stored in the document's envelope (a put) or taken by the delete. */
  readonly revision: number;
  /** The revision of the state this change replaced; 0 when none (or stored without one). */
  readonly prevRevision: number;
  /** The document as written: set for a put, absent for a delete or expire. */
  readonly doc?: ChangedDocument;
}

/**
 * One released entry of a collection's history: one single write, or one
 * transaction's writes in the collection.
 */
export interface FeedEvent {
  /** The entry's revision: the smallest revision of its changes. */
  readonly revision: number;
  /** The transaction's id when the changes come from a Commit of several writes. */
  readonly txid?: string;
  /** When the write committed, ms since the epoch (the writing server's clock). */
  readonly commitTimeMs: number;
  /** The changes, in write order; each revision ≥ `revision`. */
  readonly changes: readonly FeedChange[];
}

/** What an allocated revision is for: kept with it until it is resolved (recovery reads it). */
export interface PendingRef {
  /** The document written. */
  readonly id: string;
  readonly op: ChangeOp;
  /** The revision of the state the writer read and replaces; 0 when none. */
  readonly prevRevision: number;
  /** The transaction whose write this is (its revisions are published together, by its recovery). */
  readonly txid?: string;
}

/** A revision allocated and not yet resolved. */
export interface PendingRevision {
  readonly collection: string;
  readonly revision: number;
  readonly ref: PendingRef;
  /** When it was allocated, ms since the epoch. */
  readonly allocatedAtMs: number;
}

/** The released history of a collection at one moment. */
export interface FeedBounds {
  /** The smallest after_revision a reader may start from (older history is gone). */
  readonly oldest: number;
  /** Every revision ≤ watermark is released (or a hole). */
  readonly watermark: number;
  /** The largest revision allocated so far (≥ watermark). */
  readonly current: number;
}

/** A page of released events. */
export interface FeedPage {
  /** Events with revision > the `after` asked for, in revision order. */
  readonly events: readonly FeedEvent[];
  /** The watermark when the page was read: with fewer events than the limit, everything up to it was returned. */
  readonly watermark: number;
}

/** A value, or a promise of it: the in-process feed answers at once, the Redis feed after a round trip. Callers await. */
export type MaybePromise<T> = T | Promise<T>;

/** Called, in revision order, with each batch of released events and the watermark after them. */
export type FeedListener = (events: readonly FeedEvent[], watermark: number) => void;

/** Thrown by ChangeFeed.read when `after` is outside [oldest, current]. */
export class RevisionOutOfRange extends Error {
  /** `after` outside the bounds it was checked against. */
  constructor(
    readonly collection: string,
    readonly requested: number,
    readonly bounds: FeedBounds,
  ) {
    super(`revision ${requested} of ${collection} is outside the retained history [${bounds.oldest}, ${bounds.current}]`);
    this.name = 'RevisionOutOfRange';
  }
}

/** The change feed of every collection. */
export interface ChangeFeed {
  /**
   * The next revision of `collection` (greater than every earlier one, at
   * least the clock in µs), pending until resolved. Durable before it
   * returns when the feed is persisted.
   */
  allocate(collection: string, ref: PendingRef): Promise<number>;
  /** True while `revision` is allocated and not resolved. */
  isPending(collection: string, revision: number): MaybePromise<boolean>;
  /**
   * Settles pending `revisions` of `collection` together: as `event` (whose
   * revision is the smallest of them) or, with null, as holes that are never
   * published. Revisions no longer pending are ignored: the first resolution
   * wins, and returns true. Releases every event no pending revision holds
   * back (durably, when persisted) before it returns.
   */
  resolve(collection: string, revisions: readonly number[], event: FeedEvent | null): Promise<boolean>;
  /** The collection's history bounds now. */
  bounds(collection: string): MaybePromise<FeedBounds>;
  /**
   * A watermark of `collection` observed recently, at once (read_revision:
   * any watermark observed before a read began is valid for it); 0 when
   * none is known.
   */
  watermarkHint(collection: string): number;
  /**
   * Released events with revision > `after`, at most `limit`. Throws
   * RevisionOutOfRange when `after` < oldest or `after` > current.
   */
  read(collection: string, after: number, limit: number): MaybePromise<FeedPage>;
  /** Calls `listener` with every later release of `collection`; returns the unsubscribe function. */
  subscribe(collection: string, listener: FeedListener): () => void;
  /** Every pending revision allocated at or before `allocatedBeforeMs` (all: Infinity), oldest first. */
  pending(allocatedBeforeMs: number): MaybePromise<readonly PendingRevision[]>;
  /**
   * True when a resolved change of `id` (released, or waiting for release)
   * replaced the state at `prevRevision`: recovery's test of whether a
   * pending delete of that state can have landed. `near` is that pending
   * delete's revision: a change that replaced the same state was allocated
   * within one write's duration of it, so a feed may search only around it.
   */
  replaced(collection: string, id: string, prevRevision: number, near: number): MaybePromise<boolean>;
  /**
   * Milliseconds until the collection's feed has settled after a lost
   * history was replaced (docs/adr/0012 §8: writes in flight across the loss
   * may still land); 0 when it has. Meanwhile Watch answers FEED_RECOVERING
   * and reads report read_revision 0. Absent: the feed never settles (the
   * in-process feed resolves everything at start-up).
   */
  settlingMs?(collection: string): number;
  /** Flushes and closes the journal; later calls fail. */
  close(): Promise<void>;
}
