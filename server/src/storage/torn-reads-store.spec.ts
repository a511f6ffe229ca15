import { MemoryBlobStore } from './memory/memory-store.js';
import { TornReadsStore } from './torn-reads-store.js';
import { md5Hex } from './verified-reads.js';

const bytes = (s: string): Uint8Array => Buffer.from(s);

describe('TornReadsStore', () => {
  test('tear(key, k): the next k gets return the previous body with the current etag and digest, then honest ones', async () => {
    const store = new TornReadsStore(new MemoryBlobStore());
    await store.put('k', bytes('one'));
    const two = await store.put('k', bytes('two'));
    store.tear('k', 2);
    const torn = { body: bytes('one'), etag: two.etag, contentMd5: md5Hex(bytes('two')) };
    await expect(store.get('k')).resolves.toEqual(torn);
    await expect(store.get('k')).resolves.toEqual(torn);
    await expect(store.get('k')).resolves.toEqual({ body: bytes('two'), etag: two.etag, contentMd5: md5Hex(bytes('two')) });
    expect(store.tornServed.get('k')).toBe(2);
    expect(store.gets.get('k')).toBe(3);
  });

  test('a key with one version only, or a missing key, is never torn', async () => {
    const store = new TornReadsStore(new MemoryBlobStore()).tearAll(5);
    await store.put('k', bytes('one'));
    await expect(store.get('k')).resolves.toMatchObject({ body: bytes('one') });
    await expect(store.get('missing')).resolves.toBeUndefined();
  });
});
