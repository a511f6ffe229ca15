import { Failpoints } from '../common/failpoints.js';
import { ManualClock } from '../common/manual-clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { AFTER_TRASH_MARKER, decodeTrashEntry, encodeTrashEntry, TrashMarker } from './trash-markers.js';

function setup(graceMs = 900_000, failpoints?: Failpoints) {
  const blobs = new MemoryBlobStore();
  const clock = new ManualClock({ startMs: 1_700_000_000_000 });
  return { blobs, clock, marker: new TrashMarker({ blobs, clock, graceMs, failpoints }) };
}

describe('TrashMarker', () => {
  test('mark writes `_objtrash/<now + grace, 13 digits>/<random>` naming the data and the object; each mark is a new key', async () => {
    const { blobs, marker } = setup(900_000);
    const k1 = await marker.mark('c', 'x', '_objdata/c/x/v1');
    const k2 = await marker.mark('c', 'x', '_objdata/c/x/v1');
    expect(k1).toMatch(/^_objtrash\/1700000900000\/[0-9a-f]{24}$/);
    expect(k2).not.toBe(k1);
    expect(decodeTrashEntry((await blobs.get(k1))!.body, k1)).toEqual({ data: '_objdata/c/x/v1', collection: 'c', id: 'x' });
  });

  test('a grace of 0 makes the marker due now; dates before 2286 keep 13 digits (key order = due order)', async () => {
    const { marker, clock } = setup(0);
    expect(await marker.mark('c', 'x', 'd')).toMatch(/^_objtrash\/1700000000000\//);
    clock.advance(5);
    expect(await marker.mark('c', 'x', 'd')).toMatch(/^_objtrash\/1700000000005\//);
  });

  test('unmark removes the marker; an unmark that fails is reported, never thrown', async () => {
    const { blobs, marker } = setup();
    const key = await marker.mark('c', 'x', 'd');
    await marker.unmark(key);
    expect(await blobs.get(key)).toBeUndefined();
    const errors: string[] = [];
    const failing = Object.create(blobs) as MemoryBlobStore;
    failing.delete = () => Promise.reject(new Error('S3 down'));
    const m2 = new TrashMarker({ blobs: failing, clock: new ManualClock(), graceMs: 0, onCleanupError: (_e, k) => errors.push(k) });
    const k2 = await m2.mark('c', 'x', 'd');
    await expect(m2.unmark(k2)).resolves.toBeUndefined();
    expect(errors).toEqual([k2]);
  });

  test('the failpoint after the marker fires once the marker has landed', async () => {
    const { blobs, marker } = setup(0, Failpoints.fromSpec(`${AFTER_TRASH_MARKER}=error`));
    await expect(marker.mark('c', 'x', 'd')).rejects.toMatchObject({ kind: 'unavailable' });
    expect((await blobs.list({ prefix: '_objtrash/', limit: 10 })).keys).toHaveLength(1);
  });

  test('decodeTrashEntry refuses bytes that are not a marker (OBJECT_CORRUPT)', () => {
    const ok = encodeTrashEntry({ data: 'd', collection: 'c', id: 'x' });
    expect(decodeTrashEntry(ok, 'k')).toEqual({ data: 'd', collection: 'c', id: 'x' });
    for (const bad of [
      '',
      'nope',
      '{"trash":{"data":"d","collection":"c","id":"x"}}',
      '{"smarterbase":{"kind":"objtrash"},"trash":{"data":1}}',
    ])
      expect(() => decodeTrashEntry(Buffer.from(bad), 'k')).toThrow(expect.objectContaining({ reason: 'OBJECT_CORRUPT' }));
  });
});
