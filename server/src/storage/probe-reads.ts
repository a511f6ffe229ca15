/**
 * The read checks of the start-up probe (probe-conditional-writes.ts): what a
 * store's ETag is, and whether a GET returns a body and an ETag of the same
 * version while writes land (docs/adr/0007-reads-that-prove-their-version.md).
 */
import type { BlobStore } from './blob-store.js';
import { md5Hex } from './verified-reads.js';

/** What a single write-then-read of a fresh key shows about the store's etags. */
export interface EtagShape {
  /** The PUT's etag is the MD5 of the body, and a GET returns the same etag and body. */
  readonly md5Etags: boolean;
  /** A GET returns the writer's digest (Blob.contentMd5) equal to md5(body). */
  readonly digestMetadata: boolean;
}

/** Writes `body` under `key`, reads it back, and tells what the etag and the metadata are. */
export async function probeEtagShape(store: BlobStore, key: string, body: Uint8Array, signal?: AbortSignal): Promise<EtagShape> {
  const md5 = md5Hex(body);
  const put = await store.put(key, body, undefined, signal);
  const got = await store.get(key, signal);
  const sameBody = got !== undefined && Buffer.from(got.body).equals(Buffer.from(body));
  return {
    md5Etags: sameBody && put.etag.toLowerCase() === md5 && got.etag.toLowerCase() === md5,
    digestMetadata: sameBody && got.contentMd5?.toLowerCase() === md5,
  };
}

/** The shape of the concurrent GET-versus-PUT race. */
export interface ReadRaceOptions {
  /** Concurrent writers of the key. */
  readonly writers: number;
  /** Unconditional puts per writer. */
  readonly writesPerWriter: number;
  /** Concurrent readers of the key. */
  readonly readers: number;
  /** Gets per reader at most (readers stop when the writers are done). */
  readonly maxReadsPerReader: number;
  /** Races run one after the other; the first with a torn read ends the check. */
  readonly rounds: number;
  /** A distinct body per call. */
  readonly body: () => Uint8Array;
  /** Aborts the race. */
  readonly signal?: AbortSignal;
}

/**
 * The defaults of the probe: 3 rounds of 4 writers × 10 puts against 4 readers
 * × at most 25 gets (at most 141 requests a round with its first put, 423 in
 * all; an atomic store runs every round, a torn one stops at its first).
 */
export const READ_RACE: Omit<ReadRaceOptions, 'body' | 'signal'> = {
  writers: 4,
  writesPerWriter: 10,
  readers: 4,
  maxReadsPerReader: 25,
  rounds: 3,
};

/**
 * Races readers against writers on `key` and checks every GET: its body must
 * be the one that was written with the etag it came with (a map etag → body
 * of what the writers put). True when every GET was whole, else why not.
 * Errors of the store propagate (after every racer has stopped).
 */
export async function raceReads(store: BlobStore, key: string, o: ReadRaceOptions): Promise<true | string> {
  for (let round = 0; round < o.rounds; round++) {
    const r = await raceOnce(store, key, o);
    if (r !== true) return `${r} (round ${round + 1} of ${o.rounds})`;
  }
  return true;
}

/** One race of raceReads. */
async function raceOnce(store: BlobStore, key: string, o: ReadRaceOptions): Promise<true | string> {
  const written = new Map<string, Buffer>();
  const write = async (): Promise<void> => {
    const body = o.body();
    const meta = await store.put(key, body, undefined, o.signal);
    written.set(meta.etag, Buffer.from(body));
  };
  await write();
  const seen: { etag: string; body: Uint8Array }[] = [];
  let writing = true;
  const writers = Promise.all(
    Array.from({ length: o.writers }, async () => {
      for (let i = 0; i < o.writesPerWriter; i++) await write();
    }),
  ).finally(() => {
    writing = false;
  });
  const readers = Array.from({ length: o.readers }, async () => {
    for (let i = 0; writing && i < o.maxReadsPerReader; i++) {
      const blob = await store.get(key, o.signal);
      if (blob !== undefined) seen.push(blob);
    }
  });
  const settled = await Promise.allSettled([writers, ...readers]);
  const failed = settled.find((s) => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  const torn = seen.filter((b) => !(written.get(b.etag)?.equals(Buffer.from(b.body)) ?? false)).length;
  return torn === 0 || `${torn} of ${seen.length} concurrent gets returned a body that was not written with their etag`;
}
