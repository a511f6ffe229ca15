/**
 * Watch's initial_snapshot and include_previous over any ChangeFeed
 * (docs/adr/0012 §7): FeedWatch uses only the port, so the same cases run
 * against LocalFeed (local-feed.test.ts) and RedisFeed on a real
 * redis-server (redis-feed.test.ts). Documents live in a MemoryCollection
 * whose writes go through the feed under test.
 */
import { systemClock } from '../../server/src/common/clock.js';
import { FeedWatch } from '../../server/src/streams/feed-watch.js';
import { MemoryCollection, WatchClientState, readUntil } from '../../server/src/streams/watch-test-kit.js';
import type { FeedFactory } from './feed-conformance.js';

/** Registers the watch cases for feeds of `factory`. */
export function watchConformance(name: string, factory: FeedFactory): void {
  describe(`${name}: FeedWatch snapshot and previous documents`, () => {
    test('a snapshot with writes during its listing ends at the collection, repeats nothing, then changes carry their previous document', async () => {
      const feed = await factory.open();
      try {
        const docs = new MemoryCollection(feed, factory.fresh());
        for (const id of ['a', 'b', 'c']) await docs.put(id, { v: 0 });
        let wrote = false;
        docs.beforeRead = async (id) => {
          if (id !== 'b' || wrote) return;
          wrote = true;
          await docs.put('a', { v: 1 }); // listed already: sent
          await docs.put('c', { v: 1 });
          await docs.put('c', { v: 2 }); // listed later at v2: both changes already shown
        };
        const watch = new FeedWatch({ feed, clock: systemClock, maxWatchers: 10, snapshots: docs });
        const ctx = { signal: new AbortController().signal };
        const gen = watch.watch(ctx, {
          collection: docs.collection,
          afterRevision: 0,
          progressIntervalMs: 60_000,
          initialSnapshot: true,
          includePrevious: true,
        });
        const client = new WatchClientState();
        const seen = await readUntil(gen, client, (i) => i.kind === 'snapshot-complete');
        expect(client.state).toEqual(new Map([...docs.docs].map(([id, d]) => [id, d.data])));
        const sent = seen.flatMap((i) => (i.kind === 'changes' ? i.changes.map((c) => c.id) : []));
        expect(sent).toEqual(['a']);
        const b0 = docs.docs.get('b')!;
        await docs.put('b', { v: 9 });
        const [item] = (await readUntil(gen, client, (i) => i.kind === 'changes')).filter((i) => i.kind === 'changes');
        expect(item).toMatchObject({
          changes: [{ id: 'b', previousRevision: b0.revision, previousDocument: { etag: b0.etag, data: { v: 0 } } }],
        });
        await gen.return();
      } finally {
        await feed.close();
      }
    });
  });
}
