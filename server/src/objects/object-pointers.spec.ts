import { ManualClock } from '../common/manual-clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { ObjectPointers, type CommittedData } from './object-pointers.js';

const data = (d: string): CommittedData => ({ data: d, size: 1, sha256: 'a'.repeat(64), contentType: 'x/y', metadata: {} });

function setup() {
  const store = new MemoryBlobStore();
  return { store, pointers: new ObjectPointers(store, new ManualClock({ startMs: 1_000 })) };
}

describe('ObjectPointers.commit', () => {
  test('create-only: the first wins, the second is OBJECT_ALREADY_EXISTS with the current etag', async () => {
    const { pointers } = setup();
    const a = await pointers.commit('c', 'x', data('d1'), { exists: false });
    expect(a.replacedData).toBeUndefined();
    await expect(pointers.commit('c', 'x', data('d2'), { exists: false })).rejects.toMatchObject({
      kind: 'already_exists',
      reason: 'OBJECT_ALREADY_EXISTS',
      metadata: { currentEtag: a.object.etag },
    });
    expect((await pointers.read('c', 'x'))?.pointer.data).toBe('d1');
  });

  test('etag: replaces only that version and reports the data it unreferenced', async () => {
    const { pointers } = setup();
    const a = await pointers.commit('c', 'x', data('d1'), undefined);
    const b = await pointers.commit('c', 'x', data('d2'), { etag: a.object.etag });
    expect(b.replacedData).toBe('d1');
    expect(b.object.version).toBe(2);
    await expect(pointers.commit('c', 'x', data('d3'), { etag: a.object.etag })).rejects.toMatchObject({ reason: 'ETAG_MISMATCH' });
  });

  test('16 concurrent unconditional commits all land with exact versions 1..16', async () => {
    const { pointers } = setup();
    const results = await Promise.all(Array.from({ length: 16 }, (_, i) => pointers.commit('c', 'x', data(`d${i}`), undefined)));
    expect(results.map((r) => r.object.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(results.filter((r) => r.replacedData === undefined)).toHaveLength(1);
  });

  test('exists=true on a missing object is OBJECT_NOT_FOUND', async () => {
    const { pointers } = setup();
    await expect(pointers.commit('c', 'x', data('d'), { exists: true })).rejects.toMatchObject({
      kind: 'not_found',
      reason: 'OBJECT_NOT_FOUND',
    });
  });
});

describe('ObjectPointers.remove', () => {
  test('without etag: idempotent; with etag: only that version, NOT_FOUND when missing', async () => {
    const { pointers } = setup();
    expect(await pointers.remove('c', 'x', undefined)).toEqual({ deleted: false });
    await expect(pointers.remove('c', 'x', 'e')).rejects.toMatchObject({ reason: 'OBJECT_NOT_FOUND' });
    const a = await pointers.commit('c', 'x', data('d1'), undefined);
    await expect(pointers.remove('c', 'x', 'stale')).rejects.toMatchObject({ kind: 'aborted', reason: 'ETAG_MISMATCH' });
    expect(await pointers.remove('c', 'x', a.object.etag)).toEqual({ deleted: true, data: 'd1' });
    expect(await pointers.read('c', 'x')).toBeUndefined();
  });
});
