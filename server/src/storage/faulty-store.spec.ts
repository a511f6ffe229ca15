import { MemoryBlobStore } from './memory/memory-store.js';
import { DbError } from '../errors/db-error.js';
import { FaultyBlobStore } from './faulty-store.js';

const unavailable = (): DbError => new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'injected');

describe('FaultyBlobStore', () => {
  it('passes calls through and counts them', async () => {
    const store = new FaultyBlobStore(new MemoryBlobStore());
    await store.put('k', Buffer.from('1'));
    expect((await store.get('k'))?.body).toEqual(Uint8Array.from(Buffer.from('1')));
    expect(store.calls).toMatchObject({ put: 1, get: 1, head: 0 });
  });

  it('fails the next N calls of one op before the inner call, then recovers', async () => {
    const inner = new MemoryBlobStore();
    const store = new FaultyBlobStore(inner).failNext('put', unavailable, 2);
    await expect(store.put('k', Buffer.from('1'))).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(store.get('k')).resolves.toBeUndefined(); // other ops unaffected
    await expect(store.put('k', Buffer.from('2'))).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await inner.head('k')).toBeUndefined(); // nothing was written
    await store.put('k', Buffer.from('3'));
    expect(store.pendingFaults).toBe(0);
  });

  it("'after' timing applies the change and loses the answer", async () => {
    const inner = new MemoryBlobStore();
    const store = new FaultyBlobStore(inner).failNext('*', unavailable(), 1, 'after');
    await expect(store.put('k', Buffer.from('1'))).rejects.toBeInstanceOf(DbError);
    expect(await inner.head('k')).toBeDefined();
  });

  it('clear() drops queued faults', async () => {
    const store = new FaultyBlobStore(new MemoryBlobStore()).failNext('list', unavailable, 5);
    store.clear();
    await expect(store.list({ prefix: '', limit: 1 })).resolves.toEqual({ keys: [], isTruncated: false });
  });
});
