import { MemoryBlobStore } from './memory/memory-store.js';
import { ForwardingBlobStore } from './forwarding-store.js';

describe('ForwardingBlobStore', () => {
  test('every operation reaches the inner store with its arguments and answers as it does', async () => {
    const inner = new MemoryBlobStore();
    const f = new ForwardingBlobStore(inner);
    const body = new TextEncoder().encode('x');
    const put = await f.put('a/1', body, { ifNoneMatch: true });
    expect(await inner.head('a/1')).toEqual(put);
    expect((await f.get('a/1'))?.etag).toBe(put.etag);
    expect(await f.head('a/1')).toEqual(put);
    await expect(f.put('a/1', body, { ifNoneMatch: true })).rejects.toThrow(); // the condition went through
    expect((await f.list({ prefix: 'a/', limit: 10 })).keys).toEqual(['a/1']);
    expect(await f.delete('a/1', { ifMatch: put.etag })).toBe(true);
    expect(await inner.get('a/1')).toBeUndefined();
    await f.close();
  });
});
