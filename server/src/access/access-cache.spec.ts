import { ManualClock } from '../common/manual-clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import type { BlobStore } from '../storage/blob-store.js';
import { AccessCache } from './access-cache.js';
import { AccessStore, type ApiKeyRecord } from './access-store.js';

const record = (id: string): ApiKeyRecord => ({ id, principal: 'p', secretSha256: 'ab', createTimeMs: 0, revoked: false });

/** Counts the reads that reach the store. */
function counting(store: BlobStore): { store: BlobStore; gets: () => number } {
  let gets = 0;
  return {
    store: {
      ...store,
      get: (k, s) => {
        gets++;
        return store.get(k, s);
      },
      head: (k, s) => store.head(k, s),
      put: (k, b, c, s) => store.put(k, b, c, s),
      delete: (k, c, s) => store.delete(k, c, s),
      list: (o, s) => store.list(o, s),
      close: () => store.close(),
    },
    gets: () => gets,
  };
}

describe('AccessCache staleness', () => {
  const id = '0123456789abcdef';

  test('a revocation made through another server is seen once the cached record is maxAgeMs old, not before', async () => {
    const blobs = new MemoryBlobStore();
    const clock = new ManualClock({ startMs: 1_000_000 });
    const other = new AccessStore(blobs); // another server's view of the same storage
    await other.createKey(record(id));
    const cache = new AccessCache({ store: new AccessStore(blobs), clock, maxAgeMs: 5000 });

    expect((await cache.key(id))?.revoked).toBe(false);
    await other.revokeKey(id);
    clock.advance(4999);
    expect((await cache.key(id))?.revoked).toBe(false); // within the bound: the cached record may still answer
    clock.advance(1);
    expect((await cache.key(id))?.revoked).toBe(true); // at the bound: re-read
  });

  test('role and principal changes follow the same bound', async () => {
    const blobs = new MemoryBlobStore();
    const clock = new ManualClock({ startMs: 0 });
    const other = new AccessStore(blobs);
    const cache = new AccessCache({ store: new AccessStore(blobs), clock, maxAgeMs: 1000 });
    expect((await cache.view()).principals.get('ann')).toBeUndefined();
    await other.putPrincipal({ name: 'ann', roles: ['r'], certificateNames: ['CN=ann'] });
    expect((await cache.view()).principals.get('ann')).toBeUndefined();
    clock.advance(1000);
    const view = await cache.view();
    expect(view.principals.get('ann')?.roles).toEqual(['r']);
    expect(view.byCertificateName.get('CN=ann')?.name).toBe('ann');
    expect(view.roles.has('admin')).toBe(true);
  });

  test('refresh re-reads cached keys before they age out; invalidate forgets at once', async () => {
    const blobs = new MemoryBlobStore();
    const clock = new ManualClock({ startMs: 0 });
    const other = new AccessStore(blobs);
    await other.createKey(record(id));
    const cache = new AccessCache({ store: new AccessStore(blobs), clock, maxAgeMs: 60_000 });
    await cache.key(id);
    await other.revokeKey(id);
    await cache.refresh();
    expect((await cache.key(id))?.revoked).toBe(true);

    const id2 = 'fedcba9876543210';
    expect(await cache.key(id2)).toBeUndefined();
    await other.createKey(record(id2));
    expect(await cache.key(id2)).toBeUndefined(); // an unknown id is cached too
    cache.invalidate(id2);
    expect((await cache.key(id2))?.id).toBe(id2);
  });

  test('unknown ids are cached (a flood of made-up ids costs one read each per bound) and the cache is bounded', async () => {
    const c = counting(new MemoryBlobStore());
    const clock = new ManualClock({ startMs: 0 });
    const cache = new AccessCache({ store: new AccessStore(c.store), clock, maxAgeMs: 5000, maxKeys: 2 });
    await cache.key('0000000000000001');
    await cache.key('0000000000000001');
    expect(c.gets()).toBe(1);
    await cache.key('0000000000000002');
    await cache.key('0000000000000003'); // evicts ...01
    await cache.key('0000000000000001');
    expect(c.gets()).toBe(4);
  });

  test('refresh re-reads only known keys used since the last refresh, and drops stale unknown or idle ones', async () => {
    const c = counting(new MemoryBlobStore());
    const clock = new ManualClock({ startMs: 0 });
    const store = new AccessStore(c.store);
    await store.createKey(record(id));
    const cache = new AccessCache({ store, clock, maxAgeMs: 1000 });
    await cache.key(id);
    await cache.key('0000000000000009'); // unknown
    const before = c.gets();
    await cache.refresh();
    expect(c.gets() - before).toBe(1); // the used known key only (the snapshot lists, it does not get keys)
    await cache.refresh();
    expect(c.gets() - before).toBe(1); // not used since: not re-read
    clock.advance(1000);
    await cache.refresh(); // both stale: dropped
    await cache.key(id);
    await cache.key('0000000000000009');
    expect(c.gets() - before).toBe(3); // re-read on demand
  });

  test('concurrent lookups of one id share one read', async () => {
    const c = counting(new MemoryBlobStore());
    const cache = new AccessCache({ store: new AccessStore(c.store), clock: new ManualClock(), maxAgeMs: 5000 });
    await Promise.all([cache.key(id), cache.key(id), cache.key(id)]);
    expect(c.gets()).toBe(1);
  });

  test('a failed re-read fails the lookup rather than serving the stale record', async () => {
    const blobs = new MemoryBlobStore();
    const clock = new ManualClock({ startMs: 0 });
    await new AccessStore(blobs).createKey(record(id));
    let fail = false;
    const flaky: BlobStore = {
      get: (k, s) => (fail ? Promise.reject(new Error('storage down')) : blobs.get(k, s)),
      head: (k, s) => blobs.head(k, s),
      put: (k, b, c, s) => blobs.put(k, b, c, s),
      delete: (k, c, s) => blobs.delete(k, c, s),
      list: (o, s) => blobs.list(o, s),
      close: () => blobs.close(),
    };
    const cache = new AccessCache({ store: new AccessStore(flaky), clock, maxAgeMs: 100 });
    await cache.key(id);
    fail = true;
    clock.advance(100);
    await expect(cache.key(id)).rejects.toThrow('storage down');
  });
});
