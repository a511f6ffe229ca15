import { systemClock } from '../common/clock.js';
import { Failpoints } from '../common/failpoints.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { DbError } from '../errors/db-error.js';
import { FaultyBlobStore } from '../storage/faulty-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { ChunkCache } from './chunk-cache.js';
import { decodeChunk, encodeChunk, linesSha } from './chunk-format.js';
import { LogFlusher, type PendingAppend } from './log-flusher.js';
import { chunkKey } from './log-name.js';
import { LogNotifier } from './log-notifier.js';
import { findTail } from './log-tail.js';
import { LocalRequestIndex, type RequestIndex } from './request-index.js';

const WINDOW = 600_000;

function req(lines: string[], requestId?: string): PendingAppend {
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l), 0);
  return { lines, bytes, ...(requestId === undefined ? {} : { requestId, sha: linesSha(lines) }) };
}

interface Setup {
  readonly inner: MemoryBlobStore;
  readonly store: FaultyBlobStore;
  readonly coordinator: LocalCoordinator;
  readonly failpoints: Failpoints;
  flusher(index?: RequestIndex): LogFlusher;
}

function setup(): Setup {
  const inner = new MemoryBlobStore();
  const store = new FaultyBlobStore(inner);
  const coordinator = new LocalCoordinator();
  const failpoints = new Failpoints();
  return {
    inner,
    store,
    coordinator,
    failpoints,
    flusher: (index = new LocalRequestIndex(WINDOW, () => Date.now())) =>
      new LogFlusher({
        store,
        coordinator,
        index,
        clock: systemClock,
        cache: new ChunkCache(),
        notifier: new LogNotifier(),
        failpoints,
        batchMaxLines: 1000,
        batchMaxBytes: 1 << 20,
        requestIdWindowMs: WINDOW,
      }),
  };
}

async function chunkAt(store: MemoryBlobStore, first: number): Promise<string[]> {
  const blob = await store.get(chunkKey('a', first));
  return blob === undefined ? [] : [...decodeChunk('k', blob.body).lines];
}

async function rejection(p: Promise<unknown>): Promise<DbError> {
  try {
    await p;
  } catch (e) {
    return e as DbError;
  }
  throw new Error('expected a rejection');
}

describe('LogFlusher', () => {
  test('appends get dense sequences; a lone append is written at once', async () => {
    const s = setup();
    const f = s.flusher();
    expect(await f.append('a', req(['1', '2']))).toEqual({ first: 1, last: 2, deduplicated: false });
    expect(await f.append('a', req(['3']))).toEqual({ first: 3, last: 3, deduplicated: false });
    expect(await chunkAt(s.inner, 1)).toEqual(['1', '2']);
    expect(await chunkAt(s.inner, 3)).toEqual(['3']);
  });

  test('appends queued while a batch is written form the next batch, in queue order', async () => {
    const s = setup();
    const f = s.flusher();
    s.failpoints.configure('log.after-chunk-put=pause');
    const first = f.append('a', req(['"a"']));
    await new Promise((r) => setTimeout(r, 20)); // the first batch is held after its PUT
    const rest = [f.append('a', req(['"b1"', '"b2"'])), f.append('a', req(['"c"'])), f.append('a', req(['"d"']))];
    s.failpoints.configure('');
    expect(await first).toEqual({ first: 1, last: 1, deduplicated: false });
    expect(await Promise.all(rest)).toEqual([
      { first: 2, last: 3, deduplicated: false },
      { first: 4, last: 4, deduplicated: false },
      { first: 5, last: 5, deduplicated: false },
    ]);
    expect(await chunkAt(s.inner, 2)).toEqual(['"b1"', '"b2"', '"c"', '"d"']);
  });

  test('a batch respects the line limit: the rest waits for the next chunk', async () => {
    const s = setup();
    const f = new LogFlusher({
      store: s.store,
      coordinator: s.coordinator,
      index: new LocalRequestIndex(WINDOW, () => Date.now()),
      clock: systemClock,
      cache: new ChunkCache(),
      notifier: new LogNotifier(),
      failpoints: s.failpoints,
      batchMaxLines: 3,
      batchMaxBytes: 1 << 20,
      requestIdWindowMs: WINDOW,
    });
    s.failpoints.configure('log.after-chunk-put=pause');
    const held = f.append('a', req(['0']));
    await new Promise((r) => setTimeout(r, 20));
    const rest = [f.append('a', req(['1', '2'])), f.append('a', req(['3'])), f.append('a', req(['4', '5']))];
    s.failpoints.configure('');
    await held;
    await Promise.all(rest);
    expect(await chunkAt(s.inner, 2)).toEqual(['1', '2', '3']);
    expect(await chunkAt(s.inner, 5)).toEqual(['4', '5']);
  });

  test('PUT outcome unknown (it landed, the answer was lost): UNAVAILABLE, and the retry by request id is deduplicated', async () => {
    const s = setup();
    const f = s.flusher();
    s.store.failNext('put', new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'lost answer'), 1, 'after');
    const err = await rejection(f.append('a', req(['"x"', '"y"'], 'rid-1')));
    expect(err.kind).toBe('unavailable');
    expect(await chunkAt(s.inner, 1)).toEqual(['"x"', '"y"']);
    // The next holder finds no memo: the tail and the landed request id come from storage.
    expect(await f.append('a', req(['"x"', '"y"'], 'rid-1'))).toEqual({ first: 1, last: 2, deduplicated: true });
    expect(await f.append('a', req(['"z"']))).toEqual({ first: 3, last: 3, deduplicated: false });
  });

  test('PUT failed before landing: UNAVAILABLE, and the retry writes the lines at the same sequence', async () => {
    const s = setup();
    const f = s.flusher();
    s.store.failNext('put', new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'down'), 1, 'before');
    expect((await rejection(f.append('a', req(['"x"'], 'r')))).kind).toBe('unavailable');
    expect(await f.append('a', req(['"x"'], 'r'))).toEqual({ first: 1, last: 1, deduplicated: false });
  });

  test("create-only conflict (an earlier holder's PUT landed late): the landed chunk is indexed and the batch retried past it", async () => {
    const s = setup();
    const f = s.flusher();
    await f.append('a', req(['1'])); // memo n:2, index marked through 2
    // An earlier holder's chunk at 2, written after our memo was left (its outcome was unknown to it).
    const landed = { first: 2, count: 1, sha: linesSha(['"late"']) };
    await s.inner.put(
      chunkKey('a', 2),
      encodeChunk({ log: 'a', first: 2, timeMs: Date.now(), rids: new Map([['late', landed]]), lines: ['"late"'] }),
    );
    expect(await f.append('a', req(['"fresh"']))).toEqual({ first: 3, last: 3, deduplicated: false });
    expect(s.store.calls.put).toBe(3); // 1, then 2 (refused: it exists), then 3
    expect(await chunkAt(s.inner, 3)).toEqual(['"fresh"']);
    expect(await f.append('a', req(['"late"'], 'late'))).toEqual({ first: 2, last: 2, deduplicated: true });
    expect((await findTail(s.inner, 'a')).next).toBe(4);
  });

  test('the same request id with other lines is REQUEST_ID_REUSED; within one batch a retry shares the answer', async () => {
    const s = setup();
    const f = s.flusher();
    await f.append('a', req(['1'], 'r'));
    const err = await rejection(f.append('a', req(['2'], 'r')));
    expect(err.reason).toBe('REQUEST_ID_REUSED');
    expect(err.field).toBe('request_id');
    s.failpoints.configure('log.after-chunk-put=pause');
    const held = f.append('a', req(['0']));
    await new Promise((r) => setTimeout(r, 20));
    const twins = [f.append('a', req(['"t"'], 'twin')), f.append('a', req(['"t"'], 'twin')), f.append('a', req(['"u"'], 'twin'))];
    s.failpoints.configure('');
    await held;
    const [a, b] = await Promise.all(twins.slice(0, 2));
    expect(a).toEqual({ first: 3, last: 3, deduplicated: false });
    expect(b).toEqual({ first: 3, last: 3, deduplicated: true });
    expect((await rejection(twins[2]!)).reason).toBe('REQUEST_ID_REUSED');
    expect(await chunkAt(s.inner, 3)).toEqual(['"t"']);
  });

  test('a lost request index is rebuilt from chunk headers: a retry after the loss is still deduplicated', async () => {
    const s = setup();
    await s.flusher().append('a', req(['"x"'], 'r1'));
    await s.flusher().append('a', req(['"y"'], 'r2'));
    const fresh = s.flusher(new LocalRequestIndex(WINDOW, () => Date.now())); // Redis restarted empty
    expect(await fresh.append('a', req(['"x"'], 'r1'))).toEqual({ first: 1, last: 1, deduplicated: true });
    expect(await fresh.append('a', req(['"z"'], 'r3'))).toEqual({ first: 3, last: 3, deduplicated: false });
  });

  test('two flushers ("servers") sharing storage and coordination keep sequences dense and each line once', async () => {
    const s = setup();
    const index = new LocalRequestIndex(WINDOW, () => Date.now());
    const servers = [s.flusher(index), s.flusher(index)];
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, w) =>
        (async () => {
          const got: number[] = [];
          for (let i = 0; i < 25; i++) got.push((await servers[w % 2]!.append('a', req([`{"w":${w},"i":${i}}`]))).first);
          return got;
        })(),
      ),
    );
    for (const seqs of results) expect([...seqs].sort((x, y) => x - y)).toEqual(seqs); // per-appender order
    expect(results.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect((await findTail(s.inner, 'a')).next).toBe(201);
  });

  test('an index write that fails after the chunk landed: the append succeeds, no memo is left, and the next writer indexes the chunk', async () => {
    const s = setup();
    const inner = new LocalRequestIndex(WINDOW, () => Date.now());
    let failRecords = 0;
    let lookups = 0;
    const index: RequestIndex = {
      lookup: (log, ids) => {
        lookups++;
        return inner.lookup(log, ids);
      },
      record: async (log, rids, timeMs, through) => {
        if (failRecords > 0 && failRecords-- > 0) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'redis down');
        return inner.record(log, rids, timeMs, through);
      },
      close: () => inner.close(),
    };
    const f = s.flusher(index);
    await f.append('a', req(['1']));
    lookups = 0;
    await f.append('a', req(['2'])); // memo left and no ids: no index lookup at all
    expect(lookups).toBe(0);
    failRecords = 1;
    expect(await f.append('a', req(['"x"'], 'rx'))).toEqual({ first: 3, last: 3, deduplicated: false });
    expect(await f.append('a', req(['"x"'], 'rx'))).toEqual({ first: 3, last: 3, deduplicated: true });
    expect(await f.append('a', req(['4']))).toEqual({ first: 4, last: 4, deduplicated: false });
  });

  test('close refuses later appends with SHUTTING_DOWN', async () => {
    const s = setup();
    const f = s.flusher();
    await f.close();
    expect((await rejection(f.append('a', req(['1'])))).reason).toBe('SHUTTING_DOWN');
  });
});
