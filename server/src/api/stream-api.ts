import type { StoredDocument } from '../model/document.js';
import type { CallContext } from './call-context.js';

/** What a watch follows (StreamService.Watch, validated by the RPC layer's conversion). */
export interface WatchInput {
  readonly collection: string;
  /** Only ids with this prefix; not with ids. */
  readonly idPrefix?: string;
  /** Only these ids; not with idPrefix. */
  readonly ids?: readonly string[];
  /** Changes after this revision; 0: from now. */
  readonly afterRevision: number;
  /** Idle time before a progress item, in ms. */
  readonly progressIntervalMs: number;
  /** Attach to each change the document at its previous revision (from the retained history). */
  readonly includePrevious?: boolean;
  /** First the current documents (snapshot items), then the changes after them, then snapshot-complete; afterRevision must be 0. */
  readonly initialSnapshot?: boolean;
}

/** One document change of a WatchItem. */
export interface WatchChange {
  readonly type: 'put' | 'delete' | 'expire';
  readonly id: string;
  /** The document as written (put only). */
  readonly document?: StoredDocument;
  readonly revision: number;
  readonly previousRevision: number;
  /** With includePrevious: the document at previousRevision (absent when none, or unavailable). */
  readonly previousDocument?: StoredDocument;
  /** With includePrevious: true when the change at previousRevision is no longer retained. */
  readonly previousUnavailable?: boolean;
}

/**
 * One message of a watch: the changes of one revision, progress up to a
 * revision, a page of the initial snapshot (revision: the watermark its
 * listing started from), or the end of the snapshot phase (revision: the one
 * the client's state is now exactly at).
 */
export type WatchItem =
  | {
      readonly kind: 'changes';
      readonly revision: number;
      readonly changes: readonly WatchChange[];
      readonly transactionId?: string;
      readonly commitTime: Date;
    }
  | { readonly kind: 'progress'; readonly revision: number }
  | { readonly kind: 'snapshot'; readonly revision: number; readonly documents: readonly StoredDocument[] }
  | { readonly kind: 'snapshot-complete'; readonly revision: number };

/** The change feed's API (docs/streams.md). Errors are DbErrors. */
export interface StreamApi {
  /**
   * Streams the collection's changes after input.afterRevision in revision
   * order, and progress when caught up or idle; ends only when ctx.signal
   * aborts or with an error (OUT_OF_RANGE REVISION_COMPACTED).
   */
  watch(ctx: CallContext, input: WatchInput): AsyncGenerator<WatchItem, void, undefined>;
  /** The revision a read of `collection` starting now reflects (read_revision); 0 when unknown. */
  readRevision(collection: string): number;
}
