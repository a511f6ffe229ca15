import { MemoryBlobStore } from '../../storage/memory/memory-store.js';
import { deleteTails, readTail, tailKey } from './upload-tail.js';
import type { UploadSession } from './upload-session.js';

const session = (tail?: UploadSession['tail']): UploadSession => ({
  rev: 0,
  uploadId: 'u1',
  header: { collection: 'c', id: 'x' },
  partSize: 8,
  state: 'open',
  createTimeMs: 0,
  expireTimeMs: 1,
  dataKey: 'd',
  parts: [],
  nextPartNumber: 1,
  tail,
});

describe('tails', () => {
  it('are keyed by upload, writer token and end offset, so two writers never share a key', () => {
    expect(tailKey('u1', '7', 123)).toBe('_uploads/t/u1.7.123');
    expect(tailKey('u1', '8', 123)).not.toBe(tailKey('u1', '7', 123));
  });

  it('read back the named tail; a missing or short one is INTERNAL_ERROR naming its key', async () => {
    const blobs = new MemoryBlobStore();
    await blobs.put('_uploads/t/u1.7.3', Uint8Array.from([1, 2, 3]));
    expect([...(await readTail(blobs, session({ key: '_uploads/t/u1.7.3', length: 3 })))]).toEqual([1, 2, 3]);
    expect((await readTail(blobs, session())).byteLength).toBe(0);
    await expect(readTail(blobs, session({ key: '_uploads/t/u1.7.3', length: 4 }))).rejects.toMatchObject({ reason: 'INTERNAL_ERROR' });
    await expect(readTail(blobs, session({ key: '_uploads/t/u1.9.3', length: 3 }))).rejects.toMatchObject({
      metadata: { key: '_uploads/t/u1.9.3' },
    });
  });

  it("deleteTails removes every tail of the upload, named or left by a fenced-out writer, and no other upload's", async () => {
    const blobs = new MemoryBlobStore();
    for (const k of ['_uploads/t/u1.7.3', '_uploads/t/u1.8.9', '_uploads/t/u10.1.1', '_uploads/t/u2.1.1'])
      await blobs.put(k, Uint8Array.from([1]));
    await deleteTails(blobs, 'u1');
    expect((await blobs.list({ prefix: '_uploads/', limit: 10 })).keys).toEqual(['_uploads/t/u10.1.1', '_uploads/t/u2.1.1']);
  });
});
