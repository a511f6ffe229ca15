/**
 * The change feed's persistence (docs/adr/0012 §5, embedded default): under
 * `dir`, `meta.json` `{"born": µs}` names the feed generation, and one folder
 * per collection holds its journal (collection-journal.ts). A missing dir is a
 * new generation: created with a new `born`, so the revisions of a lost one
 * fall below every `oldest` and are refused.
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CollectionJournal, type JournalLog } from './collection-journal.js';
import type { JournalRecord } from './feed-records.js';
import { fsyncDir, writeFileAtomic } from './fs-sync.js';

/** Collection names the journal accepts as folder names. */
const COLLECTION = /^[A-Za-z0-9_.-]+$/;

/** What FeedJournal.open needs. */
export interface FeedJournalOptions {
  readonly dir: string;
  readonly segmentBytes: number;
  /** The generation's birth, µs, when the dir has to be created. */
  readonly bornNow: () => number;
  readonly log: JournalLog;
}

/** The journal as found at open: the generation and each collection's records in write order. */
export interface JournalReplay {
  readonly born: number;
  readonly collections: ReadonlyMap<string, readonly JournalRecord[]>;
}

/** Every collection's journal under one directory. */
export class FeedJournal {
  private readonly collections = new Map<string, CollectionJournal>();
  private closed = false;

  private constructor(private readonly options: FeedJournalOptions) {}

  /** Opens (or creates) the journal directory and reads every collection's records. */
  static async open(options: FeedJournalOptions): Promise<{ journal: FeedJournal; replay: JournalReplay }> {
    const journal = new FeedJournal(options);
    const born = await openGeneration(options.dir, options.bornNow);
    const collections = new Map<string, JournalRecord[]>();
    for (const entry of await readdir(options.dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !isCollectionName(entry.name)) continue;
      const loaded = await CollectionJournal.load(join(options.dir, entry.name), options.segmentBytes, options.log);
      journal.collections.set(entry.name, loaded.journal);
      collections.set(entry.name, loaded.records);
    }
    return { journal, replay: { born, collections } };
  }

  /** Appends `rec` to the journal of `collection`; resolves once durable. */
  append(collection: string, rec: JournalRecord): Promise<void> {
    return this.of(collection).append(rec);
  }

  /** Deletes the segments of `collection` made obsolete by `oldest` (in the background; failures are logged). */
  compact(collection: string, oldest: number, current: () => number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.of(collection).compact(oldest, current);
  }

  /** Resolves once every running deletion pass has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.collections.values()].map((c) => c.idle()));
  }

  /** The segment names of `collection`, oldest first (tests, diagnostics). */
  segmentNames(collection: string): number[] {
    return this.collections.get(collection)?.segmentNames() ?? [];
  }

  /** Flushes every pending append and closes every file; later appends fail. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.collections.values()].map((c) => c.close()));
  }

  private of(collection: string): CollectionJournal {
    let journal = this.collections.get(collection);
    if (!journal) {
      if (this.closed) throw new Error('the feed journal is closed');
      if (!isCollectionName(collection)) throw new Error(`collection name ${JSON.stringify(collection)} cannot be a journal folder`);
      journal = CollectionJournal.empty(join(this.options.dir, collection), this.options.segmentBytes, this.options.log);
      this.collections.set(collection, journal);
    }
    return journal;
  }
}

function isCollectionName(name: string): boolean {
  return COLLECTION.test(name) && name !== '.' && name !== '..';
}

/**
 * The `born` of the generation in `dir`: read from meta.json, or, when the dir
 * is missing, a new one written atomically. A dir without meta.json is the
 * remains of a creation that crashed before its meta was written (a new
 * generation too) unless it holds collection folders, which is refused.
 */
async function openGeneration(dir: string, bornNow: () => number): Promise<number> {
  const metaPath = join(dir, 'meta.json');
  const existed = await stat(dir).then(
    () => true,
    (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return false;
      throw e;
    },
  );
  if (existed) {
    const text = await readFile(metaPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (text !== null) return parseMeta(metaPath, text);
    const entries = await readdir(dir, { withFileTypes: true });
    if (entries.some((e) => e.isDirectory() && isCollectionName(e.name)))
      throw new Error(`change feed journal ${dir} holds collections but no meta.json`);
  } else {
    await mkdir(dir, { recursive: true });
    await fsyncDir(dirname(dir));
  }
  const born = bornNow();
  await writeFileAtomic(metaPath, `${JSON.stringify({ born })}\n`);
  return born;
}

function parseMeta(path: string, text: string): number {
  let born: unknown;
  try {
    born = (JSON.parse(text) as { born?: unknown }).born;
  } catch (e) {
    throw new Error(`corrupt change feed meta ${path}: ${(e as Error).message}`, { cause: e });
  }
  if (!Number.isSafeInteger(born) || (born as number) <= 0) throw new Error(`corrupt change feed meta ${path}: no valid born`);
  return born as number;
}
