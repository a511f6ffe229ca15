import { systemClock } from '../common/clock.js';
import type { WatchInput, WatchItem } from '../api/stream-api.js';
import type { FeedEvent } from './change-feed.js';
import { LocalFeed } from './local/local-feed.js';
import { FeedWatch } from './feed-watch.js';

function put(revision: number, id: string, txid?: string): FeedEvent {
  return {
    revision,
    commitTimeMs: Date.now(),
    ...(txid === undefined ? {} : { txid }),
    changes: [
      {
        id,
        op: 'put',
        revision,
        prevRevision: 0,
        doc: { etag: `e${revision}`, version: 1, createTime: 'x', updateTime: 'x', data: { id } },
      },
    ],
  };
}

async function write(feed: LocalFeed, id: string): Promise<number> {
  const r = await feed.allocate('c', { id, op: 'put', prevRevision: 0 });
  await feed.resolve('c', [r], put(r, id));
  return r;
}

function input(after: number, extra: Partial<WatchInput> = {}): WatchInput {
  return { collection: 'c', afterRevision: after, progressIntervalMs: 60_000, ...extra };
}

/** The next item of `gen`, or 'none' when nothing comes within `ms`. */
async function next(gen: AsyncGenerator<WatchItem>, ms = 1000): Promise<WatchItem | 'none'> {
  let timer: NodeJS.Timeout | undefined;
  const none = new Promise<'none'>((r) => (timer = setTimeout(() => r('none'), ms)));
  const got = await Promise.race([gen.next().then((x) => (x.done === true ? ('none' as const) : x.value)), none]);
  clearTimeout(timer);
  return got;
}

function ids(item: WatchItem | 'none'): string[] {
  return item !== 'none' && item.kind === 'changes' ? item.changes.map((c) => c.id) : [];
}

async function setup(options: { retainCount?: number; maxWatchers?: number } = {}) {
  const feed = await LocalFeed.open({ retainCount: options.retainCount ?? 1000 });
  const watch = new FeedWatch({ feed, clock: systemClock, maxWatchers: options.maxWatchers ?? 10 });
  const ctl = new AbortController();
  return { feed, watch, ctl, ctx: { signal: ctl.signal } };
}

describe('FeedWatch', () => {
  test('history after a revision, in order, then progress at the watermark, then live changes', async () => {
    const { feed, watch, ctl, ctx } = await setup();
    const start = feed.bounds('c').watermark;
    const r1 = await write(feed, 'a');
    await write(feed, 'b');
    const gen = watch.watch(ctx, input(start));
    expect(ids(await next(gen))).toEqual(['a']);
    expect(ids(await next(gen))).toEqual(['b']);
    expect(await next(gen)).toEqual({ kind: 'progress', revision: feed.bounds('c').watermark });
    const live = next(gen);
    const r3 = await write(feed, 'c');
    expect(await live).toMatchObject({ kind: 'changes', revision: r3, changes: [{ id: 'c', type: 'put', document: { etag: `e${r3}` } }] });
    ctl.abort();
    expect(await next(gen)).toBe('none');
    expect(watch.watchers).toBe(0);
    // From a middle revision: only what follows it.
    const again = watch.watch({ signal: new AbortController().signal }, input(r1));
    expect(ids(await next(again))).toEqual(['b']);
    await again.return();
  });

  test('a pending revision holds back every later one until it is resolved', async () => {
    const { feed, watch, ctl, ctx } = await setup();
    const gen = watch.watch(ctx, input(0));
    expect(await next(gen)).toMatchObject({ kind: 'progress' });
    const held = await feed.allocate('c', { id: 'slow', op: 'put', prevRevision: 0 });
    await write(feed, 'fast');
    const waiting = gen.next();
    const early = await Promise.race([waiting, new Promise((r) => setTimeout(() => r('none'), 300))]);
    expect(early).toBe('none'); // 'fast' is released, yet held back behind 'slow'
    await feed.resolve('c', [held], put(held, 'slow'));
    const first = await waiting;
    expect(first.done === false ? ids(first.value) : []).toEqual(['slow']);
    expect(ids(await next(gen))).toEqual(['fast']);
    ctl.abort();
  });

  test('ids and id_prefix filter changes; a revision with nothing left sends nothing', async () => {
    const { feed, watch, ctl, ctx } = await setup();
    const start = feed.bounds('c').watermark;
    for (const id of ['user-1', 'order-1', 'user-2', 'x']) await write(feed, id);
    const byPrefix = watch.watch(ctx, input(start, { idPrefix: 'user-' }));
    expect(ids(await next(byPrefix))).toEqual(['user-1']);
    expect(ids(await next(byPrefix))).toEqual(['user-2']);
    expect(await next(byPrefix)).toMatchObject({ kind: 'progress', revision: feed.bounds('c').watermark });
    const byIds = watch.watch(ctx, input(start, { ids: ['x', 'order-1'] }));
    expect(ids(await next(byIds))).toEqual(['order-1']);
    expect(ids(await next(byIds))).toEqual(['x']);
    ctl.abort();
  });

  test('idle: a progress message every progress interval', async () => {
    const { feed, watch, ctl, ctx } = await setup();
    const gen = watch.watch(ctx, input(0, { progressIntervalMs: 100 }));
    const w = feed.bounds('c').watermark;
    expect(await next(gen)).toEqual({ kind: 'progress', revision: w });
    expect(await next(gen, 2000)).toEqual({ kind: 'progress', revision: w });
    ctl.abort();
  });

  test('a start older than the retained history, or newer than the current revision, is REVISION_COMPACTED', async () => {
    const { feed, watch, ctx } = await setup({ retainCount: 2 });
    const start = feed.bounds('c').watermark;
    for (const id of ['a', 'b', 'c', 'd']) await write(feed, id);
    const b = feed.bounds('c');
    const old = watch.watch(ctx, input(start));
    await expect(old.next()).rejects.toMatchObject({
      kind: 'out_of_range',
      reason: 'REVISION_COMPACTED',
      metadata: { collection: 'c', requestedRevision: String(start), oldestRevision: String(b.oldest), currentRevision: String(b.current) },
    });
    await expect(watch.watch(ctx, input(b.current + 1)).next()).rejects.toMatchObject({ reason: 'REVISION_COMPACTED' });
    const fromOldest = watch.watch(ctx, input(b.oldest));
    expect(ids(await next(fromOldest))).toEqual(['c']);
    await fromOldest.return();
  });

  test('SB_MAX_WATCHERS is enforced; ended watches free their slot and their subscription', async () => {
    const { watch, ctl, ctx } = await setup({ maxWatchers: 1 });
    const first = watch.watch(ctx, input(0));
    await next(first);
    await expect(watch.watch(ctx, input(0)).next()).rejects.toMatchObject({ reason: 'SERVER_OVERLOADED', metadata: { limit: '1' } });
    ctl.abort();
    expect(await next(first)).toBe('none');
    expect(watch.watchers).toBe(0);
    const second = watch.watch({ signal: new AbortController().signal }, input(0));
    expect(await next(second)).toMatchObject({ kind: 'progress' });
    await second.return();
    expect(watch.watchers).toBe(0);
  });

  test('close() ends every watch with SHUTTING_DOWN and refuses new ones', async () => {
    const { watch, ctx } = await setup();
    const gen = watch.watch(ctx, input(0));
    await next(gen);
    const ended = gen.next();
    watch.close();
    await expect(ended).rejects.toMatchObject({ kind: 'unavailable', reason: 'SHUTTING_DOWN' });
    await expect(watch.watch(ctx, input(0)).next()).rejects.toMatchObject({ reason: 'SHUTTING_DOWN' });
  });

  test('bad input is INVALID_ARGUMENT naming the field', async () => {
    const { watch, ctx } = await setup();
    await expect(watch.watch(ctx, input(0, { ids: ['a'], idPrefix: 'a' })).next()).rejects.toMatchObject({ field: 'ids' });
    await expect(watch.watch(ctx, input(0, { progressIntervalMs: 10 })).next()).rejects.toMatchObject({ field: 'progress_interval' });
    await expect(watch.watch(ctx, { ...input(0), collection: '' }).next()).rejects.toMatchObject({ reason: 'INVALID_COLLECTION' });
    await expect(watch.watch(ctx, input(0, { ids: Array.from({ length: 1001 }, (_, i) => `i${i}`) })).next()).rejects.toMatchObject({
      field: 'ids',
    });
  });
  test('a settling feed: Watch answers UNAVAILABLE FEED_RECOVERING with a retry delay, reads report 0; afterwards both work', async () => {
    const local = await LocalFeed.open({ retainCount: 1000 });
    let settling = 2500;
    const feed = Object.assign(Object.create(local) as LocalFeed, { settlingMs: () => settling });
    const watch = new FeedWatch({ feed, clock: systemClock, maxWatchers: 10 });
    const r = await write(local, 'a');
    const ctx = { signal: new AbortController().signal };
    expect(watch.readRevision('c')).toBe(0);
    await expect(watch.watch(ctx, input(0)).next()).rejects.toMatchObject({
      kind: 'unavailable',
      reason: 'FEED_RECOVERING',
      metadata: { collection: 'c' },
      retryDelayMs: 2500,
    });
    settling = 0;
    expect(watch.readRevision('c')).toBe(r);
    const gen = watch.watch(ctx, input(0));
    expect(await next(gen)).toMatchObject({ kind: 'progress', revision: r });
    await gen.return(undefined);
  });
});
