import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { encodeEnvelope, type EnvelopeMeta } from '../format/envelope.js';
import { documentKey } from '../format/bucket-layout.js';
import { systemClock } from '../common/clock.js';
import type { FeedEvent, PendingRef } from './change-feed.js';
import { LocalFeed } from './local/local-feed.js';
import { FeedSweeper } from './feed-sweeper.js';
import { storedReader } from './stored-events.js';

async function setup(finishTransaction?: (txid: string) => Promise<unknown>) {
  const store = new MemoryBlobStore();
  const feed = await LocalFeed.open();
  const released: FeedEvent[] = [];
  feed.subscribe('c', (events) => released.push(...events));
  const sweeper = new FeedSweeper({
    feed,
    readStored: storedReader(store),
    clock: systemClock,
    pendingAfterMs: 60_000,
    intervalMs: 60_000,
    ...(finishTransaction === undefined ? {} : { finishTransaction }),
  });
  const stored = async (id: string, meta: Partial<EnvelopeMeta> = {}) => {
    const m: EnvelopeMeta = { version: 1, createTime: new Date(0), updateTime: new Date(5), writeId: 'w', ...meta };
    return store.put(documentKey('c', id), encodeEnvelope({ meta: m, data: { id } }), {});
  };
  const alloc = (ref: PendingRef) => feed.allocate('c', ref);
  return { store, feed, released, sweeper, stored, alloc };
}

describe('FeedSweeper: what storage says about a pending revision', () => {
  test('a put whose document carries its revision is published from the document; any other put is a hole', async () => {
    const { released, sweeper, stored, alloc, feed } = await setup();
    const landed = await alloc({ id: 'a', op: 'put', prevRevision: 7 });
    const { etag } = await stored('a', { seq: landed, version: 3 });
    const overwritten = await alloc({ id: 'b', op: 'put', prevRevision: 0 });
    await stored('b', { seq: 1 });
    const never = await alloc({ id: 'z', op: 'put', prevRevision: 0 });
    expect(await sweeper.sweep(0)).toEqual({ events: 1, holes: 2, waiting: 0 });
    expect(released).toEqual([
      {
        revision: landed,
        commitTimeMs: 5,
        changes: [
          {
            id: 'a',
            op: 'put',
            revision: landed,
            prevRevision: 7,
            doc: { etag, version: 3, createTime: new Date(0).toISOString(), updateTime: new Date(5).toISOString(), data: { id: 'a' } },
          },
        ],
      },
    ]);
    expect(feed.pending(Infinity)).toEqual([]);
    expect(feed.bounds('c').watermark).toBeGreaterThanOrEqual(Math.max(overwritten, never));
  });

  test('a delete is published when its document is gone and nothing else replaced its version', async () => {
    const { released, sweeper, alloc } = await setup();
    const d = await alloc({ id: 'a', op: 'delete', prevRevision: 11 });
    expect(await sweeper.sweep(0)).toEqual({ events: 1, holes: 0, waiting: 0 });
    expect(released.map((e) => e.changes)).toEqual([[{ id: 'a', op: 'delete', revision: d, prevRevision: 11 }]]);
  });

  test('a delete is a hole when the document is still there, when another change replaced its version, or when an earlier delete of it is pending', async () => {
    const { released, sweeper, alloc, stored, feed } = await setup();
    await alloc({ id: 'present', op: 'delete', prevRevision: 3 });
    await stored('present', { seq: 3 });
    // 'gone' at version 5 was replaced by r (released), then deleted again by someone: the delete of 5 cannot have landed.
    const r = await feed.allocate('c', { id: 'gone', op: 'put', prevRevision: 5 });
    await feed.allocate('c', { id: 'gone', op: 'delete', prevRevision: 5 });
    await feed.resolve('c', [r], {
      revision: r,
      commitTimeMs: Date.now(),
      changes: [{ id: 'gone', op: 'put', revision: r, prevRevision: 5 }],
    });
    const first = await alloc({ id: 'twice', op: 'delete', prevRevision: 9 });
    await alloc({ id: 'twice', op: 'delete', prevRevision: 9 });
    expect(await sweeper.sweep(0)).toEqual({ events: 1, holes: 3, waiting: 0 });
    const deletes = released.flatMap((e) => e.changes.filter((c) => c.op === 'delete'));
    expect(deletes).toEqual([{ id: 'twice', op: 'delete', revision: first, prevRevision: 9 }]);
  });

  test("a document held by a transaction waits for the transaction's recovery", async () => {
    const { sweeper, alloc, stored, feed } = await setup();
    const r = await alloc({ id: 'a', op: 'put', prevRevision: 0 });
    await stored('a', { txn: 'tx1' });
    expect(await sweeper.sweep(0)).toEqual({ events: 0, holes: 0, waiting: 1 });
    expect(feed.isPending('c', r)).toBe(true);
  });

  test("a transaction's revision is first left to its recovery, which publishes the whole transaction", async () => {
    const finished: string[] = [];
    const ref: { feed?: LocalFeed } = {};
    const { sweeper, alloc, released } = await setup(async (txid) => {
      finished.push(txid);
      const pend = ref.feed!.pending(Infinity);
      await ref.feed!.resolve(
        'c',
        pend.map((p) => p.revision),
        {
          revision: pend[0]!.revision,
          txid,
          commitTimeMs: Date.now(),
          changes: pend.map((p) => ({ id: p.ref.id, op: p.ref.op, revision: p.revision, prevRevision: 0 })),
        },
      );
    });
    ref.feed = (sweeper as unknown as { o: { feed: LocalFeed } }).o.feed;
    await alloc({ id: 'x', op: 'put', prevRevision: 0, txid: 'T' });
    await alloc({ id: 'y', op: 'put', prevRevision: 0, txid: 'T' });
    expect(await sweeper.sweep(0)).toEqual({ events: 0, holes: 0, waiting: 0 });
    expect(finished).toEqual(['T']);
    expect(released).toHaveLength(1);
    expect(released[0]!.txid).toBe('T');
  });

  test('revisions younger than the threshold are left to their writer', async () => {
    const { sweeper, alloc, feed } = await setup();
    const r = await alloc({ id: 'a', op: 'put', prevRevision: 0 });
    expect(await sweeper.sweep()).toEqual({ events: 0, holes: 0, waiting: 0 });
    expect(feed.isPending('c', r)).toBe(true);
  });
});
