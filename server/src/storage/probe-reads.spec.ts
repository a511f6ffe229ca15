import { randomBytes } from 'node:crypto';
import type { Blob } from './blob-store.js';
import { MemoryBlobStore } from './memory/memory-store.js';
import { probeEtagShape, raceReads, READ_RACE } from './probe-reads.js';
import { TornReadsStore } from './torn-reads-store.js';
import { md5Hex } from './verified-reads.js';

const body = (): Uint8Array => randomBytes(16);

describe('probeEtagShape', () => {
  test('MD5 etags and a digest where the store has them; neither on the plain memory store', async () => {
    await expect(probeEtagShape(new TornReadsStore(new MemoryBlobStore({ etag: md5Hex })), 'k', body())).resolves.toEqual({
      md5Etags: true,
      digestMetadata: true,
    });
    await expect(probeEtagShape(new MemoryBlobStore(), 'k', body())).resolves.toEqual({ md5Etags: false, digestMetadata: false });
  });
});

describe('raceReads', () => {
  test('an atomic store passes', async () => {
    await expect(raceReads(new MemoryBlobStore(), 'k', { ...READ_RACE, body })).resolves.toBe(true);
  });

  test('a store that returns the previous body with the current etag fails, with the count', async () => {
    const store = new TornReadsStore(new MemoryBlobStore({ etag: md5Hex })).tearAll(1_000);
    await expect(raceReads(store, 'k', { ...READ_RACE, body })).resolves.toMatch(/^\d+ of \d+ concurrent gets returned a body/);
  });

  test('a store error propagates after every racer stopped', async () => {
    const store = new MemoryBlobStore();
    let gets = 0;
    store.get = (): Promise<Blob | undefined> => (++gets === 3 ? Promise.reject(new Error('boom')) : Promise.resolve(undefined));
    await expect(raceReads(store, 'k', { ...READ_RACE, body })).rejects.toThrow('boom');
  });
});
