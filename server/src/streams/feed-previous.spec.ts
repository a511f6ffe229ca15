import { systemClock } from '../common/clock.js';
import type { WatchItem } from '../api/stream-api.js';
import { LocalFeed } from './local/local-feed.js';
import { FeedWatch } from './feed-watch.js';
import { PreviousDocuments } from './feed-previous.js';
import { MemoryCollection } from './watch-test-kit.js';

const ctx = { signal: new AbortController().signal };

async function changesOf(gen: AsyncGenerator<WatchItem>, n: number): Promise<Extract<WatchItem, { kind: 'changes' }>[]> {
  const out: Extract<WatchItem, { kind: 'changes' }>[] = [];
  while (out.length < n) {
    const r = await gen.next();
    if (r.done === true) throw new Error('the watch ended');
    if (r.value.kind === 'changes') out.push(r.value);
  }
  return out;
}

describe('PreviousDocuments', () => {
  test('finds the document at a revision (a single write, or one change of a transaction), and none below the retained history', async () => {
    const feed = await LocalFeed.open({ retainCount: 3 });
    const docs = new MemoryCollection(feed);
    const r1 = await docs.put('a', { v: 1 });
    // A transaction: two revisions, one event at the smaller one.
    const t1 = await feed.allocate('c', { id: 'x', op: 'put', prevRevision: 0, txid: 't' });
    const t2 = await feed.allocate('c', { id: 'y', op: 'put', prevRevision: 0, txid: 't' });
    const doc = (v: number) => ({ etag: `e${v}`, version: 1, createTime: 'x', updateTime: 'x', data: { v } });
    await feed.resolve('c', [t1, t2], {
      revision: t1,
      txid: 't',
      commitTimeMs: 0,
      changes: [
        { id: 'x', op: 'put', revision: t1, prevRevision: 0, doc: doc(10) },
        { id: 'y', op: 'put', revision: t2, prevRevision: 0, doc: doc(20) },
      ],
    });
    const d = await docs.delete('a');
    const fresh = new PreviousDocuments(feed);
    expect(await fresh.lookup('c', t2)).toMatchObject({ doc: { data: { v: 20 } } });
    expect(await fresh.lookup('c', t1)).toMatchObject({ doc: { data: { v: 10 } } });
    expect(await fresh.lookup('c', d)).toEqual({}); // a delete: no document
    expect(await fresh.lookup('c', 0)).toEqual({});
    await docs.put('b', { v: 1 }); // retention (3 events) drops a's put
    expect(await new PreviousDocuments(feed).lookup('c', r1)).toBe('unavailable');
  });

  test('the cache keeps at most its capacity and serves what a watcher already read', async () => {
    const feed = await LocalFeed.open({ retainCount: 1 });
    const docs = new MemoryCollection(feed);
    const cache = new PreviousDocuments(feed, 2);
    const r1 = await docs.put('a', { v: 1 });
    const page = await feed.read('c', r1 - 1, 10);
    cache.remember('c', page.events[0]!);
    await docs.put('b', { v: 1 });
    await docs.put('c', { v: 1 }); // r1 is trimmed from the feed, still cached
    expect(await cache.lookup('c', r1)).toMatchObject({ doc: { data: { v: 1 } } });
    for (const e of (await feed.read('c', feed.bounds('c').oldest, 10)).events) cache.remember('c', e);
    expect(cache.size).toBeLessThanOrEqual(2);
  });
});

describe('FeedWatch include_previous', () => {
  test('each change carries the document at its previous revision; a trimmed one is marked unavailable', async () => {
    const feed = await LocalFeed.open({ retainCount: 7 });
    const docs = new MemoryCollection(feed);
    const watch = new FeedWatch({ feed, clock: systemClock, maxWatchers: 10 });
    const old = await docs.put('gone', { v: 0 });
    for (const id of ['f1', 'f2', 'f3', 'f4', 'f5', 'p', 'q']) await docs.put(id, { v: 0 }); // 8 events: trims 'gone' v0
    const start = feed.bounds('c').watermark;
    const gen = watch.watch(ctx, { collection: 'c', afterRevision: start, progressIntervalMs: 60_000, includePrevious: true });
    const p1 = await docs.put('p', { v: 1 });
    await docs.put('p', { v: 2 });
    await docs.delete('q');
    await docs.put('gone', { v: 1 });
    await docs.put('new', { v: 1 });
    const items = await changesOf(gen, 5);
    const [pv1, pv2, qdel, goneput, created] = items.map((i) => i.changes[0]!);
    expect(pv1).toMatchObject({ id: 'p', previousDocument: { id: 'p', data: { v: 0 }, revision: pv1!.previousRevision } });
    expect(pv2).toMatchObject({ id: 'p', previousRevision: p1, previousDocument: { data: { v: 1 }, revision: p1, etag: `e${p1}` } });
    expect(qdel).toMatchObject({ type: 'delete', previousDocument: { data: { v: 0 } } });
    expect(goneput).toMatchObject({ previousRevision: old, previousUnavailable: true });
    expect(goneput!.previousDocument).toBeUndefined();
    expect(created!.previousRevision).toBe(0);
    expect(created!.previousDocument).toBeUndefined();
    expect(created!.previousUnavailable).toBeUndefined();
    await gen.return();
  });
});
