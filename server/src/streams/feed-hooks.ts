/**
 * The change feed's side of every document write (docs/adr/0012 §3): a
 * WriteHooks that allocates the write's revision before the storage write
 * (the revision becomes the envelope's seq, and the index hooks inside it
 * use the same number), resolves it as an event after the write landed, or
 * as a hole when it did not. A transaction's revisions in one collection are
 * resolved together, as one event carrying the transaction id.
 *
 * "Help before you overwrite": a writer replacing a version whose revision is
 * still pending (its writer has not resolved it yet, or died) resolves it
 * first from the stored document, so a later overwrite can never erase the
 * only copy of an unpublished change.
 */
import type { Clock } from '../common/clock.js';
import type { Failpoints } from '../common/failpoints.js';
import type { CommittedWrite, PreparedWrite, PrepareOptions, WriteHooks } from '../api/write-hooks.js';
import type { StoredDocument } from '../model/document.js';
import type { JsonObject } from '../model/json.js';
import type { ChangeFeed, ChangedDocument, ChangeOp, FeedChange, FeedEvent } from './change-feed.js';
import { putEventOf, type FinishTransaction, type ReadStored } from './stored-events.js';

/** The little of a logger the feed hooks need (a pino Logger fits). */
export interface FeedLog {
  warn(obj: object, msg: string): void;
}

/** What FeedWriteHooks is built from. */
export interface FeedWriteHooksOptions {
  readonly feed: ChangeFeed;
  /** The index hooks, run inside these with the feed's revision as their seq; undefined: none. */
  readonly inner?: WriteHooks;
  /** Reads a stored document as it is (for help-along). */
  readonly readStored: ReadStored;
  /** Commit times of deletes. */
  readonly clock: Clock;
  readonly log?: FeedLog;
  /** `feed.after-allocate`: a revision is allocated, nothing stored; `feed.after-storage-write`: the write is stored, its revision not yet resolved. */
  readonly failpoints?: Failpoints;
  /** Finishes a transaction whose pending revision a writer meets (so its changes stay one event). */
  readonly finishTransaction?: FinishTransaction;
}

/** A write between prepare and commit/abort, as the feed hooks keep it. */
export interface FeedPreparedWrite extends PreparedWrite {
  readonly collection: string;
  readonly id: string;
  readonly op: ChangeOp;
  readonly prevSeq: number;
  /** What the inner hooks prepared. */
  readonly inner?: PreparedWrite;
}

/** The feed around the index hooks (see the file comment). */
export class FeedWriteHooks implements WriteHooks<FeedPreparedWrite> {
  constructor(private readonly o: FeedWriteHooksOptions) {}

  /** Helps a pending replaced revision along, allocates this write's revision, then prepares the inner hooks with it. */
  async prepare(
    collection: string,
    id: string,
    data: JsonObject | null,
    signal?: AbortSignal,
    opts?: PrepareOptions,
  ): Promise<FeedPreparedWrite> {
    const prevSeq = opts?.prevSeq ?? 0;
    if (prevSeq > 0 && (await this.o.feed.isPending(collection, prevSeq))) await this.help(collection, id, prevSeq, signal);
    const op: ChangeOp = data !== null ? 'put' : opts?.expire === true ? 'expire' : 'delete';
    const seq = await this.o.feed.allocate(collection, {
      id,
      op,
      prevRevision: prevSeq,
      ...(opts?.txid === undefined ? {} : { txid: opts.txid }),
    });
    this.o.failpoints?.hit('feed.after-allocate');
    let inner: PreparedWrite | undefined;
    try {
      inner = await this.o.inner?.prepare(collection, id, data, signal, { prevSeq, seq });
    } catch (e) {
      await this.settle(collection, [seq], null);
      throw e;
    }
    return { seq, collection, id, op, prevSeq, ...(inner === undefined ? {} : { inner }) };
  }

  /** Publishes the landed write (an event of its revision), then applies the inner hooks. Never throws. */
  async commit(p: FeedPreparedWrite, written?: StoredDocument): Promise<void> {
    this.o.failpoints?.hit('feed.after-storage-write');
    const change: FeedChange = {
      id: p.id,
      op: p.op,
      revision: p.seq,
      prevRevision: p.prevSeq,
      ...(written === undefined ? {} : { doc: changedDocument(written) }),
    };
    const commitTimeMs = written?.updateTime.getTime() ?? this.o.clock.now();
    await this.settle(p.collection, [p.seq], { revision: p.seq, commitTimeMs, changes: [change] });
    if (p.inner !== undefined) await this.o.inner!.commit(p.inner, written);
  }

  /** The write did not happen: its revision is a hole. Never throws. */
  async abort(p: FeedPreparedWrite): Promise<void> {
    await this.settle(p.collection, [p.seq], null);
    if (p.inner !== undefined) await this.o.inner!.abort(p.inner);
  }

  /** Publishes a committed transaction: one event per collection, at its smallest revision. Never throws. */
  async applyCommitted(writes: readonly CommittedWrite[]): Promise<void> {
    const byCollection = new Map<string, CommittedWrite[]>();
    for (const w of writes) {
      const group = byCollection.get(w.collection);
      if (group === undefined) byCollection.set(w.collection, [w]);
      else group.push(w);
    }
    await Promise.all(
      [...byCollection].map(async ([collection, group]) => {
        const revisions = group.map((w) => w.seq);
        const first = group[0]!;
        const event: FeedEvent = {
          revision: Math.min(...revisions),
          ...(first.txid === undefined ? {} : { txid: first.txid }),
          commitTimeMs: first.commitTime?.getTime() ?? this.o.clock.now(),
          changes: group.map((w) => ({
            id: w.id,
            op: w.data === null ? 'delete' : 'put',
            revision: w.seq,
            prevRevision: w.prevSeq ?? 0,
            ...(w.document === undefined ? {} : { doc: changedDocument(w.document) }),
          })),
        };
        await this.settle(collection, revisions, event);
      }),
    );
    await this.o.inner?.applyCommitted(writes);
  }

  /** Resolves `prevSeq` from the stored document when it still holds that revision. */
  private async help(collection: string, id: string, prevSeq: number, signal?: AbortSignal): Promise<void> {
    try {
      const event = await putEventOf(this.o.feed, this.o.readStored, collection, id, prevSeq, this.o.finishTransaction, signal);
      if (event !== undefined) await this.o.feed.resolve(collection, [prevSeq], event);
    } catch (err) {
      // The revision stays pending: its writer or the sweeper resolves it (the stall is bounded).
      this.o.log?.warn({ err, collection, id, revision: prevSeq }, 'could not help a pending revision along');
    }
  }

  private async settle(collection: string, revisions: readonly number[], event: FeedEvent | null): Promise<void> {
    try {
      await this.o.feed.resolve(collection, revisions, event);
    } catch (err) {
      this.o.log?.warn({ err, collection, revisions }, 'resolving a feed revision failed; the feed sweeper resolves it');
    }
  }
}

/** The feed's form of a stored document. */
export function changedDocument(doc: StoredDocument): ChangedDocument {
  return {
    etag: doc.etag,
    version: doc.version,
    createTime: doc.createTime.toISOString(),
    updateTime: doc.updateTime.toISOString(),
    ...(doc.expireTime === undefined ? {} : { expireTime: doc.expireTime.toISOString() }),
    data: doc.data,
  };
}
