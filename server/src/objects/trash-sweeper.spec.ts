import { ManualClock } from '../common/manual-clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { MemoryObjectStore } from '../storage/objects/memory/memory-object-store.js';
import { ObjectPointers, type CommittedData } from './object-pointers.js';
import { TrashMarker } from './trash-markers.js';
import { sweepTrash } from './trash-sweeper.js';

const GRACE = 60_000;
const committed = (d: string): CommittedData => ({ data: d, size: 1, sha256: 'a'.repeat(64), contentType: 'x/y', metadata: {} });

async function setup() {
  const blobs = new MemoryBlobStore();
  const objects = new MemoryObjectStore();
  const clock = new ManualClock({ startMs: 1_700_000_000_000 });
  const marker = new TrashMarker({ blobs, clock, graceMs: GRACE });
  const pointers = new ObjectPointers(blobs, clock, marker);
  const deps = { blobs, objects, clock, readPointer: (c: string, id: string) => pointers.read(c, id) };
  /** Uploads the bytes of `key` and points (c, id) at it. */
  const put = async (id: string, key: string) => {
    await objects.putSmall(key, Buffer.from(key));
    return pointers.commit('c', id, committed(key), undefined);
  };
  const dataKeys = async () => (await objects.list({ prefix: '_objdata/', limit: 100 })).objects.map((o) => o.key);
  const markers = async () => (await blobs.list({ prefix: '_objtrash/', limit: 100 })).keys;
  return { blobs, objects, clock, marker, pointers, deps, put, dataKeys, markers };
}

describe('sweepTrash', () => {
  test('a replaced version stays until its marker is due, then goes; the current one stays', async () => {
    const { deps, clock, put, dataKeys, markers } = await setup();
    await put('x', '_objdata/c/x/v1');
    await put('x', '_objdata/c/x/v2');
    expect(await markers()).toHaveLength(1);
    clock.advance(GRACE - 1);
    expect(await sweepTrash(deps)).toEqual({ deleted: 0, dropped: 0, failed: 0 });
    expect(await dataKeys()).toEqual(['_objdata/c/x/v1', '_objdata/c/x/v2']);
    clock.advance(1);
    expect(await sweepTrash(deps)).toEqual({ deleted: 1, dropped: 0, failed: 0 });
    expect(await dataKeys()).toEqual(['_objdata/c/x/v2']);
    expect(await markers()).toEqual([]);
  });

  test('a deleted object: its data goes when due', async () => {
    const { deps, clock, put, pointers, dataKeys } = await setup();
    await put('x', '_objdata/c/x/v1');
    await pointers.remove('c', 'x', undefined);
    clock.advance(GRACE);
    expect(await sweepTrash(deps)).toMatchObject({ deleted: 1 });
    expect(await dataKeys()).toEqual([]);
  });

  test('a marker whose move never happened (the pointer still names the data): only the marker is dropped', async () => {
    const { deps, clock, put, marker, dataKeys, markers } = await setup();
    await put('x', '_objdata/c/x/v1');
    await marker.mark('c', 'x', '_objdata/c/x/v1'); // as a server killed before its pointer PUT leaves it
    clock.advance(GRACE);
    expect(await sweepTrash(deps)).toEqual({ deleted: 0, dropped: 1, failed: 0 });
    expect(await dataKeys()).toEqual(['_objdata/c/x/v1']);
    expect(await markers()).toEqual([]);
  });

  test('stops at the first marker not yet due: later markers (later keys) are not even read', async () => {
    const { deps, blobs, clock, put } = await setup();
    await put('a', '_objdata/c/a/v1');
    await put('a', '_objdata/c/a/v2'); // marker due at t + GRACE
    clock.advance(10);
    await put('b', '_objdata/c/b/v1');
    await put('b', '_objdata/c/b/v2'); // due at t + 10 + GRACE
    clock.advance(GRACE - 10); // now t + GRACE: the first is due, the second not
    const read: string[] = [];
    const counting = Object.create(blobs) as MemoryBlobStore;
    counting.get = (key, signal) => {
      read.push(key);
      return blobs.get(key, signal);
    };
    expect(await sweepTrash({ ...deps, blobs: counting })).toMatchObject({ deleted: 1 });
    expect(read.filter((k) => k.startsWith('_objtrash/'))).toHaveLength(1);
  });

  test('a marker that fails is counted and left for the next round; the others are swept', async () => {
    const { deps, objects, clock, put, dataKeys, markers } = await setup();
    await put('a', '_objdata/c/a/v1');
    await put('a', '_objdata/c/a/v2');
    await put('b', '_objdata/c/b/v1');
    await put('b', '_objdata/c/b/v2');
    clock.advance(GRACE);
    const flaky = Object.create(objects) as MemoryObjectStore;
    flaky.delete = (key, cond, signal) =>
      key === '_objdata/c/a/v1' ? Promise.reject(new Error('S3 down')) : objects.delete(key, cond, signal);
    const errors: string[] = [];
    expect(await sweepTrash({ ...deps, objects: flaky, onError: (_e, k) => errors.push(k) })).toEqual({
      deleted: 1,
      dropped: 0,
      failed: 1,
    });
    expect(errors).toHaveLength(1);
    expect(await markers()).toEqual(errors);
    expect(await sweepTrash(deps)).toEqual({ deleted: 1, dropped: 0, failed: 0 });
    expect(await dataKeys()).toEqual(['_objdata/c/a/v2', '_objdata/c/b/v2']);
  });

  test('an unreadable marker or a stray key under the prefix is dropped; the data it may name is left (to the orphan scan)', async () => {
    const { deps, blobs, put, dataKeys, markers } = await setup();
    await put('x', '_objdata/c/x/v1');
    await blobs.put('_objtrash/0000000000001/junk', Buffer.from('not json'));
    await blobs.put('_objtrash/stray', Buffer.from('{}'));
    expect(await sweepTrash(deps)).toEqual({ deleted: 0, dropped: 2, failed: 0 });
    expect(await markers()).toEqual([]);
    expect(await dataKeys()).toEqual(['_objdata/c/x/v1']);
  });
});
