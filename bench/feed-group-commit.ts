/**
 * Group-commit throughput of the local change feed's journal (issue 12), run
 * on demand, not in CI:
 *   npx tsc -p tsconfig.json && node dist/bench/feed-group-commit.js [--dir D] [--callers 64] [--seconds 5]
 *
 * `callers` concurrent writers each loop allocate → resolve (an event of one
 * small put) on one collection of a LocalFeed journaled under a fresh
 * directory in D (default: the OS temp dir), for `seconds` per phase:
 * allocations only, then allocate + resolve pairs. Prints records/s and the
 * mean records per fdatasync (the group size), counted by wrapping
 * FileHandle.datasync.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { LocalFeed } from '../server/src/streams/local/local-feed.js';

/** Counts fdatasync calls of every FileHandle. */
async function countDatasyncs(dir: string): Promise<{ count: () => number }> {
  const probe = await open(join(dir, 'probe'), 'w');
  await probe.close();
  const proto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
  const original = proto.datasync;
  let n = 0;
  proto.datasync = function (this: unknown) {
    n++;
    return original.call(this);
  };
  return { count: () => n };
}

async function phase(feed: LocalFeed, callers: number, seconds: number, resolve: boolean): Promise<{ ops: number; ms: number }> {
  const end = Date.now() + seconds * 1000;
  let ops = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: callers }, async (_, i) => {
      while (Date.now() < end) {
        const r = await feed.allocate('bench', { id: `d${i}`, op: 'put', prevRevision: 0 });
        if (resolve) {
          const change = { id: `d${i}`, op: 'put' as const, revision: r, prevRevision: 0 };
          await feed.resolve('bench', [r], { revision: r, commitTimeMs: Date.now(), changes: [change] });
        }
        ops++;
      }
    }),
  );
  return { ops, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--dir <dir>', 'where the temporary journal goes', tmpdir())
    .option('--callers <n>', 'concurrent writers', '64')
    .option('--seconds <n>', 'seconds per phase', '5')
    .parse()
    .opts<{ dir: string; callers: string; seconds: string }>();
  const root = await mkdtemp(join(opts.dir, 'sb-feed-bench-'));
  const syncs = await countDatasyncs(root);
  const feed = await LocalFeed.open({ dir: join(root, 'feed') });
  try {
    for (const resolve of [false, true]) {
      const before = syncs.count();
      const { ops, ms } = await phase(feed, Number(opts.callers), Number(opts.seconds), resolve);
      const records = resolve ? ops * 2 : ops;
      const fsyncs = syncs.count() - before;
      console.log(
        `${resolve ? 'allocate+resolve' : 'allocate only   '}: ${opts.callers} callers, ${(ops / (ms / 1000)).toFixed(0)} ops/s, ` +
          `${(records / (ms / 1000)).toFixed(0)} records/s, ${fsyncs} fdatasyncs (${(records / fsyncs).toFixed(1)} records each)`,
      );
    }
  } finally {
    await feed.close();
    await rm(root, { recursive: true, force: true });
  }
}

void main();
