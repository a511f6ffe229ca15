/**
 * The Redis feed's one reader loop per server (docs/adr/0012 §7): on its own
 * connection, `XREAD BLOCK 1000 COUNT 512 STREAMS <every watched collection's
 * stream> <the last id read of each>`, decoding each entry once and handing
 * the batch to the feed (listeners, ring, watermark hint). A change of the
 * watched set re-arms the blocked read with CLIENT UNBLOCK sent on the
 * command connection (should it arrive before the read blocks, the read
 * simply ends within its one-second block). At least every second it reads
 * each watched collection's generation (fm.born) and watermark: a changed
 * generation (Redis lost the feed, §8) is reported so watchers re-read and
 * meet RevisionOutOfRange. Single Redis only: on a Cluster the streams of
 * different collections lie in different slots (one loop per node: not yet).
 */
import type { RedisClient } from '../../coordination/redis/redis-connection.js';
import { decodeEntry, entryId, type ReleasedEntry } from './redis-feed-layout.js';

/** What the loop tells its feed. */
export interface ReaderHost {
  /** The stream and meta keys of a collection. */
  keysOf(collection: string): { readonly fs: string; readonly fm: string };
  /** Entries read next from the collection's stream, in order. */
  onEntries(collection: string, entries: readonly ReleasedEntry[]): void;
  /** The collection's watermark, read with its generation (born, µs). */
  onWatermark(collection: string, watermark: number, born: number): void;
  /** The collection's generation changed (0: its feed is gone) from one the loop had seen. */
  onGeneration(collection: string, born: number, watermark: number): void;
  readonly log: { warn(obj: object, msg: string): void };
}

/** Blocking time of one XREAD, ms; also the longest gap between generation checks. */
const BLOCK_MS = 1000;
/** Entries one XREAD returns at most per stream. */
const READ_COUNT = 512;
/** Pause after a failed read, ms. */
const RETRY_MS = 250;

interface Watched {
  lastId: string;
  /** The generation last seen; undefined until the first check. */
  born: number | undefined;
}

/** One XREAD loop over every watched collection of one feed. */
export class FeedReaderLoop {
  private readonly watched = new Map<string, Watched>();
  private stopped = false;
  private blocked = false;
  private clientId: number | undefined;
  private wakeIdle: (() => void) | undefined;
  private lastCheckMs = 0;
  private readonly done: Promise<void>;

  constructor(
    private readonly reader: RedisClient,
    private readonly command: { client(sub: 'UNBLOCK', id: number): Promise<unknown> },
    private readonly host: ReaderHost,
  ) {
    reader.on('ready', () => void this.learnClientId());
    this.done = this.learnClientId().then(() => this.run());
  }

  /** Adds `collection`, read from after revision `after` (entries later than it are delivered). */
  watch(collection: string, after: number): void {
    if (this.watched.has(collection)) return;
    this.watched.set(collection, { lastId: entryId(after), born: undefined });
    this.rearm();
  }

  /** Drops `collection` from the loop. */
  unwatch(collection: string): void {
    if (this.watched.delete(collection)) this.rearm();
  }

  /** Ends the loop (the caller closes the connection); resolves when it has returned. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.rearm();
    this.reader.disconnect();
    await this.done;
  }

  private rearm(): void {
    this.lastCheckMs = 0; // a new collection's generation is read before its first XREAD
    if (this.wakeIdle) this.wakeIdle();
    else if (this.blocked && this.clientId !== undefined) this.command.client('UNBLOCK', this.clientId).catch(() => undefined);
  }

  private async learnClientId(): Promise<void> {
    try {
      this.clientId = Number(await this.reader.client('ID'));
    } catch {
      this.clientId = undefined; // re-learnt on the next 'ready'
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      if (this.watched.size === 0) {
        await new Promise<void>((resolve) => (this.wakeIdle = resolve));
        this.wakeIdle = undefined;
        continue;
      }
      try {
        if (Date.now() - this.lastCheckMs >= BLOCK_MS) await this.checkGenerations();
        await this.readOnce();
      } catch (e) {
        if (this.stopped) return;
        this.host.log.warn({ err: e }, 'change feed: the reader loop failed; retrying');
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  }

  private async readOnce(): Promise<void> {
    const names = [...this.watched.keys()];
    if (names.length === 0) return;
    const byKey = new Map(names.map((c) => [this.host.keysOf(c).fs, c]));
    const ids = names.map((c) => this.watched.get(c)!.lastId);
    this.blocked = true;
    let reply: [string, [string, string[]][]][] | null;
    try {
      reply = (await this.reader.xread('COUNT', READ_COUNT, 'BLOCK', BLOCK_MS, 'STREAMS', ...byKey.keys(), ...ids)) as typeof reply;
    } finally {
      this.blocked = false;
    }
    for (const [key, entries] of reply ?? []) {
      const collection = byKey.get(key);
      const state = collection === undefined ? undefined : this.watched.get(collection);
      if (collection === undefined || state === undefined || entries.length === 0) continue;
      const decoded = entries.map(([, fields]) => decodeEntry(fields));
      const born = decoded[0]!.born;
      if (born !== undefined && state.born !== undefined && state.born !== 0 && born !== state.born) {
        // The stream was replaced (Redis lost the feed) and its new revisions are above the old position:
        // report the new generation before delivering anything of it, then read it from its start.
        state.born = born;
        state.lastId = entryId(0);
        this.host.onGeneration(collection, born, 0);
        continue;
      }
      state.lastId = entries[entries.length - 1]![0];
      this.host.onEntries(collection, decoded);
    }
  }

  /** Reads born and w of every watched collection (one pipeline) and reports changes. */
  private async checkGenerations(): Promise<void> {
    const names = [...this.watched.keys()];
    const pipeline = this.reader.pipeline();
    for (const c of names) pipeline.hmget(this.host.keysOf(c).fm, 'born', 'w');
    const results = (await pipeline.exec()) ?? [];
    this.lastCheckMs = Date.now();
    names.forEach((c, i) => {
      const [err, value] = results[i] ?? [new Error('no reply'), null];
      if (err) throw err;
      const [bornText, wText] = value as [string | null, string | null];
      const born = Number(bornText ?? 0);
      const w = Number(wText ?? 0);
      const state = this.watched.get(c);
      if (!state) return;
      const before = state.born;
      state.born = born;
      if (before !== undefined && before !== 0 && before !== born) {
        state.lastId = entryId(0); // the new generation's stream, from its start
        this.host.onGeneration(c, born, w);
      } else if (born !== 0) this.host.onWatermark(c, w, born);
    });
  }
}
