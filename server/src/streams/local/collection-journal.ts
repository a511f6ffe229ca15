/**
 * One collection's journal: append-only JSON-lines segment files
 * `<dir>/<collection>/<16-digit first revision>.jsonl` (feed-records.ts),
 * written with group commit, rolled past a size, and deleted once obsolete.
 *
 * Group commit: every append made while the writer is idle within one tick,
 * or while a flush is running, goes out in one write + one fdatasync; each
 * append resolves once its line is durable. A failed write or fsync rejects
 * its whole batch and abandons the segment (the next batch starts a new one),
 * since after an fsync error the file's content is unknown.
 *
 * A segment is named by the revision of its first record, or one above the
 * previous segment's name when that is larger, so names sort in write order.
 * Segments are deleted oldest first, and only while older than the active one,
 * once every allocation they hold is resolved and every event they hold is
 * older than the collection's oldest revision; a floor record written before
 * each deletion keeps the oldest revision and counter across a restart.
 * Deleting in order means a resolution record never outlives its allocation.
 */
import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeRecord, isAllocation, isResolution, parseRecord, revisionOf, type JournalRecord } from './feed-records.js';
import { fsyncDir } from './fs-sync.js';

/** Where the journal reports what it survived (a torn last line, a failed deletion). */
export interface JournalLog {
  warn(obj: object, msg: string): void;
}

/** A segment file and what keeps it alive. */
interface Segment {
  readonly name: number;
  readonly path: string;
  /** Allocations recorded in it and not yet resolved (durably). */
  readonly unresolved: Set<number>;
  /** The largest event revision it holds; 0 when none. */
  maxEvent: number;
}

/** An append waiting for its batch. */
interface Waiting {
  readonly rec: JournalRecord;
  readonly line: string;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

const SEGMENT_FILE = /^(\d{16})\.jsonl$/;

/** The file name of the segment whose first revision is `name`. */
export function segmentFileName(name: number): string {
  return `${String(name).padStart(16, '0')}.jsonl`;
}

/** The journal of one collection: replay, group-committed appends, roll and deletion of segments. */
export class CollectionJournal {
  private readonly segments: Segment[] = [];
  /** Unresolved allocation → the segment recording it. */
  private readonly where = new Map<number, Segment>();
  private active: { seg: Segment; handle: FileHandle; bytes: number } | null = null;
  private queue: Waiting[] = [];
  private scheduled = false;
  private running: Promise<void> | null = null;
  /** The last deletion pass (idle() waits for it). */
  private compacting: Promise<void> | null = null;
  private deleting = false;
  /** Something changed since the pass last looked. */
  private dirty = false;
  /** The oldest revision of the collection, as last told: events at or below it are dropped. */
  private floor = 0;
  private current: () => number = () => 0;
  /** No new deletion pass (close began). */
  private closing = false;
  /** No new append. */
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly log: JournalLog,
  ) {}

  /** The journal of a collection with no segment yet (created at the first append). */
  static empty(dir: string, segmentBytes: number, log: JournalLog): CollectionJournal {
    return new CollectionJournal(dir, segmentBytes, log);
  }

  /**
   * Reads every segment of the collection folder `dir` (absent: none), in
   * order. A torn last line of a segment (a crash mid-append) is skipped with
   * a warning; any other invalid line fails with an Error naming file and line.
   */
  static async load(dir: string, segmentBytes: number, log: JournalLog): Promise<{ journal: CollectionJournal; records: JournalRecord[] }> {
    const journal = new CollectionJournal(dir, segmentBytes, log);
    const names = (await readdir(dir).catch(ignoreMissing))
      .map((f) => SEGMENT_FILE.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const records: JournalRecord[] = [];
    for (const name of names) {
      const seg = journal.addSegment(name);
      for (const rec of await readSegment(seg.path, log)) {
        journal.track(seg, rec);
        records.push(rec);
      }
    }
    return { journal, records };
  }

  /** Appends `rec`; resolves once it is durable (group commit), rejects when the write or fsync failed. */
  append(rec: JournalRecord): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the feed journal is closed'));
    const line = encodeRecord(rec);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ rec, line, resolve, reject });
      if (!this.running && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.running = this.run();
        });
      }
    });
  }

  /**
   * Deletes the leading segments made obsolete by `oldest` (see the file
   * comment), recording a floor of `oldest` and `current` first. One pass at
   * a time: a call during a pass makes it check again once done.
   */
  compact(oldest: number, current: () => number): Promise<void> {
    this.floor = Math.max(this.floor, oldest);
    this.current = current;
    this.dirty = true;
    if (this.deleting || this.closing) return this.compacting ?? Promise.resolve();
    this.compacting = this.deleteObsolete();
    return this.compacting;
  }

  /**
   * Each round deletes the obsolete prefix seen before its floor record is
   * written, never a segment that record created: with segments smaller than
   * a record, "delete, record, delete what the record rolled" would not end.
   */
  private async deleteObsolete(): Promise<void> {
    this.deleting = true;
    try {
      while (this.dirty && !this.closing) {
        this.dirty = false;
        const obsolete: Segment[] = [];
        for (let i = 0; i < this.segments.length - 1 && isObsolete(this.segments[i], this.floor); i++) obsolete.push(this.segments[i]);
        if (obsolete.length === 0) break;
        await this.append({ f: this.floor, c: this.current() });
        for (const seg of obsolete) {
          await unlink(seg.path);
          this.segments.splice(this.segments.indexOf(seg), 1);
        }
      }
    } catch (e) {
      this.log.warn({ err: e, dir: this.dir }, 'change feed: a journal segment could not be deleted');
    }
    this.deleting = false; // in the same tick as the last check, so no call is missed
  }

  /** Resolves once the running deletion pass, if any, has finished. */
  async idle(): Promise<void> {
    await this.compacting;
  }

  /** The segment files, oldest first (for tests and diagnostics). */
  segmentNames(): number[] {
    return this.segments.map((s) => s.name);
  }

  /** Waits for pending appends and the running deletion pass, then closes the active file; later appends fail. */
  async close(): Promise<void> {
    this.closing = true;
    await this.compacting;
    this.closed = true;
    while (this.running || this.scheduled) await (this.running ?? new Promise((r) => setImmediate(r)));
    await this.abandonActive();
  }

  private async run(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        const target = await this.target(batch[0].rec);
        const buf = Buffer.from(batch.map((w) => w.line).join(''), 'utf8');
        for (let off = 0; off < buf.length;) off += (await target.handle.write(buf, off, buf.length - off)).bytesWritten;
        await target.handle.datasync();
        target.bytes += buf.length;
        for (const w of batch) this.track(target.seg, w.rec);
        for (const w of batch) w.resolve();
      } catch (e) {
        await this.abandonActive();
        for (const w of batch) w.reject(e);
      }
    }
    this.running = null;
  }

  /** The open segment to write to: the active one while under the size, else a new one named after `first`. */
  private async target(first: JournalRecord): Promise<{ seg: Segment; handle: FileHandle; bytes: number }> {
    if (this.active && this.active.bytes < this.segmentBytes) return this.active;
    await this.abandonActive();
    const last = this.segments.at(-1);
    const name = Math.max(revisionOf(first), last ? last.name + 1 : 0);
    if (this.segments.length === 0) {
      const created = await mkdir(this.dir, { recursive: true });
      if (created !== undefined) await fsyncDir(join(this.dir, '..'));
    }
    const path = join(this.dir, segmentFileName(name));
    const handle = await open(path, 'wx');
    const seg = this.addSegment(name);
    this.active = { seg, handle, bytes: 0 };
    await fsyncDir(this.dir);
    return this.active;
  }

  private async abandonActive(): Promise<void> {
    const active = this.active;
    this.active = null;
    await active?.handle.close().catch(() => undefined);
  }

  private addSegment(name: number): Segment {
    const seg: Segment = { name, path: join(this.dir, segmentFileName(name)), unresolved: new Set(), maxEvent: 0 };
    this.segments.push(seg);
    return seg;
  }

  /** Accounts for a durable record of `seg`: what keeps segments alive. */
  private track(seg: Segment, rec: JournalRecord): void {
    if (isAllocation(rec)) {
      seg.unresolved.add(rec.a);
      this.where.set(rec.a, seg);
    } else if (isResolution(rec)) {
      for (const r of rec.r) {
        this.where.get(r)?.unresolved.delete(r);
        this.where.delete(r);
      }
      if (rec.e) seg.maxEvent = Math.max(seg.maxEvent, rec.e.revision);
    }
  }
}

function isObsolete(seg: Segment, oldest: number): boolean {
  return seg.unresolved.size === 0 && seg.maxEvent <= oldest;
}

function ignoreMissing(e: unknown): string[] {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
  throw e;
}

/** The records of one segment file; a torn last line is skipped with a warning. */
async function readSegment(path: string, log: JournalLog): Promise<JournalRecord[]> {
  const lines = (await readFile(path, 'utf8')).split('\n');
  const tail = lines.pop()!; // after the last newline: '' unless the last append was torn
  if (tail !== '') log.warn({ file: path, line: lines.length + 1, bytes: tail.length }, 'change feed: ignoring a torn last journal line');
  return lines.map((line, i) => {
    try {
      return parseRecord(line);
    } catch (e) {
      throw new Error(`corrupt change feed journal ${path}, line ${i + 1}: ${(e as Error).message}`, { cause: e });
    }
  });
}
