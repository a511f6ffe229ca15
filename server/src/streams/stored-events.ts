/**
 * What storage says about a pending revision (docs/adr/0012 §3, the
 * resolution table of this slice): the event to publish for it, or a hole.
 * Used by the writers' help-along (feed-hooks.ts) and the feed sweeper
 * (feed-sweeper.ts), which both decide from the stored document alone.
 *
 * | Pending            | Stored document                                   | Resolution            |
 * |--------------------|---------------------------------------------------|-----------------------|
 * | put N              | envelope with seq N, no transaction marker       | PUT event from it     |
 * | a transaction's N  | (its recovery finishes it, publishing the group)  | done                  |
 * | put or delete N    | held by a transaction (marker)                    | wait (recovery first) |
 * | delete N of P      | absent, nothing else replaced P, first such delete | DELETE event          |
 * | expire N of P      | (as delete N of P)                                | EXPIRE event          |
 * | anything else      |                                                   | hole                  |
 */
import { decodeEnvelope, type Envelope } from '../format/envelope.js';
import { documentKey } from '../format/bucket-layout.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ChangeFeed, FeedEvent, PendingRevision } from './change-feed.js';

/** A stored document as it is (no transaction resolved), or undefined when there is no object. */
export type ReadStored = (collection: string, id: string, signal?: AbortSignal) => Promise<{ etag: string; env: Envelope } | undefined>;

/** A pending revision's fate: an event, a hole (null), 'wait' (a transaction holds the document), or 'done' (resolved meanwhile). */
export type Resolution = FeedEvent | null | 'wait' | 'done';

/**
 * Finishes a transaction that is not live (its recovery rolls a committed
 * one forward, which publishes all its revisions together).
 */
export type FinishTransaction = (txid: string, signal?: AbortSignal) => Promise<unknown>;

/**
 * Lets the transaction of a pending revision publish it as a whole: true
 * when the revision is resolved afterwards (or was not a transaction's).
 */
async function finishedByTransaction(
  feed: ChangeFeed,
  p: PendingRevision,
  finish: FinishTransaction | undefined,
  signal?: AbortSignal,
): Promise<boolean> {
  if (p.ref.txid === undefined || finish === undefined) return false;
  await finish(p.ref.txid, signal);
  return !(await feed.isPending(p.collection, p.revision));
}

/**
 * The PUT event of revision `revision` of `id` when the stored document
 * still holds it (help-along: the writer about to replace it publishes it
 * first); undefined when it does not (or a transaction holds it).
 */
export async function putEventOf(
  feed: ChangeFeed,
  readStored: ReadStored,
  collection: string,
  id: string,
  revision: number,
  finish?: FinishTransaction,
  signal?: AbortSignal,
): Promise<FeedEvent | undefined> {
  const pending = (await feed.pending(Infinity)).find((p) => p.collection === collection && p.revision === revision);
  if (pending === undefined || pending.ref.op !== 'put' || pending.ref.id !== id) return undefined;
  if (await finishedByTransaction(feed, pending, finish, signal)) return undefined;
  const stored = await readStored(collection, id, signal);
  if (stored === undefined || stored.env.meta.txn !== undefined || stored.env.meta.seq !== revision) return undefined;
  return putEvent(pending, stored);
}

/** How the sweeper resolves `p` from storage (see the table in the file comment). */
export async function resolutionOf(
  feed: ChangeFeed,
  readStored: ReadStored,
  p: PendingRevision,
  finish?: FinishTransaction,
  signal?: AbortSignal,
): Promise<Resolution> {
  const { collection, revision, ref } = p;
  if (await finishedByTransaction(feed, p, finish, signal)) return 'done';
  const stored = await readStored(collection, ref.id, signal);
  if (stored !== undefined && stored.env.meta.txn !== undefined) {
    // A transaction's placeholder or staged document: its recovery publishes (or aborts) it first.
    return 'wait';
  }
  if (ref.op === 'put') return stored !== undefined && stored.env.meta.seq === revision ? putEvent(p, stored) : null;
  if (stored !== undefined) return null; // a delete that landed leaves no object (a later create would have read its absence)
  if (ref.prevRevision > 0 && (await feed.replaced(collection, ref.id, ref.prevRevision, revision))) return null;
  // Two pending deletes of one version: at most one landed; the first one stands for it.
  const earlier = (await feed.pending(Infinity)).some(
    (q) =>
      q.collection === collection &&
      q.revision < revision &&
      q.ref.id === ref.id &&
      q.ref.op !== 'put' &&
      q.ref.prevRevision === ref.prevRevision,
  );
  if (earlier) return null;
  return {
    revision,
    commitTimeMs: p.allocatedAtMs,
    changes: [{ id: ref.id, op: ref.op, revision, prevRevision: ref.prevRevision }],
  };
}

function putEvent(p: PendingRevision, stored: { etag: string; env: Envelope }): FeedEvent {
  const { meta, data } = stored.env;
  return {
    revision: p.revision,
    commitTimeMs: meta.updateTime.getTime(),
    changes: [
      {
        id: p.ref.id,
        op: 'put',
        revision: p.revision,
        prevRevision: p.ref.prevRevision,
        doc: {
          etag: stored.etag,
          version: meta.version,
          createTime: meta.createTime.toISOString(),
          updateTime: meta.updateTime.toISOString(),
          ...(meta.expireTime === undefined ? {} : { expireTime: meta.expireTime.toISOString() }),
          data,
        },
      },
    ],
  };
}

/** Reads a document's stored envelope as it is. */
export function storedReader(store: BlobStore): ReadStored {
  return async (collection, id, signal) => {
    const key = documentKey(collection, id);
    const blob = await store.get(key, signal);
    return blob === undefined ? undefined : { etag: blob.etag, env: decodeEnvelope(blob.body, key) };
  };
}
