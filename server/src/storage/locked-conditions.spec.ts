import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError, type BlobMeta, type BlobStore, type WriteCondition } from './blob-store.js';
import { LockedConditionsStore } from './locked-conditions.js';
import { MemoryBlobStore } from './memory/memory-store.js';

/** A store that ignores conditions and yields between its steps, like a lax S3 endpoint. */
class LaxStore extends MemoryBlobStore {
  override async put(key: string, body: Uint8Array, _c?: WriteCondition, signal?: AbortSignal): Promise<BlobMeta> {
    await new Promise((r) => setImmediate(r));
    return super.put(key, body, undefined, signal);
  }
  override async delete(key: string, _c?: Pick<WriteCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
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
});
