import { systemClock } from '../common/clock.js';
import type { WatchInput, WatchItem } from '../api/stream-api.js';
import { LocalFeed } from './local/local-feed.js';
import { FeedWatch } from './feed-watch.js';
import { SnapshotFilter, snapshotPages } from './feed-snapshot.js';
import { MemoryCollection, WatchClientState, readUntil } from './watch-test-kit.js';

const ctx = { signal: new AbortController().signal };

function input(extra: Partial<WatchInput> = {}): WatchInput {
  return { collection: 'c', afterRevision: 0, progressIntervalMs: 60_000, initialSnapshot: true, ...extra };
}

async function setup() {
  const feed = await LocalFeed.open({ retainCount: 100_000 });
  const docs = new MemoryCollection(feed);
  const watch = new FeedWatch({ feed, clock: systemClock, maxWatchers: 10, snapshots: docs, snapshotPageBytes: 200 });
  return { feed, docs, watch };
}

describe('snapshotPages', () => {
  test('documents in id order, in pages bounded by their data size (at least one each), id_prefix and ids applied', async () => {
    const { docs } = await setup();
    for (const id of ['b', 'a', 'c', 'x-1', 'x-2']) await docs.put(id, { pad: 'p'.repeat(60) });
    await docs.put('big', { pad: 'q'.repeat(500) });
    const pages: string[][] = [];
    for await (const p of snapshotPages(docs, ctx, input(), 150)) pages.push(p.map((d) => d.id));
    expect(pages.flat()).toEqual(['a', 'b', 'big', 'c', 'x-1', 'x-2']);
    expect(pages).toEqual([['a', 'b'], ['big'], ['c', 'x-1'], ['x-2']]);
    const prefixed: string[] = [];
    for await (const p of snapshotPages(docs, ctx, input({ idPrefix: 'x-' }))) prefixed.push(...p.map((d) => d.id));
    expect(prefixed).toEqual(['x-1', 'x-2']);
    const named: string[] = [];
    for await (const p of snapshotPages(docs, ctx, input({ ids: ['c', 'gone', 'a'] }))) named.push(...p.map((d) => d.id));
    expect(named).toEqual(['a', 'c']);
  });
});

describe('SnapshotFilter', () => {
  test('drops a change only for a document listed above the watermark at a revision at least the change’s', () => {
    const f = new SnapshotFilter(100);
    f.add({ id: 'old', revision: 90 });
    f.add({ id: 'new', revision: 120 });
    expect(f.size).toBe(1);
    expect(f.shows({ id: 'old', revision: 101 })).toBe(false);
    expect(f.shows({ id: 'new', revision: 110 })).toBe(true);
    expect(f.shows({ id: 'new', revision: 120 })).toBe(true);
    expect(f.shows({ id: 'new', revision: 121 })).toBe(false);
    expect(f.shows({ id: 'other', revision: 121 })).toBe(false);
  });
});

describe('FeedWatch initial_snapshot', () => {
  test('writes during the listing: the state at complete is the collection, no change repeated, later changes apply', async () => {
    const { docs, watch } = await setup();
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) await docs.put(id, { v: 0 });
    let done = false;
    docs.beforeRead = async (id) => {
      if (id !== 'c' || done) return;
      done = true;
      await docs.put('a', { v: 1 }); // already listed: its change must come
      await docs.put('z', { v: 1 }); // created after the page's keys were listed: its change must come
      await docs.put('e', { v: 1 });
      await docs.put('e', { v: 2 }); // both of e's changes are in the listing
      await docs.delete('f'); // never listed: the delete still comes, and deletes nothing
    };
    const client = new WatchClientState();
    const byIds = watch.watch(ctx, input());
    const seen = await readUntil(byIds, client, (i) => i.kind === 'snapshot-complete');
    expect(client.state).toEqual(new Map([...docs.docs].map(([id, d]) => [id, d.data])));
    const changed = seen.flatMap((i) =>
      i.kind === 'changes' ? i.changes.map((c) => `${c.id}@${String((c.document?.data as { v?: number })?.v ?? 'x')}`) : [],
    );
    // e was read after both its changes: they are in the listing, never sent again.
    expect(changed.sort()).toEqual(['a@1', 'f@x', 'z@1']);
    expect(client.complete).toBeGreaterThanOrEqual(docs.docs.get('z')!.revision);
    await docs.put('b', { v: 9 });
    await readUntil(byIds, client, (i) => i.kind === 'changes');
    expect(client.state.get('b')).toEqual({ v: 9 });
    await byIds.return();
  });

  test('complete waits for a revision the listing may reflect that is still pending, then comes at or after it', async () => {
    const { feed, docs, watch } = await setup();
    await docs.put('a', { v: 0 });
    let held = 0;
    docs.beforeRead = async () => {
      if (held === 0) held = await feed.allocate('c', { id: 'slow', op: 'put', prevRevision: 0 });
    };
    const client = new WatchClientState();
    const gen = watch.watch(ctx, input());
    const first = await gen.next();
    client.apply(first.value as WatchItem);
    expect(first.value).toMatchObject({ kind: 'snapshot' });
    const next = gen.next();
    const early = await Promise.race([next, new Promise((r) => setTimeout(() => r('none'), 300))]);
    expect(early).toBe('none'); // S ≥ the pending revision: no complete before it is resolved
    await feed.resolve('c', [held], null); // a hole: nothing was written
    const done = await next;
    expect(done.value).toMatchObject({ kind: 'snapshot-complete' });
    expect((done.value as WatchItem).revision).toBeGreaterThanOrEqual(held);
    await gen.return();
  });

  test('a writer running through the whole watch: state at complete = the collection at that revision, then every change applies in order', async () => {
    const { feed, docs } = await setup();
    const watch = new FeedWatch({ feed, clock: systemClock, maxWatchers: 10, snapshots: docs, snapshotPageBytes: 64 });
    for (let i = 0; i < 300; i++) await docs.put(`d${String(i).padStart(3, '0')}`, { v: 0 });
    // The writes' log, to rebuild the collection at any revision.
    const initial = new Map([...docs.docs].map(([id, d]) => [id, d.data as unknown]));
    const log: { revision: number; id: string; data?: unknown }[] = [];
    let stop = false;
    let n = 0;
    const writer = (async () => {
      while (!stop) {
        const id = `d${String((n * 37) % 320).padStart(3, '0')}`;
        n++;
        if (docs.docs.has(id) && n % 5 === 0) log.push({ revision: await docs.delete(id), id });
        else {
          const data = { v: n };
          log.push({ revision: await docs.put(id, data), id, data });
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const client = new WatchClientState();
    const gen = watch.watch(ctx, input({ ids: [...initial.keys(), ...Array.from({ length: 20 }, (_, i) => `d${300 + i}`)] }));
    await readUntil(gen, client, (i) => i.kind === 'snapshot-complete');
    const at = (r: number): Map<string, unknown> => {
      const s = new Map(initial);
      for (const w of log) {
        if (w.revision > r) continue;
        if (w.data === undefined) s.delete(w.id);
        else s.set(w.id, w.data);
      }
      return s;
    };
    expect(client.state).toEqual(at(client.complete!));
    const writesDuringSnapshot = log.filter((w) => w.revision <= client.complete!).length;
    const target = log.length + 50;
    while (log.length < target) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await writer;
    const lastRevision = log[log.length - 1]!.revision;
    await readUntil(gen, client, (i) => i.kind === 'changes' && i.revision >= lastRevision);
    expect(client.state).toEqual(at(lastRevision));
    for (let i = 1; i < client.revisions.length; i++) expect(client.revisions[i]!).toBeGreaterThan(client.revisions[i - 1]!);
    expect(writesDuringSnapshot).toBeGreaterThan(0); // the writer really ran during the snapshot
    await gen.return();
  });

  test('a shutdown during the listing ends the watch with SHUTTING_DOWN before any page', async () => {
    const { docs, watch } = await setup();
    await docs.put('a', { v: 0 });
    docs.beforeRead = async () => watch.close();
    await expect(watch.watch(ctx, input()).next()).rejects.toMatchObject({ kind: 'unavailable', reason: 'SHUTTING_DOWN' });
    expect(watch.watchers).toBe(0);
  });

  test('after_revision with a snapshot is INVALID_ARGUMENT; a server without a source refuses snapshots', async () => {
    const { watch, feed } = await setup();
    await expect(watch.watch(ctx, input({ afterRevision: 5 })).next()).rejects.toMatchObject({ field: 'after_revision' });
    const bare = new FeedWatch({ feed, clock: systemClock, maxWatchers: 10 });
    await expect(bare.watch(ctx, input()).next()).rejects.toMatchObject({ kind: 'failed_precondition', field: 'initial_snapshot' });
  });
});
