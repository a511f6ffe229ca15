import { appendFile, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RevisionOutOfRange } from '../change-feed.js';
import { FeedJournal } from './feed-journal.js';
import { eventAt, putRef, recordingLog, tempDir, TestClock } from './feed-test-kit.js';
import { LocalFeed } from './local-feed.js';

/** The feed's persistence: generations (meta.json), restart, torn and corrupt journals. */

let tmp: { dir: string; remove: () => Promise<void> };
let dir: string;
beforeEach(async () => {
  tmp = await tempDir();
  dir = join(tmp.dir, 'feed');
});
afterEach(() => tmp.remove());

async function lastSegment(collection: string): Promise<string> {
  const files = (await readdir(join(dir, collection))).sort();
  return join(dir, collection, files.at(-1)!);
}

describe('FeedJournal generations', () => {
  it('creates the dir with meta.json {born}, and keeps born when reopened', async () => {
    const clock = new TestClock();
    const feed = await LocalFeed.open({ dir, clock });
    expect(JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8'))).toEqual({ born: clock.ms * 1000 });
    await feed.close();
    clock.ms += 60_000;
    const again = await LocalFeed.open({ dir, clock });
    expect(again.born).toBe(feed.born);
    await again.close();
  });

  it('starts a new generation when the dir is deleted: old revisions are refused', async () => {
    const clock = new TestClock();
    const feed = await LocalFeed.open({ dir, clock });
    const r = await feed.allocate('c', putRef('a'));
    await feed.resolve('c', [r], eventAt(r, clock.ms));
    await feed.close();
    await rm(dir, { recursive: true });
    clock.ms += 1000;
    const next = await LocalFeed.open({ dir, clock });
    expect(next.born).toBe(clock.ms * 1000);
    expect(next.bounds('c')).toEqual({ oldest: next.born, watermark: next.born, current: next.born });
    expect(() => next.read('c', r, 10)).toThrow(RevisionOutOfRange);
    expect(await next.allocate('c', putRef('b'))).toBeGreaterThan(next.born);
    await next.close();
  });

  it('refuses a dir holding collections but no meta.json, and a corrupt meta.json', async () => {
    const feed = await LocalFeed.open({ dir });
    const r = await feed.allocate('c', putRef('a'));
    await feed.resolve('c', [r], null);
    await feed.close();
    await writeFile(join(dir, 'meta.json'), '{"born":"x"}');
    await expect(LocalFeed.open({ dir })).rejects.toThrow(/corrupt change feed meta .*meta\.json/);
    await rm(join(dir, 'meta.json'));
    await expect(LocalFeed.open({ dir })).rejects.toThrow(/no meta\.json/);
  });

  it('refuses a collection name that cannot be a folder', async () => {
    const { journal } = await FeedJournal.open({ dir, segmentBytes: 1024, bornNow: () => 1, log: recordingLog() });
    expect(() => journal.append('../x', { f: 1, c: 1 })).toThrow(/cannot be a journal folder/);
    expect(() => journal.append('..', { f: 1, c: 1 })).toThrow(/cannot be a journal folder/);
    await journal.close();
  });
});

describe('LocalFeed restart', () => {
  it('reopens with the same history, pending revisions, bounds and replaced states; the counter never goes back', async () => {
    const clock = new TestClock();
    const feed = await LocalFeed.open({ dir, clock });
    const a = await feed.allocate('c', putRef('a'));
    const b = await feed.allocate('c', putRef('b', 5));
    const c = await feed.allocate('c', putRef('c'));
    clock.ms += 1;
    const d = await feed.allocate('d', { id: 'x', op: 'delete', prevRevision: 2 });
    await feed.resolve('c', [a], eventAt(a, clock.ms, [{ id: 'a', prevRevision: 3 }]));
    await feed.resolve('c', [c], eventAt(c, clock.ms, [{ id: 'c', prevRevision: 4 }])); // queued behind pending b
    const before = { history: feed.read('c', feed.born, 100), bounds: feed.bounds('c'), pending: feed.pending(Infinity) };
    await feed.close();

    clock.ms -= 10_000; // a clock that went back must not take the counter back
    const again = await LocalFeed.open({ dir, clock });
    expect(again.read('c', again.born, 100)).toEqual(before.history);
    expect(again.bounds('c')).toEqual(before.bounds);
    expect(again.pending(Infinity)).toEqual(before.pending);
    expect(before.pending.map((p) => p.revision)).toEqual([b, d]);
    expect(again.replaced('c', 'c', 4)).toBe(true);
    expect(again.replaced('c', 'a', 3)).toBe(true);
    expect(await again.allocate('c', putRef('e'))).toBe(c + 1);

    await again.resolve('c', [b], null); // releases c, queued before the restart
    expect(again.read('c', a, 100).events.map((e) => e.revision)).toEqual([c]);
    await again.close();
  });

  it('re-applies retention at open: count, and age by the clock of the restart', async () => {
    const clock = new TestClock();
    const feed = await LocalFeed.open({ dir, clock });
    const revs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await feed.allocate('c', putRef(`d${i}`));
      await feed.resolve('c', [r], eventAt(r, clock.ms));
      revs.push(r);
      clock.ms += 100;
    }
    await feed.close();
    const byCount = await LocalFeed.open({ dir, clock, retainCount: 2 });
    expect(byCount.bounds('c').oldest).toBe(revs[1]);
    expect(() => byCount.read('c', revs[0], 10)).toThrow(RevisionOutOfRange);
    await byCount.close();
    clock.ms += 1000;
    const byAge = await LocalFeed.open({ dir, clock, retainMs: 1250 }); // now t0+1400: the first two are older
    expect(byAge.read('c', byAge.bounds('c').oldest, 10).events.map((e) => e.revision)).toEqual(revs.slice(2));
    await byAge.close();
  });

  it('ignores a torn last line with a warning', async () => {
    const clock = new TestClock();
    const feed = await LocalFeed.open({ dir, clock });
    const a = await feed.allocate('c', putRef('a'));
    await feed.resolve('c', [a], eventAt(a, clock.ms));
    await feed.close();
    const file = await lastSegment('c');
    await appendFile(file, '{"a":9999999999999999,"id":"torn","op":"pu');
    const log = recordingLog();
    const again = await LocalFeed.open({ dir, clock, log });
    expect(again.read('c', again.born, 10).events.map((e) => e.revision)).toEqual([a]);
    expect(again.pending(Infinity)).toEqual([]);
    expect(log.warnings).toEqual([{ obj: { file, line: 3, bytes: 42 }, msg: 'change feed: ignoring a torn last journal line' }]);
    // The next run writes a new segment, so the torn one is never appended to.
    const b = await again.allocate('c', putRef('b'));
    await again.close();
    const third = await LocalFeed.open({ dir, clock });
    expect(third.pending(Infinity).map((p) => p.revision)).toEqual([b]);
    await third.close();
  });

  it('fails to open on a corrupt line that is not the last, naming the file and line', async () => {
    const clock = new TestClock();
    const feed = await LocalFeed.open({ dir, clock });
    const a = await feed.allocate('c', putRef('a'));
    await feed.resolve('c', [a], null);
    await feed.close();
    const file = await lastSegment('c');
    const lines = (await readFile(file, 'utf8')).split('\n');
    await writeFile(file, [lines[0], '{"x":1}', lines[1], ''].join('\n'));
    await expect(LocalFeed.open({ dir, clock })).rejects.toThrow(`corrupt change feed journal ${file}, line 2: unknown record`);
    await writeFile(file, [lines[0], '{"a":', lines[1], ''].join('\n'));
    await expect(LocalFeed.open({ dir, clock })).rejects.toThrow(`corrupt change feed journal ${file}, line 2:`);
  });

  it('keeps an allocation whose write was cut off before its resolution as pending', async () => {
    const clock = new TestClock();
    const feed = await LocalFeed.open({ dir, clock });
    const a = await feed.allocate('c', putRef('a', 4));
    await feed.close(); // as if the server died after the storage write, before resolving
    const again = await LocalFeed.open({ dir, clock });
    expect(again.isPending('c', a)).toBe(true);
    expect(again.bounds('c').watermark).toBe(a - 1);
    await again.close();
  });
});

describe('LocalFeed when the journal fails', () => {
  async function failNextDatasync(): Promise<jest.SpyInstance> {
    const probe = await open(join(tmp.dir, 'probe'), 'w');
    await probe.close();
    const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    return jest.spyOn(proto, 'datasync').mockRejectedValueOnce(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' }));
  }

  it('fails an allocation it could not make durable and lets later revisions through', async () => {
    const clock = new TestClock();
    const feed = await LocalFeed.open({ dir, clock });
    const spy = await failNextDatasync();
    try {
      await expect(feed.allocate('c', putRef('a'))).rejects.toThrow(/EIO/);
      expect(feed.pending(Infinity)).toEqual([]);
    } finally {
      spy.mockRestore();
    }
    const b = await feed.allocate('c', putRef('b'));
    await feed.resolve('c', [b], eventAt(b, clock.ms));
    expect(feed.read('c', feed.born, 10).events.map((e) => e.revision)).toEqual([b]);
    expect(feed.bounds('c').watermark).toBe(b);
    await feed.close();
    // The failed record did land, in a segment then abandoned; holding nothing anyone waits for, it was deleted.
    expect(await readdir(join(dir, 'c'))).toHaveLength(1);
    const again = await LocalFeed.open({ dir, clock });
    expect(again.pending(Infinity)).toEqual([]);
    expect(again.read('c', again.born, 10).events.map((e) => e.revision)).toEqual([b]);
    await again.close();
  });

  it('keeps a revision pending when its resolution could not be made durable', async () => {
    const clock = new TestClock();
    const feed = await LocalFeed.open({ dir, clock });
    const a = await feed.allocate('c', putRef('a'));
    const spy = await failNextDatasync();
    try {
      await expect(feed.resolve('c', [a], eventAt(a, clock.ms))).rejects.toThrow(/EIO/);
    } finally {
      spy.mockRestore();
    }
    expect(feed.isPending('c', a)).toBe(true);
    expect(feed.read('c', feed.born, 10).events).toEqual([]);
    expect(await feed.resolve('c', [a], eventAt(a, clock.ms))).toBe(true);
    expect(feed.read('c', feed.born, 10).events.map((e) => e.revision)).toEqual([a]);
    await feed.close();
  });
});
