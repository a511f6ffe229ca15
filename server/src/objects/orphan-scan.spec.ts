import { systemRandom } from '../common/clock.js';
import { ManualClock } from '../common/manual-clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { MemoryObjectStore } from '../storage/objects/memory/memory-object-store.js';
import { ObjectPointers, type CommittedData } from './object-pointers.js';
import { scanOrphans, scanOrphansIfDue } from './orphan-scan.js';
import { newUploadId } from './resumable/upload-id.js';
import { UploadSessions } from './resumable/upload-session.js';
import { TrashMarker } from './trash-markers.js';

const MIN_AGE = 3_600_000;
const committed = (d: string): CommittedData => ({ data: d, size: 1, sha256: 'a'.repeat(64), contentType: 'x/y', metadata: {} });

function setup() {
  const blobs = new MemoryBlobStore();
  const objects = new MemoryObjectStore();
  const clock = new ManualClock({ startMs: 1_700_000_000_000 });
  const pointers = new ObjectPointers(blobs, clock, new TrashMarker({ blobs, clock, graceMs: 10 * MIN_AGE }));
  const deps = { blobs, objects, clock, minAgeMs: MIN_AGE, readPointer: (c: string, id: string) => pointers.read(c, id) };
  /** A data key of (c, id) whose version id was made now, with bytes. */
  const data = async (id: string): Promise<string> => {
    const key = `_objdata/c/${id}/${newUploadId(clock, systemRandom)}`;
    await objects.putSmall(key, Buffer.from(key));
    return key;
  };
  const dataKeys = async () => (await objects.list({ prefix: '_objdata/', limit: 100 })).objects.map((o) => o.key).sort();
  return { blobs, objects, clock, pointers, deps, data, dataKeys };
}

describe('scanOrphans', () => {
  test('deletes only old data that no pointer, no trash marker and no upload session names', async () => {
    const { blobs, objects, clock, pointers, deps, data, dataKeys } = setup();
    const referenced = await data('a');
    await pointers.commit('c', 'a', committed(referenced), undefined);
    const replaced = await data('b');
    await pointers.commit('c', 'b', committed(replaced), undefined);
    await pointers.commit('c', 'b', committed(await data('b')), undefined); // `replaced` now named by a pending marker
    const current = (await pointers.read('c', 'b'))!.pointer.data;
    const orphan = await data('a'); // a server died before committing it
    const orphanNoPointer = await data('gone'); // its object has no pointer at all
    const session = await data('s'); // a resumable upload being completed: its session names its version id
    const uploadId = session.split('/')[3]!;
    await new UploadSessions(blobs).create({
      rev: 0,
      uploadId,
      header: { collection: 'c', id: 's' },
      partSize: 5 * 1024 * 1024,
      state: 'completing',
      createTimeMs: clock.now(),
      expireTimeMs: clock.now() + 1,
      dataKey: session,
      parts: [],
      nextPartNumber: 1,
    });
    await objects.putSmall('_objdata/c/x/not-a-uuid', Buffer.from('?')); // not written by this code
    clock.advance(MIN_AGE);
    const young = await data('a');
    expect(await scanOrphans(deps)).toEqual({ scanned: 8, deleted: 2 });
    const left = await dataKeys();
    expect(left).toEqual([referenced, replaced, current, session, young, '_objdata/c/x/not-a-uuid'].sort());
    expect(left).not.toContain(orphan);
    expect(left).not.toContain(orphanNoPointer);
  });

  test('data younger than the minimum age is never touched, referenced or not', async () => {
    const { clock, deps, data, dataKeys } = setup();
    const orphan = await data('a');
    clock.advance(MIN_AGE - 1);
    expect(await scanOrphans(deps)).toEqual({ scanned: 1, deleted: 0 });
    expect(await dataKeys()).toEqual([orphan]);
    clock.advance(1);
    expect(await scanOrphans(deps)).toEqual({ scanned: 1, deleted: 1 });
  });

  test('scanOrphansIfDue scans when the stamp is older than the interval, and stamps the scan', async () => {
    const { clock, deps, data } = setup();
    await data('a');
    clock.advance(MIN_AGE);
    expect(await scanOrphansIfDue(deps, 86_400_000)).toEqual({ scanned: 1, deleted: 1 });
    await data('b');
    clock.advance(86_400_000 - 1);
    expect(await scanOrphansIfDue(deps, 86_400_000)).toBeUndefined();
    clock.advance(1);
    expect(await scanOrphansIfDue(deps, 86_400_000)).toEqual({ scanned: 1, deleted: 1 });
  });
});
