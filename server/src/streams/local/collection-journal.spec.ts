import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RevisionOutOfRange } from '../change-feed.js';
import { CollectionJournal, segmentFileName } from './collection-journal.js';
import { eventAt, putRef, recordingLog, tempDir, TestClock } from './feed-test-kit.js';
import { LocalFeed } from './local-feed.js';

/** Group commit, segment roll and segment deletion of one collection's journal. */

let tmp: { dir: string; remove: () => Promise<void> };
beforeEach(async () => (tmp = await tempDir()));
afterEach(() => tmp.remove());

async function fileHandlePrototype(): Promise<{ datasync(): Promise<void> }> {
  const h = await open(join(tmp.dir, 'probe'), 'w');
  await h.close();
  return Object.getPrototypeOf(h) as { datasync(): Promise<void> };
}

describe('CollectionJournal group commit', () => {
  it('makes appends of one tick durable with one write and one fdatasync', async () => {
    const proto = await fileHandlePrototype();
    const datasync = jest.spyOn(proto, 'datasync');
    try {
      const journal = CollectionJournal.empty(join(tmp.dir, 'c'), 1 << 20, recordingLog());
      await Promise.all(Array.from({ length: 64 }, (_, i) => journal.append({ a: 100 + i, id: `d${i}`, op: 'put', p: 0, t: 1 })));
      expect(datasync).toHaveBeenCalledTimes(1);
      const lines = (await readFile(join(tmp.dir, 'c', segmentFileName(100)), 'utf8')).trimEnd().split('\n');
      expect(lines.map((l) => (JSON.parse(l) as { a: number }).a)).toEqual(Array.from({ length: 64 }, (_, i) => 100 + i));
      await journal.close();
    } finally {
      datasync.mockRestore();
    }
  });

  it('batches appends made while a flush is running into the next one', async () => {
    const proto = await fileHandlePrototype();
    const datasync = jest.spyOn(proto, 'datasync');
    try {
      const journal = CollectionJournal.empty(join(tmp.dir, 'c'), 1 << 20, recordingLog());
      const first = journal.append({ a: 1, id: 'a', op: 'put', p: 0, t: 1 });
      await new Promise((r) => setImmediate(r)); // the first flush is running
      const rest = Array.from({ length: 10 }, (_, i) => journal.append({ a: 2 + i, id: 'b', op: 'put', p: 0, t: 1 }));
      await Promise.all([first, ...rest]);
      expect(datasync).toHaveBeenCalledTimes(2);
      await journal.close();
    } finally {
      datasync.mockRestore();
    }
  });

  it('fails appends after close', async () => {
    const journal = CollectionJournal.empty(join(tmp.dir, 'c'), 1 << 20, recordingLog());
    await journal.append({ f: 1, c: 1 });
    await journal.close();
    await expect(journal.append({ f: 1, c: 1 })).rejects.toThrow(/closed/);
  });
});

describe('CollectionJournal segments', () => {
  /** Writes `n` single events through a feed whose segments hold about two records. */
  async function writeEvents(feed: LocalFeed, clock: TestClock, n: number): Promise<number[]> {
    const revs: number[] = [];
    for (let i = 0; i < n; i++) {
      const r = await feed.allocate('c', putRef(`d${i}`));
      await feed.resolve('c', [r], eventAt(r, clock.ms));
      revs.push(r);
    }
    return revs;
  }

  it('rolls past segmentBytes into segments named by their first revision', async () => {
    const clock = new TestClock();
    const dir = join(tmp.dir, 'feed');
    const feed = await LocalFeed.open({ dir, clock, segmentBytes: 150 });
    const revs = await writeEvents(feed, clock, 6);
    await feed.close();
    const files = (await readdir(join(dir, 'c'))).sort();
    expect(files.length).toBeGreaterThan(2);
    expect(files[0]).toBe(segmentFileName(revs[0]));
    const again = await LocalFeed.open({ dir, clock });
    expect(again.read('c', again.born, 10).events.map((e) => e.revision)).toEqual(revs);
    await again.close();
  });

  it('deletes the segments whose allocations are resolved and whose events retention dropped; oldest survives a restart', async () => {
    const clock = new TestClock();
    const dir = join(tmp.dir, 'feed');
    const feed = await LocalFeed.open({ dir, clock, segmentBytes: 150, retainCount: 2 });
    const revs = await writeEvents(feed, clock, 10);
    await feed.idle();
    const names = feed.segmentNames('c');
    expect(names[0]).toBeGreaterThan(revs[0]);
    expect((await readdir(join(dir, 'c'))).sort()).toEqual(names.map(segmentFileName));
    const oldest = feed.bounds('c').oldest;
    expect(oldest).toBe(revs[7]);
    await feed.close();

    const again = await LocalFeed.open({ dir, clock, retainCount: 1000 });
    expect(again.bounds('c')).toEqual({ oldest, watermark: revs[9], current: revs[9] });
    expect(() => again.read('c', again.born, 10)).toThrow(RevisionOutOfRange);
    expect(again.read('c', oldest, 10).events.map((e) => e.revision)).toEqual(revs.slice(8));
    await again.close();
  });

  it('keeps a segment while an allocation in it is pending, and deletes it once resolved', async () => {
    const clock = new TestClock();
    const dir = join(tmp.dir, 'feed');
    const feed = await LocalFeed.open({ dir, clock, segmentBytes: 150, retainCount: 1 });
    const stuck = await feed.allocate('c', putRef('stuck'));
    const revs = await writeEvents(feed, clock, 6); // all queued behind `stuck`
    await feed.idle();
    expect(feed.segmentNames('c')[0]).toBe(stuck);
    await feed.resolve('c', [stuck], null);
    await feed.idle();
    expect(feed.segmentNames('c')[0]).toBeGreaterThan(stuck);
    expect(feed.read('c', feed.bounds('c').oldest, 10).events.map((e) => e.revision)).toEqual(revs.slice(5));
    await feed.close();
    const again = await LocalFeed.open({ dir, clock, retainCount: 1 });
    expect(again.pending(Infinity)).toEqual([]);
    expect(again.bounds('c').oldest).toBe(revs[4]);
    await again.close();
  });
});
