/**
 * Recovery from a server that died in the middle of a Commit: engine A (the
 * owner) loses its storage at a chosen step, as a killed process would stop;
 * engine B (another server on the same storage and indexes) must then show
 * every client all of the transaction or none of it, and finish it.
 */
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { LocalIndexStore } from '../index/local/local-index-store.js';
import { DbError } from '../errors/db-error.js';
import { IndexWriteHooks } from '../index/write-hooks.js';
import type { Blob, BlobMeta, BlobStore, ListOptions, ListPage, WriteCondition } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DocumentEngine } from '../engine/document-engine.js';
import type { CommitInput } from '../api/document-api.js';
import { ManualClock } from '../common/manual-clock.js';

const ctx = { signal: new AbortController().signal };

/** Where the owner dies: before or after the first storage call matching `when` (later calls all fail). */
type DeathPoint = { readonly when: (op: string, key: string, condition?: WriteCondition) => boolean; readonly timing: 'before' | 'after' };

/** A store that works until its death point, then fails every call (the process is gone). */
class DyingStore implements BlobStore {
  dead = false;
  constructor(
    private readonly inner: BlobStore,
    private readonly death: DeathPoint,
  ) {}
  get(key: string, signal?: AbortSignal): Promise<Blob | undefined> {
    return this.run('get', key, undefined, () => this.inner.get(key, signal));
  }
  head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    return this.run('head', key, undefined, () => this.inner.head(key, signal));
  }
  put(key: string, body: Uint8Array, c?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    return this.run('put', key, c, () => this.inner.put(key, body, c, signal));
  }
  delete(key: string, c?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.run('delete', key, c, () => this.inner.delete(key, c, signal));
  }
  list(o: ListOptions, signal?: AbortSignal): Promise<ListPage> {
    return this.run('list', o.prefix, undefined, () => this.inner.list(o, signal));
  }
  async close(): Promise<void> {}
  private async run<T>(op: string, key: string, c: WriteCondition | undefined, fn: () => Promise<T>): Promise<T> {
    if (this.dead) throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'process gone');
    if (!this.death.when(op, key, c)) return fn();
    this.dead = true;
    if (this.death.timing === 'after') await fn();
    throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'process gone');
  }
}

const isFlip = (op: string, key: string, c?: WriteCondition): boolean =>
  op === 'put' && key.startsWith('_txn/intents/') && c?.ifMatch !== undefined;

function setup(death: DeathPoint) {
  const shared = new MemoryBlobStore();
  const indexes = new LocalIndexStore();
  // Waits cost no real time: a blocked writer's sleeps move the clock (30 ms of them, far from the 5 s expiry).
  const clock = new ManualClock({ startMs: Date.parse('2026-11-26T12:00:00Z'), autoAdvance: true });
  const options = { hooks: new IndexWriteHooks(indexes), clock, txnTimeoutMs: 5_000, txnWriterWaitMs: 30 };
  const owner = new DocumentEngine({ store: new DyingStore(shared, death), coordinator: new LocalCoordinator(), ...options });
  const other = new DocumentEngine({ store: shared, coordinator: new LocalCoordinator(), ...options });
  const advance = (ms: number): void => {
    clock.advance(ms);
  };
  return { shared, indexes, owner, other, advance };
}

/** a: 1 → 2, b: created, c: deleted, k: checked. */
async function seed(engine: DocumentEngine): Promise<CommitInput> {
  const a = await engine.put(ctx, { collection: 'acc', id: 'a', data: { n: 1 } });
  await engine.put(ctx, { collection: 'acc', id: 'c', data: { n: 3 } });
  const k = await engine.put(ctx, { collection: 'cfg', id: 'k', data: { on: true } });
  return {
    requestId: 'req-1',
    writes: [
      { collection: 'acc', id: 'a', op: 'set', data: { n: 2 }, precondition: { etag: a.etag } },
      { collection: 'log', id: 'b', op: 'set', data: { n: 20 }, precondition: { exists: false } },
      { collection: 'acc', id: 'c', op: 'delete' },
      { collection: 'cfg', id: 'k', op: 'check', precondition: { etag: k.etag } },
    ],
  };
}

async function visible(engine: DocumentEngine): Promise<[unknown, unknown, boolean, unknown]> {
  const a = await engine.get(ctx, 'acc', 'a');
  const b = await engine.exists(ctx, 'log', 'b');
  const c = await engine.exists(ctx, 'acc', 'c');
  const k = await engine.get(ctx, 'cfg', 'k');
  return [a.data, b.exists ? (await engine.get(ctx, 'log', 'b')).data : undefined, c.exists, k.data];
}

const BEFORE: [unknown, unknown, boolean, unknown] = [{ n: 1 }, undefined, true, { on: true }];
const AFTER: [unknown, unknown, boolean, unknown] = [{ n: 2 }, { n: 20 }, false, { on: true }];

async function storedKeys(store: BlobStore, prefix: string): Promise<string[]> {
  return (await store.list({ prefix, limit: 1000 })).keys;
}

/** True when no stored document carries a transaction marker. */
async function noMarkers(store: BlobStore): Promise<boolean> {
  for (const key of await storedKeys(store, 'docs/')) {
    const blob = await store.get(key);
    if (blob !== undefined && Buffer.from(blob.body).toString('utf8').includes('"txn":')) return false;
  }
  return true;
}

describe('transaction recovery', () => {
  test('owner dies before the commit point: others see none of it, single writes wait, expiry rolls it back', async () => {
    const { shared, owner, other, advance } = setup({ when: isFlip, timing: 'before' });
    const input = await seed(other);
    const etagA = (await other.get(ctx, 'acc', 'a')).etag;
    await expect(owner.commit(ctx, input)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await noMarkers(shared)).toBe(false); // staged and left behind
    expect(await visible(other)).toEqual(BEFORE);
    expect((await other.get(ctx, 'acc', 'a')).etag).toBe(etagA); // the etag from before the transaction
    const blocked = await other.put(ctx, { collection: 'acc', id: 'a', data: { n: 9 } }).catch((e: unknown) => e);
    expect(blocked).toMatchObject({ kind: 'aborted', reason: 'TRANSACTION_CONTENTION' });
    const blockedDelete = await other.delete(ctx, { collection: 'acc', id: 'c' }).catch((e: unknown) => e);
    expect(blockedDelete).toMatchObject({ reason: 'TRANSACTION_CONTENTION' });
    expect(await other.recoverTransactions()).toMatchObject({ live: 1, committed: 0, aborted: 0 });
    advance(6_000); // past the intent's expiry
    expect(await other.recoverTransactions()).toMatchObject({ aborted: 1 });
    expect(await visible(other)).toEqual(BEFORE);
    expect((await other.get(ctx, 'acc', 'a')).etag).toBe(etagA); // rolled back byte for byte
    expect(await storedKeys(shared, '_txn/intents/')).toEqual([]);
    expect(await noMarkers(shared)).toBe(true);
    await other.put(ctx, { collection: 'acc', id: 'a', data: { n: 9 } });
  });

  test('a reader meeting an expired pending transaction rolls it back itself', async () => {
    const { shared, owner, other, advance } = setup({ when: isFlip, timing: 'before' });
    const input = await seed(other);
    await expect(owner.commit(ctx, input)).rejects.toMatchObject({ kind: 'unavailable' });
    advance(6_000);
    expect(await visible(other)).toEqual(BEFORE);
    expect(await storedKeys(shared, '_txn/intents/')).toEqual([]);
    expect(await noMarkers(shared)).toBe(true);
  });

  test('owner dies right after the commit point: others see all of it, and recovery finishes documents, indexes and the request record', async () => {
    const { shared, indexes, owner, other } = setup({ when: isFlip, timing: 'after' });
    await indexes.createIndex({ collection: 'log', name: 'n', fields: ['n'], kind: 'ordered' }, new Date());
    await indexes.setIndexState('log', 'n', { state: 'ready' });
    const input = await seed(other);
    await expect(owner.commit(ctx, input)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await visible(other)).toEqual(AFTER);
    const retried = await other.commit(ctx, input); // the client's retry with the same request_id
    expect(await storedKeys(shared, '_txn/intents/')).toEqual([]);
    expect(retried.results.map((r) => [r.id, r.version])).toEqual([
      ['a', 2],
      ['b', 1],
      ['c', 0],
      ['k', 1],
    ]);
    expect((await other.get(ctx, 'acc', 'a')).version).toBe(2); // applied once, not twice
    expect(await indexes.ids('log', { op: 'all' })).toEqual(['b']);
    expect(await noMarkers(shared)).toBe(true);
    expect(await other.commit(ctx, input)).toEqual(retried);
  });

  test('owner dies halfway through applying: the sweep rolls the rest forward', async () => {
    let applied = 0;
    const { shared, owner, other } = setup({
      when: (op, key) => op === 'put' && key === 'docs/log/b' && ++applied === 2, // the 2nd put of b is its final write
      timing: 'before',
    });
    const input = await seed(other);
    await expect(owner.commit(ctx, input)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await other.recoverTransactions()).toMatchObject({ committed: 1 });
    expect(await noMarkers(shared)).toBe(true);
    expect(await visible(other)).toEqual(AFTER);
  });

  test('a marker whose intent is gone is an orphan of a transaction that never committed: readers roll it back', async () => {
    const { shared, owner, other } = setup({ when: isFlip, timing: 'before' });
    const input = await seed(other);
    await expect(owner.commit(ctx, input)).rejects.toMatchObject({ kind: 'unavailable' });
    for (const key of await storedKeys(shared, '_txn/intents/')) await shared.delete(key);
    expect(await visible(other)).toEqual(BEFORE);
    expect(await noMarkers(shared)).toBe(true);
    expect(await storedKeys(shared, 'docs/log/')).toEqual([]); // the placeholder of b is gone too
  });

  test('a failing step before the commit point undoes everything at once (no waiting for expiry)', async () => {
    const store = new MemoryBlobStore();
    const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store });
    const input = await seed(engine);
    // The lock guard check runs after staging: a stale guard must roll the staged documents back.
    const e = await engine.commit(ctx, { ...input, lockGuard: { name: 'L', fencingToken: 1n } }).catch((x: unknown) => x);
    expect(e).toMatchObject({ reason: 'INVALID_ARGUMENT', field: 'lock_guard' });
    expect(await visible(engine)).toEqual(BEFORE);
    expect(await storedKeys(store, '_txn/')).toEqual([]);
    expect(await noMarkers(store)).toBe(true);
  });
});
