/**
 * Logs under encryption at rest (docs/adr/0016 "Logs"): the flusher,
 * compactor and reader over an EncryptingBlobStore write chunks, segments and
 * meta sealed (no line in clear below it), read them back exactly, refuse
 * tampered, moved or reordered objects with DECRYPTION_FAILED, and still read
 * logs written in clear before encryption was turned on.
 */
import { systemClock } from '../common/clock.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { DbError } from '../errors/db-error.js';
import type { BlobStore } from '../storage/blob-store.js';
import { ENCRYPTED_PREFIXES, EncryptingBlobStore } from '../storage/crypto/encrypting-store.js';
import { KeyRotation } from '../storage/crypto/key-rotation.js';
import { KeyringRef, parseKeyring } from '../storage/crypto/keyring.js';
import { isSealed, sealedKekId } from '../storage/crypto/sealed-body.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { ChunkCache } from './chunk-cache.js';
import { LogCompactor } from './log-compactor.js';
import { LogFlusher } from './log-flusher.js';
import { chunkKey, chunkPrefix, segmentPrefix } from './log-name.js';
import { LogNotifier } from './log-notifier.js';
import { LogReader } from './log-reader.js';
import { LocalRequestIndex } from './request-index.js';

const WINDOW = 600_000;
const MARKER = 'MARKER-7f3a-logline';
const keyring = new KeyringRef(parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(32, 7).toString('base64') } })));

function setup(): { raw: MemoryBlobStore; store: EncryptingBlobStore } {
  const raw = new MemoryBlobStore();
  return { raw, store: new EncryptingBlobStore(raw, { keyring }) };
}

const flusher = (store: BlobStore): LogFlusher =>
  new LogFlusher({
    store,
    coordinator: new LocalCoordinator(),
    index: new LocalRequestIndex(WINDOW, () => Date.now()),
    clock: systemClock,
    cache: new ChunkCache(),
    notifier: new LogNotifier(),
    batchMaxLines: 1000,
    batchMaxBytes: 1 << 20,
    requestIdWindowMs: WINDOW,
  });

const compactor = (store: BlobStore, segmentBytes = 1 << 20): LogCompactor =>
  new LogCompactor({
    store,
    coordinator: new LocalCoordinator(),
    clock: systemClock,
    cache: new ChunkCache(), // empty: every chunk is read (and opened) from the store
    segmentBytes,
    segmentMaxAgeMs: 0,
    requestIdWindowMs: WINDOW,
  });

const line = (log: string, n: number): string => `{"log":"${log}","n":${n},"secret":"${MARKER}"}`;

async function append(store: BlobStore, log: string, from: number, to: number): Promise<void> {
  const f = flusher(store);
  for (let n = from; n <= to; n++) await f.append(log, { lines: [line(log, n)], bytes: 60 });
}

/** Every line of `log` read through `store` with a fresh cache: [sequence, line] pairs. */
async function readAll(store: BlobStore, log: string, fromSequence = 0): Promise<[number, string][]> {
  const reader = new LogReader({ store, cache: new ChunkCache(), notifier: new LogNotifier(), followPollMs: 50 });
  const out: [number, string][] = [];
  const input = { log, fromSequence, fromEnd: false, follow: false, progressIntervalMs: 1000 };
  for await (const item of reader.read(input, new AbortController().signal)) for (const e of item.entries) out.push([e.sequence, e.line]);
  return out;
}

const expected = (log: string, from: number, to: number): [number, string][] =>
  Array.from({ length: to - from + 1 }, (_, i) => [from + i, line(log, from + i)]);

async function keys(store: BlobStore, prefix: string): Promise<string[]> {
  return (await store.list({ prefix, limit: 1000 })).keys;
}

async function readFailure(store: BlobStore, log: string): Promise<DbError> {
  try {
    await readAll(store, log);
  } catch (e) {
    return e as DbError;
  }
  throw new Error('expected the read to fail');
}

describe('logs under encryption at rest', () => {
  test('chunks, segments and meta are stored sealed (no line in clear) and read back exactly, before and after compaction', async () => {
    const { raw, store } = setup();
    await append(store, 'a', 1, 6);
    expect(await readAll(store, 'a')).toEqual(expected('a', 1, 6));
    expect(await compactor(store).compactOnce('a')).toBe(true);
    await append(store, 'a', 7, 9); // chunks after the segment
    expect(await readAll(store, 'a')).toEqual(expected('a', 1, 9));
    expect(await readAll(store, 'a', 4)).toEqual(expected('a', 4, 9));
    const stored = await keys(raw, 'logs/');
    expect(stored.filter((k) => k.includes('/s/'))).toHaveLength(1);
    expect(stored.filter((k) => k.includes('/c/'))).toHaveLength(3);
    expect(stored).toContain('logs/a/meta');
    for (const key of stored) {
      const body = Buffer.from((await raw.get(key))!.body);
      expect([key, isSealed(body)]).toEqual([key, true]);
      expect([key, body.includes(MARKER), body.includes('"n":')]).toEqual([key, false, false]);
    }
  });

  test('a flipped byte in a chunk or in a segment: DATA_LOSS / DECRYPTION_FAILED, never garbage', async () => {
    for (const where of ['/c/', '/s/']) {
      const { raw, store } = setup();
      await append(store, 'a', 1, 3);
      if (where === '/s/') await compactor(store).compactOnce('a');
      const key = (await keys(raw, 'logs/a/')).find((k) => k.includes(where))!;
      const body = Buffer.from((await raw.get(key))!.body);
      body[body.length - 20]! ^= 1;
      await raw.put(key, body);
      const err = await readFailure(store, 'a');
      expect(err).toBeInstanceOf(DbError);
      expect([where, err.kind, err.reason, err.metadata?.key]).toEqual([where, 'data_loss', 'DECRYPTION_FAILED', key]);
    }
  });

  test('a chunk copied into another log, or onto another sequence of its own log (reordered), fails: its key is in the AAD', async () => {
    const { raw, store } = setup();
    await append(store, 'a', 1, 3);
    await append(store, 'b', 1, 1);
    // Into log b: b's chunk 1 replaced by a's chunk 1 (same sequence, another log).
    await raw.put(chunkKey('b', 1), (await raw.get(chunkKey('a', 1)))!.body);
    expect((await readFailure(store, 'b')).reason).toBe('DECRYPTION_FAILED');
    // Reordered within a: chunks 2 and 3 swapped.
    const two = (await raw.get(chunkKey('a', 2)))!.body;
    await raw.put(chunkKey('a', 2), (await raw.get(chunkKey('a', 3)))!.body);
    await raw.put(chunkKey('a', 3), two);
    expect((await readFailure(store, 'a')).reason).toBe('DECRYPTION_FAILED');
  });

  test('two segments swapped: DECRYPTION_FAILED', async () => {
    const { raw, store } = setup();
    await append(store, 'a', 1, 30);
    const c = compactor(store, 600);
    while (await c.compactOnce('a')) {
      /* roll every segment */
    }
    const segs = await keys(raw, segmentPrefix('a'));
    expect(segs.length).toBeGreaterThanOrEqual(2);
    const first = (await raw.get(segs[0]!))!.body;
    await raw.put(segs[0]!, (await raw.get(segs[1]!))!.body);
    await raw.put(segs[1]!, first);
    expect((await readFailure(store, 'a')).reason).toBe('DECRYPTION_FAILED');
  });

  test('a log written in clear before encryption was turned on stays readable; new chunks and the segment rolling both are sealed', async () => {
    const { raw, store } = setup();
    await append(raw, 'a', 1, 3); // legacy: written without encryption
    expect(await readAll(store, 'a')).toEqual(expected('a', 1, 3));
    await append(store, 'a', 4, 5);
    expect(await readAll(store, 'a')).toEqual(expected('a', 1, 5));
    const chunks = await keys(raw, chunkPrefix('a'));
    const sealed = await Promise.all(chunks.map(async (k) => isSealed((await raw.get(k))!.body)));
    expect(sealed).toEqual([false, false, false, true, true]);
    expect(await compactor(store).compactOnce('a')).toBe(true);
    const [seg] = await keys(raw, segmentPrefix('a'));
    expect(isSealed((await raw.get(seg!))!.body)).toBe(true);
    expect(await readAll(store, 'a')).toEqual(expected('a', 1, 5));
  });

  test('requireSealed: a clear chunk planted in an encrypted store is refused', async () => {
    const raw = new MemoryBlobStore();
    const store = new EncryptingBlobStore(raw, { keyring, requireSealed: true });
    await append(raw, 'a', 1, 1);
    expect((await readFailure(store, 'a')).reason).toBe('DECRYPTION_FAILED');
  });

  test('RotateKeys moves every log object (chunks, segments, meta, legacy clear chunks) to the new primary; the log reads back the same', async () => {
    const raw = new MemoryBlobStore();
    const k1 = Buffer.alloc(32, 7).toString('base64');
    const ring = new KeyringRef(parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1 } })));
    const store = new EncryptingBlobStore(raw, { keyring: ring });
    await append(raw, 'a', 1, 2); // legacy clear chunks
    await append(store, 'a', 3, 6);
    await compactor(store).compactOnce('a'); // a segment of 1..6 and the meta, under k1
    await append(store, 'a', 7, 8);
    await append(raw, 'b', 1, 2); // another log, still in clear
    ring.set(parseKeyring(JSON.stringify({ primary: 'k2', keys: { k1, k2: Buffer.alloc(32, 9).toString('base64') } })));
    const msgs = [];
    for await (const m of new KeyRotation({ raw, keyring: ring, prefixes: ENCRYPTED_PREFIXES }).rotateKeys(
      { signal: new AbortController().signal },
      {},
    ))
      msgs.push(m);
    const stored = await keys(raw, 'logs/');
    expect(stored.length).toBe(6); // a's segment, two chunks and meta; b's two chunks
    expect(msgs[msgs.length - 1]).toMatchObject({ done: true, scanned: 6, rewritten: 6, failed: 0 });
    for (const key of stored) expect([key, sealedKekId((await raw.get(key))!.body)]).toEqual([key, 'k2']);
    expect(await readAll(store, 'a')).toEqual(expected('a', 1, 8));
    expect(await readAll(store, 'b')).toEqual(expected('b', 1, 2));
  });
});
