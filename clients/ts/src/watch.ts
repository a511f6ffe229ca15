/**
 * Watch: a collection's changes as an async iterable that resumes by itself.
 * A WatchStream calls StreamService.Watch, yields one WatchBatch per message
 * (changes or progress), remembers the last revision delivered, and after a
 * disconnect or a retryable error calls Watch again from that revision, with
 * capped exponential backoff and full jitter (never shorter than the
 * server's RetryInfo). It never yields changes at or below a revision already
 * delivered; a progress mark is yielded once per revision, also at the
 * revision it started from (caught up with a read). REVISION_COMPACTED ends it with a RevisionCompactedError; any
 * other non-retryable error ends it too.
 *
 * With initialSnapshot the watch first yields the current documents
 * (kind 'snapshot'), the changes made meanwhile, then one 'snapshotComplete'
 * batch: the state built so far is exactly the collection at its revision.
 * A resume after that continues from the last revision, never asking for the
 * snapshot again; an interruption before it ends the watch with the error
 * (the partial state cannot be continued: watch again).
 */
import { Code, type Client } from '@connectrpc/connect';
import type { JsonObject } from '@bufbuild/protobuf';
import { timestampDate } from '@bufbuild/protobuf/wkt';
import { backoffDelayMs, sleep as defaultSleep, type BackoffParams } from './backoff.js';
import { fromProtoDocument, type StoredDocument } from './document.js';
import { SmarterBaseError, toSmarterBaseError } from './errors.js';
import { ChangeType, type StreamService, type WatchResponse } from './gen/smarterbase/v1/stream_service_pb.js';
import { msToDuration } from './locks.js';
import { DEFAULT_RETRY_POLICY, type CallOptions } from './options.js';

/** Injectable parts of a watch's resume loop (for deterministic tests and logging). */
export interface WatchHooks {
  /** Uniform random number in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Waits ms milliseconds unless the signal aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called before each resume with the consecutive failure count (1 = first), the error (undefined: the stream just ended) and the delay. */
  readonly onResume?: (attempt: number, error: SmarterBaseError | undefined, delayMs: number) => void;
}

/** Options of watch(). The watch has no deadline; stop it with `signal` or by leaving the loop. */
export interface WatchOptions extends Omit<CallOptions, 'timeoutMs'> {
  /** Only documents whose id starts with this prefix (not with ids). */
  readonly idPrefix?: string;
  /** Only these ids, 1 to 1000 (not with idPrefix). */
  readonly ids?: readonly string[];
  /** Changes with a revision greater than this one: a batch's revision or a read's readRevision. Default 0n: from now. */
  readonly afterRevision?: bigint;
  /** Idle time before the server sends a progress batch, 100 ms to 60 s. Default (server): 10 s. */
  readonly progressIntervalMs?: number;
  /** Attach to each change the document before it (WatchChange.previousDocument). */
  readonly includePrevious?: boolean;
  /** First deliver the current documents ('snapshot' batches), then 'snapshotComplete'; afterRevision must be 0n. */
  readonly initialSnapshot?: boolean;
  /** Backoff between resumes; unlimited resumes. Default: DEFAULT_RETRY_POLICY's backoff (50 ms doubling to 2 s). */
  readonly backoff?: Partial<BackoffParams>;
  /** Test and logging hooks. */
  readonly hooks?: WatchHooks;
}

/** What a WatchChange did; an unknown future type is reported as 'unknown' rather than mistaken for a put. */
export type WatchChangeType = 'put' | 'delete' | 'expire' | 'unknown';

/** The WatchChangeType of a generated ChangeType. */
export function changeTypeOf(t: ChangeType): WatchChangeType {
  switch (t) {
    case ChangeType.PUT:
      return 'put';
    case ChangeType.DELETE:
      return 'delete';
    case ChangeType.EXPIRE:
      return 'expire';
    default:
      return 'unknown';
  }
}

/** One document change of a WatchBatch. */
export interface WatchChange<T extends JsonObject = JsonObject> {
  /** 'put' (created or replaced), 'delete', or 'expire' (the document expired and was purged; no document). */
  readonly type: WatchChangeType;
  /** The document id. */
  readonly id: string;
  /** The document as written (put); undefined for a delete or an expire. */
  readonly document: StoredDocument<T> | undefined;
  /** The revision of this change. */
  readonly revision: bigint;
  /** The document's revision before this change; 0n when it did not exist. */
  readonly previousRevision: bigint;
  /** With includePrevious: the document at previousRevision; undefined when none or unavailable. */
  readonly previousDocument: StoredDocument<T> | undefined;
  /** With includePrevious: true when the change at previousRevision is no longer retained by the server. */
  readonly previousUnavailable: boolean;
}

/** What a WatchBatch carries. */
export type WatchBatchKind = 'changes' | 'progress' | 'snapshot' | 'snapshotComplete';

/**
 * One message of a watch: the changes of one write or transaction, a
 * progress mark (progress: true, no changes), a page of the initial snapshot
 * (documents), or the snapshot's end.
 */
export interface WatchBatch<T extends JsonObject = JsonObject> {
  /** What this batch carries. */
  readonly kind: WatchBatchKind;
  /**
   * Changes: this batch's revision. Progress: every change up to this revision has been delivered.
   * Snapshot: the revision its listing started from. SnapshotComplete: the revision the state is now exactly at.
   */
  readonly revision: bigint;
  /** True for a progress mark (the watch is caught up; nothing changed up to revision). */
  readonly progress: boolean;
  /** The changes, in the transaction's write order (empty for progress). */
  readonly changes: WatchChange<T>[];
  /** The transaction id for a Commit of two or more writes; "" otherwise. */
  readonly transactionId: string;
  /** When the write committed (server clock); undefined for progress. */
  readonly commitTime: Date | undefined;
  /** A snapshot page's current documents, in id order (empty otherwise). */
  readonly documents: StoredDocument<T>[];
}

/** The Watch request fields a WatchStream sends (afterRevision is replaced on every resume). */
export interface WatchRequestInit {
  readonly collection: string;
  readonly idPrefix: string;
  readonly ids: string[];
  readonly afterRevision: bigint;
  readonly progressInterval: { seconds: bigint; nanos: number } | undefined;
  readonly includePrevious: boolean;
  readonly initialSnapshot: boolean;
}

/** Opens one Watch call, cancelled by `signal`. */
export type OpenWatch = (req: WatchRequestInit, signal: AbortSignal) => ReturnType<Client<typeof StreamService>['watch']>;

/** The request of watch(collection, options). */
export function watchRequest(collection: string, o: WatchOptions | undefined): WatchRequestInit {
  const ms = o?.progressIntervalMs;
  return {
    collection,
    idPrefix: o?.idPrefix ?? '',
    ids: [...(o?.ids ?? [])],
    afterRevision: o?.afterRevision ?? 0n,
    progressInterval: ms === undefined || ms === 0 ? undefined : msToDuration(ms),
    includePrevious: o?.includePrevious ?? false,
    initialSnapshot: o?.initialSnapshot ?? false,
  };
}

/**
 * True when a watch resumes after this error: UNAVAILABLE (shutdown, no
 * server), RESOURCE_EXHAUSTED / WATCH_TOO_SLOW, or a connection lost
 * mid-stream (INTERNAL, CANCELLED or UNKNOWN without ErrorInfo: a
 * SmarterBase server's own errors always carry one).
 */
export function isWatchRetryable(err: SmarterBaseError): boolean {
  if (err.code === Code.Unavailable) return true;
  if (err.code === Code.ResourceExhausted) return err.reason === 'WATCH_TOO_SLOW';
  const lost = err.code === Code.Internal || err.code === Code.Canceled || err.code === Code.Unknown;
  return lost && err.reason === '';
}

/** A plain WatchBatch of a message, or undefined for a message of no known kind. */
export function fromProtoWatchResponse<T extends JsonObject>(m: WatchResponse): WatchBatch<T> | undefined {
  const empty = { progress: false, changes: [], transactionId: '', commitTime: undefined, documents: [] };
  if (m.kind.case === 'progress') return { ...empty, kind: 'progress', revision: m.revision, progress: true };
  if (m.kind.case === 'snapshot') {
    const page = m.kind.value;
    if (page.complete) return { ...empty, kind: 'snapshotComplete', revision: m.revision };
    return { ...empty, kind: 'snapshot', revision: m.revision, documents: page.documents.map((d) => fromProtoDocument<T>(d)) };
  }
  if (m.kind.case !== 'changes') return undefined;
  const b = m.kind.value;
  return {
    kind: 'changes',
    documents: [],
    revision: m.revision,
    progress: false,
    changes: b.events.map((e) => ({
      type: changeTypeOf(e.type),
      id: e.id,
      document: e.document ? fromProtoDocument<T>(e.document) : undefined,
      revision: e.revision,
      previousRevision: e.previousRevision,
      previousDocument: e.previousDocument ? fromProtoDocument<T>(e.previousDocument) : undefined,
      previousUnavailable: e.previousUnavailable,
    })),
    transactionId: b.transactionId,
    commitTime: b.commitTime ? timestampDate(b.commitTime) : undefined,
  };
}

/**
 * The batches of one watch: iterate it once with `for await`. Leaving the
 * loop (or aborting options.signal, which throws CANCELLED) ends the call.
 * `lastRevision` is the revision of the last batch delivered (progress
 * included): watch again from it to continue after the loop ended.
 */
export class WatchStream<T extends JsonObject = JsonObject> implements AsyncIterable<WatchBatch<T>> {
  /** The revision of the last batch delivered; the afterRevision of the next (re)call. */
  lastRevision: bigint;
  /** How many times the watch resumed after an interruption. */
  resumes = 0;
  private started = false;
  private lastWasProgress = false;

  /** Used by SmarterBaseClient.watch(); `open` makes one Watch call. */
  constructor(
    private readonly open: OpenWatch,
    private readonly request: WatchRequestInit,
    private readonly options: WatchOptions = {},
  ) {
    this.lastRevision = request.afterRevision;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<WatchBatch<T>> {
    if (this.started) throw new Error('a WatchStream can be iterated only once; call watch() again');
    this.started = true;
    const stop = new AbortController();
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, stop.signal]) : stop.signal;
    const backoff = { ...DEFAULT_RETRY_POLICY, ...this.options.backoff };
    const hooks = this.options.hooks ?? {};
    let failures = 0;
    // True until the snapshot's end: only then is a revision a resume point.
    let snapshotting = this.request.initialSnapshot;
    try {
      for (;;) {
        let error: SmarterBaseError | undefined;
        try {
          for await (const m of this.open({ ...this.request, initialSnapshot: snapshotting, afterRevision: this.lastRevision }, signal)) {
            const batch = fromProtoWatchResponse<T>(m);
            if (batch === undefined) continue;
            if (batch.kind === 'snapshot') {
              yield batch;
              continue;
            }
            if (batch.kind === 'snapshotComplete') snapshotting = false;
            else if (!this.isNew(batch)) continue;
            this.lastRevision = m.revision;
            this.lastWasProgress = batch.progress;
            failures = 0;
            yield batch;
          }
        } catch (e) {
          error = toSmarterBaseError(e);
        }
        if (signal.aborted) throw cancelled(error, signal);
        if (error !== undefined && !isWatchRetryable(error)) throw error;
        if (snapshotting) throw snapshotCut(error);
        // Retryable, or the stream ended without a status (Watch never ends by itself): resume.
        failures++;
        const jittered = backoffDelayMs(backoff, failures, hooks.random ?? Math.random);
        const delay = Math.max(jittered, error?.retryDelayMs ?? 0);
        hooks.onResume?.(failures, error, delay);
        this.resumes++;
        await (hooks.sleep ?? defaultSleep)(delay, signal).catch(() => {
          throw cancelled(undefined, signal);
        });
      }
    } finally {
      // Leaving the loop early (break, return, throw) cancels the call on the server.
      stop.abort();
    }
  }

  /**
   * Changes above lastRevision are new; anything at or below it is a duplicate
   * (e.g. resent after a resume). A progress mark AT lastRevision is new once:
   * it says the watch caught up there (e.g. at the read's revision it started
   * from), which nothing delivered has said yet.
   */
  private isNew(batch: WatchBatch<T>): boolean {
    if (batch.revision > this.lastRevision) return true;
    return batch.progress && batch.revision === this.lastRevision && !this.lastWasProgress;
  }
}

/** The error a watch ends with when its snapshot was cut before its end: the call's own, or UNAVAILABLE. */
function snapshotCut(error: SmarterBaseError | undefined): SmarterBaseError {
  return (
    error ??
    new SmarterBaseError({ code: Code.Unavailable, message: 'the watch ended before its initial snapshot was complete; watch again' })
  );
}

/** The CANCELLED error a watch ends with when its signal aborts: the call's own, or one made from the abort reason. */
function cancelled(error: SmarterBaseError | undefined, signal: AbortSignal): SmarterBaseError {
  if (error?.code === Code.Canceled) return error;
  return new SmarterBaseError({ code: Code.Canceled, message: 'the watch was cancelled', cause: signal.reason });
}
