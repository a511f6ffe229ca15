/**
 * The filesystem-listing benchmark (issue 8, defect 9), run on demand, not in CI:
 *   npx tsc -p tsconfig.json && node --expose-gc dist/bench/fs-list-bench.js [--docs 100000] [--repeats 5] [--no-scan]
 *
 * Writes N documents' files under docs/bench/ in a temporary data directory
 * (directly, without fsync: the subject is listing, not writing), then in the
 * same run times, on the same directory:
 *   - before: the listing as it was up to ce64a2c (fs-list-baseline.ts: every
 *     page reads and sorts the whole directory);
 *   - after: FilesystemBlobStore.list (the in-memory listing index): the first
 *     page after open() (which loads the directory once), then warm pages;
 * for a 10-key page at the start, middle and end of the key space, and (unless
 * --no-scan) a full listing in 1,000-key pages as Count and Explain make on a
 * scan. Every "after" page is checked equal to its "before" page. Writes
 * bench/results/fs-list-<timestamp>.json and .md and prints the table.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { ListOptions, ListPage } from '../server/src/storage/blob-store.js';
import { FilesystemBlobStore } from '../server/src/storage/filesystem/filesystem-store.js';
import { positiveInt } from './cli-args.js';
import { listKeysReaddirSort } from './fs-list-baseline.js';
import { repoRoot } from './processes.js';
import { machineInfo } from './report.js';
import { round, roundSummary, summarize, type LatencySummary } from './stats.js';

/** The collection prefix the documents live under. */
const PREFIX = 'docs/bench/';

/** One timed page position. */
interface PagePosition {
  readonly name: 'start' | 'middle' | 'end';
  readonly startAfter?: string;
}

/** The figures of one page position. */
export interface PageResult {
  readonly position: PagePosition['name'];
  readonly before: LatencySummary;
  readonly after: LatencySummary;
  /** before p50 / after p50. */
  readonly speedUp: number;
}

/** What one run measured. */
export interface FsListBenchResult {
  readonly docs: number;
  readonly repeats: number;
  readonly startedAt: string;
  readonly machine: ReturnType<typeof machineInfo>;
  readonly loadAverage: { readonly start: number[]; readonly end: number[] };
  /** The first 10-key page after open(), which reads and indexes the directory, ms. */
  readonly firstPageAfterOpenMs: number;
  /** Heap grown by loading the index (with --expose-gc), bytes per key; undefined without gc. */
  readonly indexHeapBytesPerKey?: number;
  readonly pages: PageResult[];
  /** A full listing in 1,000-key pages, ms (undefined with --no-scan). */
  readonly scan?: { readonly pages: number; readonly beforeMs: number; readonly afterMs: number };
}

function idOf(i: number, docs: number): string {
  return `d${String(i).padStart(String(docs).length, '0')}`;
}

async function createFiles(root: string, docs: number): Promise<void> {
  const dir = join(root, ...PREFIX.slice(0, -1).split('/'));
  await mkdir(dir, { recursive: true });
  const body = (id: string): string =>
    `{"smarterbase":{"schemaVersion":1,"version":1,"createTime":"2026-12-01T00:00:00.000Z","updateTime":"2026-12-01T00:00:00.000Z","writeId":"${id}"},"data":{"n":1}}`;
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < docs) {
        const id = idOf(next++, docs);
        await writeFile(join(dir, id), body(id));
      }
    }),
  );
}

async function timeMs<T>(op: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await op();
  return { ms: performance.now() - t, value };
}

async function fullListing(list: (o: ListOptions) => Promise<ListPage>): Promise<{ keys: number; pages: number }> {
  let after: string | undefined;
  let keys = 0;
  for (let pages = 1; ; pages++) {
    const page = await list({ prefix: PREFIX, limit: 1000, ...(after === undefined ? {} : { startAfter: after }) });
    keys += page.keys.length;
    if (!page.isTruncated) return { keys, pages };
    after = page.keys[page.keys.length - 1];
  }
}

function sameKeys(a: ListPage, b: ListPage, what: string): void {
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${what}: before and after disagree`);
}

/** Runs the benchmark over a fresh temporary directory. */
export async function runFsListBench(docs: number, repeats: number, scan: boolean, log: (s: string) => void): Promise<FsListBenchResult> {
  const startedAt = new Date().toISOString();
  const loadStart = loadavg().map((x) => round(x, 2));
  const root = await mkdtemp(join(tmpdir(), 'sb-fslist-bench-'));
  try {
    log(`creating ${docs} document files under ${root} …`);
    await createFiles(root, docs);
    const positions: PagePosition[] = [
      { name: 'start' },
      { name: 'middle', startAfter: PREFIX + idOf(Math.floor(docs / 2), docs) },
      { name: 'end', startAfter: PREFIX + idOf(Math.max(0, docs - 11), docs) },
    ];
    const before = (o: ListOptions): Promise<ListPage> => listKeysReaddirSort(root, o);
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const store = await FilesystemBlobStore.open({ root });
    const after = (o: ListOptions): Promise<ListPage> => store.list(o);
    const first = await timeMs(() => after({ prefix: PREFIX, limit: 10, startAfter: positions[1]!.startAfter! }));
    gc?.();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    log(`first page after open (loads the directory): ${round(first.ms, 2)} ms`);

    const pages: PageResult[] = [];
    for (const p of positions) {
      const options: ListOptions = { prefix: PREFIX, limit: 10, ...(p.startAfter === undefined ? {} : { startAfter: p.startAfter }) };
      const b: number[] = [];
      const a: number[] = [];
      for (let r = 0; r < repeats; r++) {
        // Alternate the two so background load hits both alike.
        const x = await timeMs(() => before(options));
        const y = await timeMs(() => after(options));
        sameKeys(x.value, y.value, `page at ${p.name}`);
        b.push(x.ms);
        a.push(y.ms);
      }
      const bs = roundSummary(summarize(b));
      const as = roundSummary(summarize(a));
      pages.push({ position: p.name, before: bs, after: as, speedUp: round(bs.p50 / Math.max(as.p50, 0.001), 1) });
      log(`${p.name}: before p50 ${bs.p50} ms, after p50 ${as.p50} ms`);
    }

    let scanResult: FsListBenchResult['scan'];
    if (scan) {
      const y = await timeMs(() => fullListing(after));
      log(`full listing after: ${round(y.ms, 1)} ms; before …`);
      const x = await timeMs(() => fullListing(before));
      if (x.value.keys !== docs || y.value.keys !== docs)
        throw new Error(`full listing found ${x.value.keys} / ${y.value.keys} keys, not ${docs}`);
      scanResult = { pages: y.value.pages, beforeMs: round(x.ms, 1), afterMs: round(y.ms, 1) };
    }
    await store.close();
    return {
      docs,
      repeats,
      startedAt,
      machine: machineInfo(),
      loadAverage: { start: loadStart, end: loadavg().map((x) => round(x, 2)) },
      firstPageAfterOpenMs: round(first.ms, 2),
      ...(gc === undefined ? {} : { indexHeapBytesPerKey: round(heapGrowth / docs, 1) }),
      pages,
      ...(scanResult === undefined ? {} : { scan: scanResult }),
    };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** The Markdown report of a run. */
export function formatFsListMarkdown(r: FsListBenchResult): string {
  const lines = [
    `# Filesystem listing benchmark, ${r.startedAt}`,
    '',
    `${r.docs} documents in one collection directory; a 10-key List page (BlobStore.list, limit 10) at the start, middle and end of the key space, ${r.repeats} runs each, before (read + sort the directory per page, as up to ce64a2c) and after (in-memory listing index) alternating.`,
    '',
    `${r.machine.cpuCount} CPUs, node ${r.machine.node}; load average (1/5/15 min) ${r.loadAverage.start.join(' / ')} at start, ${r.loadAverage.end.join(' / ')} at end.`,
    '',
    '| page | before p50 (ms) | before p90 (ms) | after p50 (ms) | after p90 (ms) | speed-up (p50) |',
    '|---|---:|---:|---:|---:|---:|',
    ...r.pages.map((p) => `| ${p.position} | ${p.before.p50} | ${p.before.p90} | ${p.after.p50} | ${p.after.p90} | ${p.speedUp}× |`),
    '',
    `First page after open() (reads and sorts the directory once, then kept): ${r.firstPageAfterOpenMs} ms.` +
      (r.indexHeapBytesPerKey === undefined ? '' : ` Heap held by the index: ~${r.indexHeapBytesPerKey} bytes per key.`),
  ];
  if (r.scan !== undefined) {
    lines.push(
      '',
      `Full listing in 1,000-key pages (${r.scan.pages} pages, what Count and Explain do on a scan): before ${r.scan.beforeMs} ms, after ${r.scan.afterMs} ms.`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--docs <n>', 'documents to create', positiveInt, 100_000)
    .option('--repeats <n>', 'runs per page position and side', positiveInt, 5)
    .option('--no-scan', 'skip the full listing')
    .parse()
    .opts<{ docs: number; repeats: number; scan: boolean }>();
  const result = await runFsListBench(opts.docs, opts.repeats, opts.scan, (s) => console.error(s));
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stem = join(dir, `fs-list-${result.startedAt.replace(/[:.]/g, '-')}`);
  writeFileSync(`${stem}.json`, `${JSON.stringify(result, null, 2)}\n`);
  const md = formatFsListMarkdown(result);
  writeFileSync(`${stem}.md`, md);
  console.log(md);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
