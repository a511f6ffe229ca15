/**
 * ChangeFeed.replaced over Redis (docs/adr/0012, "What slice 1 changed"):
 * whether a resolved change of a document replaced a given state, searched
 * in the events queued for release and in the stream from a revision on (a
 * change that replaced the same state was allocated within one write's
 * duration of the pending delete asking).
 */
import type { FeedEvent } from '../change-feed.js';
import { decodeEntry, entryId } from './redis-feed-layout.js';

/** Stream entries fetched per XRANGE page. */
const PAGE = 1000;

/** Where replacedIn looks: the queued event JSONs, and pages of stream entries from an id. */
export interface ReplacedSources {
  queued(): Promise<string[]>;
  range(fromId: string, count: number): Promise<[string, string[]][]>;
}

/** True when a queued event, or a stream entry at or after `from`, has a change of `id` with `prevRevision`. */
export async function replacedIn(id: string, prevRevision: number, from: number, sources: ReplacedSources): Promise<boolean> {
  const needle = JSON.stringify(id);
  const hit = (event: FeedEvent): boolean => event.changes.some((c) => c.id === id && c.prevRevision === prevRevision);
  for (const json of await sources.queued()) if (json.includes(needle) && hit(JSON.parse(json) as FeedEvent)) return true;
  let start = entryId(from);
  for (;;) {
    const page = await sources.range(start, PAGE);
    for (const [, fields] of page) {
      if (fields.some((f) => f.includes(needle)) && hit(decodeEntry(fields).event)) return true;
    }
    if (page.length < PAGE) return false;
    start = `(${page[page.length - 1]![0]}`;
  }
}
