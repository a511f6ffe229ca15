import { ManualClock } from '../common/manual-clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DbError } from '../errors/db-error.js';
import { ConditionFailedError } from '../storage/blob-store.js';
import { ObjectPointers, type CommittedData } from './object-pointers.js';
import { TrashMarker } from './trash-markers.js';

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

describe('ObjectPointers trash markers', () => {
  /** A store that records what happens, in order; `failPut` makes the next pointer PUT fail as `failPut` says. */
  function recording() {
    const store = new MemoryBlobStore();
    const log: string[] = [];
    let failPut: 'condition' | 'timeout' | undefined;
    const wrapped = Object.create(store) as MemoryBlobStore;
    wrapped.put = async (key, body, cond, signal) => {
      if (key.startsWith('objects/') && failPut !== undefined) {
        const how = failPut;
        failPut = undefined;
        log.push(`put ${key} failed`);
        if (how === 'condition') throw new ConditionFailedError(key, undefined);
        throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'timed out');
      }
      log.push(`put ${key.startsWith('_objtrash/') ? 'marker' : key}`);
      return store.put(key, body, cond, signal);
    };
    wrapped.delete = async (key, cond, signal) => {
      log.push(`delete ${key.startsWith('_objtrash/') ? 'marker' : key}`);
      return store.delete(key, cond, signal);
    };
    const clock = new ManualClock({ startMs: 1_000 });
    const pointers = new ObjectPointers(wrapped, clock, new TrashMarker({ blobs: wrapped, clock, graceMs: 0 }));
    const markers = async () => (await store.list({ prefix: '_objtrash/', limit: 10 })).keys;
    return { store, log, pointers, markers, fail: (how: 'condition' | 'timeout') => (failPut = how) };
  }

  test('a create writes no marker; a replace writes the marker for the old data before the pointer PUT', async () => {
    const { log, pointers, markers } = recording();
    await pointers.commit('c', 'x', data('d1'), undefined);
    expect(log).toEqual(['put objects/c/x']);
    await pointers.commit('c', 'x', data('d2'), undefined);
    expect(log.slice(1)).toEqual(['put marker', 'put objects/c/x']);
    expect(await markers()).toHaveLength(1);
  });

  test('a delete writes the marker before the pointer DELETE; deleting nothing writes none', async () => {
    const { log, pointers, markers } = recording();
    await pointers.commit('c', 'x', data('d1'), undefined);
    await pointers.remove('c', 'x', undefined);
    expect(log.slice(1)).toEqual(['put marker', 'delete objects/c/x']);
    await pointers.remove('c', 'x', undefined);
    expect(await markers()).toHaveLength(1);
  });

  test('a move that lost its condition removes its marker (and the retry writes its own); one whose outcome is unknown keeps it', async () => {
    const { log, pointers, markers, fail } = recording();
    await pointers.commit('c', 'x', data('d1'), undefined);
    fail('condition');
    await pointers.commit('c', 'x', data('d2'), undefined);
    expect(log.slice(1)).toEqual(['put marker', 'put objects/c/x failed', 'delete marker', 'put marker', 'put objects/c/x']);
    expect(await markers()).toHaveLength(1);
    fail('timeout');
    await expect(pointers.commit('c', 'x', data('d3'), undefined)).rejects.toMatchObject({ kind: 'unavailable' });
    expect(await markers()).toHaveLength(2);
  });
});
