/**
 * How many SEQUENTIAL storage round trips a Commit waits for before it
 * answers (issue 11, item 4; docs/adr/0011-commit-cleanup-after-response.md).
 *
 * The store is wrapped by a counter that gives every call a depth: 1 + the
 * deepest call that had completed when it started. Calls issued together
 * (the n reads, the n staging writes) share a depth, so the deepest call
 * made before the answer is the Commit's critical path in storage round
 * trips: the figure that multiplies the RTT to S3. Every call takes one
 * macrotask, so calls issued in the same burst overlap as they would on a
 * network. Coordination (mutexes, index steps) is not counted here.
 *
 * The figures, and why:
 *   without request_id, n ≥ 2:  5 = read the n documents · create the intent ·
 *     stage the n documents · flip the intent (commit point) · write the n
 *     final states (their etags are the answer). Before ADR 0011: 6 (+ the
 *     intent delete).
 *   with request_id:           5 = the same 5: the request lookup (2 keys)
 *     runs beside the document reads, the request record is written beside
 *     the staging writes. Before: 10 (+ the lookup before the reads, + the
 *     record written after staging, + read and rewrite of the record to
 *     complete it, + the intent delete).
 * So n + 2 holds for n ≥ 3. A Commit of 2 writes stays at 5 (n + 3), and
 * one with a request_id at 5 (n + 4): each of the 5 steps waits for the one
 * before (the intent names the etags read, staging must follow the intent,
 * the flip must follow the staging, the final writes' etags are the answer);
 * fewer would need a different protocol (e.g. etags known before the write,
 * or a one-document request_id path), not a different schedule.
 * A Commit of 1 without a request_id is a single conditional write: 2 (read, write).
 */
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { LocalIndexStore } from '../index/local/local-index-store.js';
import { IndexWriteHooks } from '../index/write-hooks.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import type { Blob, BlobMeta, BlobStore, ListOptions, ListPage, WriteCondition } from '../storage/blob-store.js';
import { DocumentEngine } from '../engine/document-engine.js';
import { Failpoints } from '../common/failpoints.js';
import type { TxnWrite } from '../api/document-api.js';

/** One storage call as the counter saw it. */
interface Call {
  readonly op: string;
  readonly key: string;
  readonly depth: number;
}

/** A BlobStore that records every call with its depth on the critical path. */
class RoundTripCounter implements BlobStore {
  readonly calls: Call[] = [];
  private completedDepth = 0;

  constructor(private readonly inner: BlobStore) {}

  /** Forgets the calls so far; depths start again from 0. */
  reset(): void {
    this.calls.length = 0;
    this.completedDepth = 0;
  }

  /** The deepest call recorded: sequential round trips. */
  depth(): number {
    return Math.max(0, ...this.calls.map((c) => c.depth));
  }

  get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.count('get', key, () => this.inner.get(key, signal));
  }
  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.count('head', key, () => this.inner.head(key, signal));
  }
  put(key: string, body: Uint8Array, condition?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    return this.count('put', key, () => this.inner.put(key, body, condition, signal));
  }
  delete(key: string, condition?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.count('delete', key, () => this.inner.delete(key, condition, signal));
  }
  list(options: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    return this.count('list', options.prefix, () => this.inner.list(options, signal));
  }
  close(): Promise<void> {
    return this.inner.close();
  }

  private async count<T>(op: string, key: string, call: () => Promise<T>): Promise<T> {
    const depth = this.completedDepth + 1;
    this.calls.push({ op, key, depth });
    try {
      await new Promise((r) => setImmediate(r)); // one network hop: calls issued together overlap
      return await call();
    } finally {
      this.completedDepth = Math.max(this.completedDepth, depth);
    }
  }
}

const ctx = { signal: new AbortController().signal };

function setup(memory = new MemoryBlobStore()) {
  const counter = new RoundTripCounter(memory);
  const failpoints = new Failpoints();
  const engine = new DocumentEngine({
    store: counter,
    coordinator: new LocalCoordinator(),
    hooks: new IndexWriteHooks(new LocalIndexStore()),
    failpoints,
  });
  return { counter, failpoints, engine };
}

const sets = (n: number, round: number): TxnWrite[] =>
  Array.from({ length: n }, (_, i) => ({ collection: 'rt', id: `d${i}`, op: 'set' as const, data: { round, i } }));

/**
 * Commits `n` sets over existing documents; returns the round trips before
 * the answer, and what ran after it (held at txn.after-response until the
 * answer was counted).
 */
async function measure(n: number, requestId: string | undefined) {
  // The documents exist (a commit over them is the common case), written by another engine.
  const memory = new MemoryBlobStore();
  const seeding = new DocumentEngine({ store: memory, coordinator: new LocalCoordinator() });
  await seeding.commit(ctx, { writes: sets(n, 0) });
  await seeding.drainTransactionCleanup(5000);
  const { counter, failpoints, engine } = setup(memory);
  failpoints.configure('txn.after-response=pause');
  const result = await engine.commit(ctx, { writes: sets(n, 1), ...(requestId ? { requestId } : {}) });
  const answered = { depth: counter.depth(), calls: [...counter.calls] };
  counter.reset();
  failpoints.configure('');
  expect(await engine.drainTransactionCleanup(5000)).toMatchObject({ abandoned: 0 });
  return { result, answered, after: counter.calls };
}

/** The calls as "op prefix" at each depth, for a readable failure. */
function byDepth(calls: readonly Call[]): string[][] {
  const out: string[][] = [];
  for (const c of calls) (out[c.depth - 1] ??= []).push(`${c.op} ${c.key.split('/').slice(0, 2).join('/')}`);
  return out.map((level) => [...new Set(level)].sort());
}

describe('sequential storage round trips of a Commit before its answer', () => {
  test('Commit of 10 without request_id: 5 (≤ n + 2); the intent delete runs after the answer', async () => {
    const { answered, after, result } = await measure(10, undefined);
    expect(byDepth(answered.calls)).toEqual([
      ['get docs/rt'],
      ['put _txn/intents'],
      ['put docs/rt'],
      ['put _txn/intents'],
      ['put docs/rt'],
    ]);
    expect(answered.depth).toBeLessThanOrEqual(10 + 2);
    expect(after.map((c) => `${c.op} ${c.key}`)).toEqual([`delete _txn/intents/${result.transactionId}`]);
  });

  test('Commit of 10 with request_id: 5 (≤ n + 2); the request record is completed and the intent deleted after the answer', async () => {
    const { answered, after, result } = await measure(10, 'req-10');
    expect(byDepth(answered.calls)).toEqual([
      ['get _txn/requests', 'get docs/rt'],
      ['put _txn/intents'],
      ['put _txn/requests', 'put docs/rt'],
      ['put _txn/intents'],
      ['put docs/rt'],
    ]);
    expect(answered.depth).toBeLessThanOrEqual(10 + 2);
    expect(byDepth(after)).toEqual([['get _txn/requests'], ['put _txn/requests'], ['delete _txn/intents']]);
    expect(after.find((c) => c.op === 'delete')?.key).toBe(`_txn/intents/${result.transactionId}`);
  });

  test.each([
    [1, 5],
    [2, 5],
  ])('Commit of %i with request_id: %i (above n + 2, see the header for why)', async (n, expected) => {
    const { answered } = await measure(n, `req-${n}`);
    expect(answered.depth).toBe(expected);
  });

  test('Commit of 2 without request_id: 5 (n + 3)', async () => {
    expect((await measure(2, undefined)).answered.depth).toBe(5);
  });

  test('Commit of 1 without request_id is one conditional write: 2 (read, write), nothing after', async () => {
    const { answered, after } = await measure(1, undefined);
    expect(byDepth(answered.calls)).toEqual([['get docs/rt'], ['put docs/rt']]);
    expect(after).toEqual([]);
  });

  test('the answer is the truth while the cleanup is held: documents read back with its etags; a retry gets the same result', async () => {
    const { counter, failpoints, engine } = setup();
    failpoints.configure('txn.after-response=pause');
    const result = await engine.commit(ctx, { writes: sets(3, 1), requestId: 'held' });
    expect((await counter.list({ prefix: '_txn/intents/', limit: 10 })).keys).toEqual([`_txn/intents/${result.transactionId}`]);
    for (const r of result.results) expect((await engine.get(ctx, r.collection, r.id)).etag).toBe(r.etag);
    // A retry while the cleanup is held finishes the transaction itself (recovery) and answers the same.
    expect(await engine.commit(ctx, { writes: sets(3, 1), requestId: 'held' })).toEqual(result);
    failpoints.configure('');
    expect(await engine.drainTransactionCleanup(5000)).toEqual({ finished: 1, abandoned: 0 });
    expect((await counter.list({ prefix: '_txn/intents/', limit: 10 })).keys).toEqual([]);
    expect(await engine.commit(ctx, { writes: sets(3, 1), requestId: 'held' })).toEqual(result);
  });
});
