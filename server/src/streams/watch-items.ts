/**
 * The WatchItems of a watch (api/stream-api.ts) built from feed events: the
 * changes a watcher's filter keeps, as documents of the API, with the
 * previous documents attached when asked (feed-previous.ts).
 */
import type { WatchChange, WatchItem } from '../api/stream-api.js';
import type { StoredDocument } from '../model/document.js';
import type { WatchInput } from '../api/stream-api.js';
import type { ChangedDocument, FeedChange, FeedEvent } from './change-feed.js';
import type { PreviousDocuments } from './feed-previous.js';

/** Which changes of an event a watcher sends. */
export type ChangeFilter = (c: FeedChange) => boolean;

/** Matches every change: watchers without a filter share one item per event. */
export const EVERY: ChangeFilter = () => true;

/** The filter of a watch's id_prefix or ids. */
export function changeFilter(input: WatchInput): ChangeFilter {
  if (input.ids !== undefined && input.ids.length > 0) {
    const ids = new Set(input.ids);
    return (c) => ids.has(c.id);
  }
  const prefix = input.idPrefix ?? '';
  return prefix === '' ? EVERY : (c) => c.id.startsWith(prefix);
}

/** The item of an event for unfiltered watchers, built once (the transport may cache its encoding too). */
const shared = new WeakMap<FeedEvent, WatchItem>();

/** The item a watcher without include_previous sends for `event`; undefined when its filter leaves nothing. */
export function itemOf(collection: string, event: FeedEvent, matches: ChangeFilter): WatchItem | undefined {
  if (matches === EVERY) {
    let item = shared.get(event);
    if (item === undefined)
      shared.set(
        event,
        (item = changesItem(
          collection,
          event,
          event.changes.map((c) => watchChange(collection, c)),
        )),
      );
    return item;
  }
  const changes = event.changes.filter(matches);
  return changes.length === 0
    ? undefined
    : changesItem(
        collection,
        event,
        changes.map((c) => watchChange(collection, c)),
      );
}

/** The item of `event` with each change's previous document attached (include_previous); undefined when the filter leaves nothing. */
export async function itemWithPrevious(
  collection: string,
  event: FeedEvent,
  matches: ChangeFilter,
  previous: PreviousDocuments,
): Promise<WatchItem | undefined> {
  previous.remember(collection, event);
  const kept = event.changes.filter(matches);
  if (kept.length === 0) return undefined;
  const changes: WatchChange[] = [];
  for (const c of kept) {
    const base = watchChange(collection, c);
    const found = await previous.lookup(collection, c.prevRevision);
    if (found === 'unavailable') changes.push({ ...base, previousUnavailable: true });
    else if (found.doc === undefined) changes.push(base);
    else changes.push({ ...base, previousDocument: storedDocument(collection, c.id, c.prevRevision, found.doc) });
  }
  return changesItem(collection, event, changes);
}

function changesItem(collection: string, event: FeedEvent, changes: readonly WatchChange[]): WatchItem {
  return {
    kind: 'changes',
    revision: event.revision,
    changes,
    ...(event.txid === undefined ? {} : { transactionId: event.txid }),
    commitTime: new Date(event.commitTimeMs),
  };
}

function watchChange(collection: string, c: FeedChange): WatchChange {
  const base = { type: c.op, id: c.id, revision: c.revision, previousRevision: c.prevRevision };
  return c.doc === undefined ? base : { ...base, document: storedDocument(collection, c.id, c.revision, c.doc) };
}

/** The API document of a feed change's document at `revision`. */
export function storedDocument(collection: string, id: string, revision: number, d: ChangedDocument): StoredDocument {
  return {
    collection,
    id,
    data: d.data,
    etag: d.etag,
    version: d.version,
    createTime: new Date(d.createTime),
    updateTime: new Date(d.updateTime),
    revision,
    ...(d.expireTime === undefined ? {} : { expireTime: new Date(d.expireTime) }),
  };
}
