import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DocumentEngine } from '../engine/document-engine.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { systemClock, systemRandom } from '../common/clock.js';
import type { CallContext } from '../api/call-context.js';
import { LocalFeed } from './local/local-feed.js';
import { FeedWriteHooks } from './feed-hooks.js';
import { storedReader } from './stored-events.js';
import type { ChangeFeed, FeedEvent } from './change-feed.js';

const ctx: CallContext = { signal: new AbortController().signal };

async function setup() {
  const store = new MemoryBlobStore();
  const feed = await LocalFeed.open();
  const hooks = new FeedWriteHooks({ feed, readStored: storedReader(store), clock: systemClock });
  const engine = new DocumentEngine({ store, coordinator: new LocalCoordinator(), clock: systemClock, random: systemRandom, hooks });
  const events: FeedEvent[] = [];
  feed.subscribe('c', (batch) => events.push(...batch));
  return { store, feed, engine, events };
}

describe('FeedWriteHooks around the engine', () => {
  test('every single write is one event at the revision stored in the document, in order', async () => {
    const { engine, events, feed } = await setup();
    const a = await engine.put(ctx, { collection: 'c', id: 'a', data: { n: 1 } });
    const b = await engine.putIfMatch(ctx, { collection: 'c', id: 'a', etag: a.etag, data: { n: 2 } });
    expect(await engine.delete(ctx, { collection: 'c', id: 'a' })).toBe(true);
    expect(events.map((e) => e.changes.map((c) => [c.op, c.id]))).toEqual([[['put', 'a']], [['put', 'a']], [['delete', 'a']]]);
    expect(events[0]!.revision).toBe(a.revision);
    expect(events[1]!.revision).toBe(b.revision);
    expect(events[1]!.changes[0]!.prevRevision).toBe(a.revision);
    expect(events[2]!.changes[0]!.prevRevision).toBe(b.revision);
    expect(events[1]!.changes[0]!.doc).toMatchObject({ etag: b.etag, version: 2, data: { n: 2 } });
    expect(feed.bounds('c').watermark).toBe(events[2]!.revision);
    expect(feed.pending(Infinity)).toEqual([]);
  });

  test('deleteWithRevision answers the revision of the delete event (0 when nothing was deleted)', async () => {
    const { engine, events } = await setup();
    await engine.put(ctx, { collection: 'c', id: 'a', data: {} });
    const deleted = await engine.deleteWithRevision(ctx, { collection: 'c', id: 'a' });
    expect(deleted.deleted).toBe(true);
    expect(deleted.revision).toBe(events[1]!.revision);
    expect(events[1]!.changes[0]).toMatchObject({ op: 'delete', revision: deleted.revision });
    expect(await engine.deleteWithRevision(ctx, { collection: 'c', id: 'a' })).toEqual({ deleted: false, revision: 0 });
  });

  test('a refused write is a hole: nothing published, the watermark moves past it', async () => {
    const { engine, events, feed } = await setup();
    await engine.put(ctx, { collection: 'c', id: 'a', data: {} });
    await expect(engine.putIfMatch(ctx, { collection: 'c', id: 'a', etag: 'stale', data: { x: 1 } })).rejects.toMatchObject({
      reason: 'ETAG_MISMATCH',
    });
    await expect(engine.put(ctx, { collection: 'c', id: 'a', data: {}, createOnly: true })).rejects.toMatchObject({
      reason: 'DOCUMENT_ALREADY_EXISTS',
    });
    expect(events).toHaveLength(1);
    expect(feed.pending(Infinity)).toEqual([]);
    expect(feed.bounds('c').watermark).toBe(feed.bounds('c').current);
  });

  test("a transaction's changes in one collection are one event at its smallest revision, with its id", async () => {
    const { engine, events } = await setup();
    await engine.put(ctx, { collection: 'c', id: 'gone', data: {} });
    const r = await engine.commit(ctx, {
      writes: [
        { collection: 'c', id: 'x', op: 'set', data: { v: 1 } },
        { collection: 'c', id: 'y', op: 'set', data: { v: 2 } },
        { collection: 'c', id: 'gone', op: 'delete' },
      ],
    });
    const tx = events.filter((e) => e.txid !== undefined);
    expect(tx).toHaveLength(1);
    expect(tx[0]!.txid).toBe(r.transactionId);
    expect(tx[0]!.changes.map((c) => [c.op, c.id])).toEqual([
      ['put', 'x'],
      ['put', 'y'],
      ['delete', 'gone'],
    ]);
    expect(tx[0]!.revision).toBe(Math.min(...tx[0]!.changes.map((c) => c.revision)));
    const x = await engine.get(ctx, 'c', 'x');
    expect(tx[0]!.changes[0]!.revision).toBe(x.revision);
    expect(tx[0]!.changes[0]!.doc?.etag).toBe(x.etag);
  });

  test('help-along: overwriting a version whose revision is pending publishes that version first', async () => {
    const { engine, events, feed, store } = await setup();
    // A writer stored revision N and has not resolved it (its resolve is held back).
    const slow = new FeedWriteHooks({
      feed: withResolveHeld(feed),
      readStored: storedReader(store),
      clock: systemClock,
    });
    const stalled = new DocumentEngine({
      store,
      coordinator: new LocalCoordinator(),
      clock: systemClock,
      random: systemRandom,
      hooks: slow,
    });
    void stalled.put(ctx, { collection: 'c', id: 'a', data: { first: true } });
    await waitFor(() => feed.pending(Infinity).length === 1 && store.size === 1);
    const [pending] = feed.pending(Infinity);
    await engine.put(ctx, { collection: 'c', id: 'a', data: { second: true } });
    expect(events.map((e) => e.changes[0]!.doc?.data)).toEqual([{ first: true }, { second: true }]);
    expect(events[0]!.revision).toBe(pending!.revision);
  });
});

/** The feed, except that resolve never returns (a writer stuck between its storage write and its publication). */
function withResolveHeld(feed: ChangeFeed): ChangeFeed {
  return {
    allocate: (c, r) => feed.allocate(c, r),
    isPending: (c, r) => feed.isPending(c, r),
    resolve: () => new Promise<boolean>(() => undefined),
    bounds: (c) => feed.bounds(c),
    watermarkHint: (c) => feed.watermarkHint(c),
    read: (c, a, l) => feed.read(c, a, l),
    subscribe: (c, l) => feed.subscribe(c, l),
    pending: (b) => feed.pending(b),
    replaced: (c, i, p, n) => feed.replaced(c, i, p, n),
    close: () => feed.close(),
  };
}

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}
