import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobMeta, type BlobStore, type WriteCondition } from './blob-store.js';
import { LockedConditionsStore } from './locked-conditions.js';
import { MemoryBlobStore } from './memory/memory-store.js';

/** A store that ignores conditions and yields between its steps, like a lax S3 endpoint. */
class LaxStore extends MemoryBlobStore {
  /** Calls that reached this store, by op. */
  readonly calls = { head: 0, put: 0, delete: 0 };
  /** When set, the next put throws it after writing (an answer lost on the way back). */
  failNextPut: Error | undefined;
  /** When set, every put waits this long first (ms, real time). */
  putDelayMs = 0;
  override async head(key: string, signal?: AbortSignal): Promise<BlobMeta | undefined> {
    this.calls.head++;
    return super.head(key, signal);
  }
  override async put(key: string, body: Uint8Array, _c?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    this.calls.put++;
    await new Promise((r) => setTimeout(r, this.putDelayMs));
    const meta = await super.put(key, body, undefined, signal);
    const fail = this.failNextPut;
    this.failNextPut = undefined;
    if (fail !== undefined) throw fail;
    return meta;
  }
  override async delete(key: string, _c?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    this.calls.delete++;
    return super.delete(key, undefined, signal);
  }
}

describe('LockedConditionsStore', () => {
  let inner: LaxStore;
  let coordinator: LocalCoordinator;
  let store: BlobStore;
  beforeEach(() => {
    inner = new LaxStore();
    coordinator = new LocalCoordinator();
    store = new LockedConditionsStore(inner, coordinator);
  });

  it('enforces ifNoneMatch, ifMatch and conditional delete over a store that ignores them', async () => {
    const v1 = await store.put('k', Buffer.from('1'), { ifNoneMatch: true });
    await expect(store.put('k', Buffer.from('2'), { ifNoneMatch: true })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(store.put('k', Buffer.from('2'), { ifMatch: 'nope' })).rejects.toMatchObject({ currentEtag: v1.etag });
    await expect(store.put('missing', Buffer.from('2'), { ifMatch: v1.etag })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(store.delete('k', { ifMatch: 'nope' })).rejects.toBeInstanceOf(ConditionFailedError);
    expect((await inner.head('k'))?.etag).toBe(v1.etag);
    const v2 = await store.put('k', Buffer.from('2'), { ifMatch: v1.etag });
    expect(await store.delete('k', { ifMatch: v2.etag })).toBe(true);
    expect(await store.delete('k')).toBe(false);
  });

  it('16 concurrent ifMatch puts with one etag over the lax store → exactly one wins', async () => {
    const base = await store.put('k', Buffer.from('base'));
    const results = await Promise.allSettled(
      Array.from({ length: 16 }, (_, i) => store.put('k', Buffer.from(`w${i}`), { ifMatch: base.etag })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    // Without the wrapper the same race lets several through (proves the race is real):
    const rawBase = await inner.put('r', Buffer.from('base'));
    const raw = await Promise.allSettled(
      Array.from({ length: 16 }, async (_, i) => {
        const cur = await inner.head('r');
        if (cur?.etag !== rawBase.etag) throw new ConditionFailedError('r');
        return inner.put('r', Buffer.from(`w${i}`));
      }),
    );
    expect(raw.filter((r) => r.status === 'fulfilled').length).toBeGreaterThan(1);
  });

  it('takes the mutex blob:<key> for every write, conditional or not, and none for reads', async () => {
    const names: string[] = [];
    const spy = jest.spyOn(coordinator, 'acquireMutex').mockImplementation(function (this: LocalCoordinator, name, options) {
      names.push(name);
      return LocalCoordinator.prototype.acquireMutex.call(this, name, options);
    });
    await store.put('a', Buffer.from('1'));
    await store.put('a', Buffer.from('2'), { ifNoneMatch: true }).catch(() => undefined);
    await store.delete('a');
    await store.get('a');
    await store.head('a');
    await store.list({ prefix: '', limit: 10 });
    expect(names).toEqual(['blob:a', 'blob:a', 'blob:a']);
    spy.mockRestore();
  });

  it('a busy mutex past waitMs → aborted CONCURRENT_MODIFICATION, and nothing is written', async () => {
    const short = new LockedConditionsStore(inner, coordinator, { waitMs: 30, keyPrefix: 'x:' });
    const held = await coordinator.acquireMutex('x:k', { ttlMs: 1000, waitMs: 0 });
    await expect(short.put('k', Buffer.from('1'))).rejects.toMatchObject({ kind: 'aborted', reason: 'CONCURRENT_MODIFICATION' });
    expect(await inner.head('k')).toBeUndefined();
    await held.release();
  });

  it('refuses to write when the lease is nearly spent after the check', async () => {
    let now = 1_000_000;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    const slowHead = jest.spyOn(inner, 'head').mockImplementation(async () => {
      now += 9_000; // the check took 9 of the 10 s lease
      return undefined;
    });
    const err = await store.put('k', Buffer.from('1'), { ifNoneMatch: true }).catch((e: unknown) => e);
    clock.mockRestore();
    slowHead.mockRestore();
    expect(err).toBeInstanceOf(DbError);
    expect(err).toMatchObject({ kind: 'unavailable' });
    expect(await inner.get('k')).toBeUndefined();
  });

  describe('the etag memo beside the mutex', () => {
    const calls = (): string => `${inner.calls.head} head, ${inner.calls.put} put`;
    const reset = (): void => {
      inner.calls.head = 0;
      inner.calls.put = 0;
      inner.calls.delete = 0;
    };

    it('a cold conditional write is head + put; each following one with the known etag is one put', async () => {
      const v1 = await inner.put('k', Buffer.from('v1'));
      reset();
      let etag = (await store.put('k', Buffer.from('v2'), { ifMatch: v1.etag })).etag;
      expect(calls()).toBe('1 head, 1 put');
      for (let i = 3; i < 8; i++) etag = (await store.put('k', Buffer.from(`v${i}`), { ifMatch: etag })).etag;
      expect(calls()).toBe('1 head, 6 put');
      expect((await inner.head('k'))?.etag).toBe(etag);
    });

    it('a stale etag fails against the memo with the current etag, and the failure keeps the memo warm', async () => {
      const v1 = await store.put('k', Buffer.from('v1'), { ifNoneMatch: true });
      const v2 = await store.put('k', Buffer.from('v2'), { ifMatch: v1.etag });
      reset();
      await expect(store.put('k', Buffer.from('x'), { ifMatch: v1.etag })).rejects.toMatchObject({ currentEtag: v2.etag });
      await expect(store.put('k', Buffer.from('x'), { ifNoneMatch: true })).rejects.toMatchObject({ currentEtag: v2.etag });
      await expect(store.delete('k', { ifMatch: v1.etag })).rejects.toMatchObject({ currentEtag: v2.etag });
      await store.put('k', Buffer.from('v3'), { ifMatch: v2.etag });
      expect(calls()).toBe('0 head, 1 put');
    });

    it('another store on the same coordinator (another server) writes: the next write sees its etag, never the older one', async () => {
      const other = new LockedConditionsStore(inner, coordinator);
      const v1 = await store.put('k', Buffer.from('v1'), { ifNoneMatch: true });
      const v2 = await other.put('k', Buffer.from('v2'), { ifMatch: v1.etag });
      await expect(store.put('k', Buffer.from('lost?'), { ifMatch: v1.etag })).rejects.toMatchObject({ currentEtag: v2.etag });
      await other.put('k', Buffer.from('v3')); // unconditional writes leave their etag too
      await expect(store.put('k', Buffer.from('lost?'), { ifMatch: v2.etag })).rejects.toBeInstanceOf(ConditionFailedError);
      expect(Buffer.from((await inner.get('k'))!.body).toString()).toBe('v3');
    });

    it('a delete leaves "absent": a create after it is one put, an ifMatch after it fails without a head', async () => {
      const v1 = await store.put('k', Buffer.from('v1'), { ifNoneMatch: true });
      expect(await store.delete('k', { ifMatch: v1.etag })).toBe(true);
      reset();
      await expect(store.put('k', Buffer.from('x'), { ifMatch: v1.etag })).rejects.toMatchObject({ currentEtag: undefined });
      await store.put('k', Buffer.from('v2'), { ifNoneMatch: true });
      expect(calls()).toBe('0 head, 1 put');
    });

    it('a put whose answer failed (outcome unknown) leaves no memo: the next conditional write asks the store', async () => {
      const v1 = await store.put('k', Buffer.from('v1'), { ifNoneMatch: true });
      inner.failNextPut = new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'answer lost');
      await expect(store.put('k', Buffer.from('v2'), { ifMatch: v1.etag })).rejects.toMatchObject({ kind: 'unavailable' });
      reset();
      // v2 was written after all: the old etag must not pass (it would with a memo of v1 kept).
      await expect(store.put('k', Buffer.from('lost?'), { ifMatch: v1.etag })).rejects.toBeInstanceOf(ConditionFailedError);
      expect(calls()).toBe('1 head, 0 put');
      expect(Buffer.from((await inner.get('k'))!.body).toString()).toBe('v2');
    });

    it('a holder whose lease ran out during its put leaves no memo', async () => {
      const short = new LockedConditionsStore(inner, coordinator, { ttlMs: 200 });
      const v1 = await short.put('k', Buffer.from('v1'), { ifNoneMatch: true });
      inner.putDelayMs = 400;
      const v2 = await short.put('k', Buffer.from('v2'), { ifMatch: v1.etag });
      inner.putDelayMs = 0;
      reset();
      await short.put('k', Buffer.from('v3'), { ifMatch: v2.etag });
      expect(calls()).toBe('1 head, 1 put');
    });

    it('a memo that expired is not used', async () => {
      const brief = new LockedConditionsStore(inner, coordinator, { memoTtlMs: 20 });
      const v1 = await brief.put('k', Buffer.from('v1'), { ifNoneMatch: true });
      await new Promise((r) => setTimeout(r, 60));
      reset();
      await brief.put('k', Buffer.from('v2'), { ifMatch: v1.etag });
      expect(calls()).toBe('1 head, 1 put');
    });
  });
});
