import { LocalCoordinator } from '../../coordination/local/local-coordinator.js';
import { ConditionFailedError } from '../blob-store.js';
import { LockedObjectStore } from './locked-object-store.js';
import { MemoryObjectStore } from './memory/memory-object-store.js';
import type { ObjectCondition, ObjectStore } from './object-store.js';

/** A memory store that ignores every condition (like gofakes3's completions) and records what it was sent. */
function conditionBlind(): { store: ObjectStore; sent: (ObjectCondition | undefined)[] } {
  const inner = new MemoryObjectStore();
  const sent: (ObjectCondition | undefined)[] = [];
  const store: ObjectStore = Object.assign(Object.create(inner) as ObjectStore, {
    putSmall: (k: string, b: Uint8Array, o: { condition?: ObjectCondition } = {}) => {
      sent.push(o.condition);
      return inner.putSmall(k, b, { ...o, condition: undefined });
    },
    completeUpload: (k: string, u: string, p: { partNumber: number; etag: string }[], o: { condition?: ObjectCondition } = {}) => {
      sent.push(o.condition);
      return inner.completeUpload(k, u, p, { ...o, condition: undefined });
    },
  });
  return { store, sent };
}

describe('LockedObjectStore', () => {
  it('makes concurrent create-only completions exact over a store that ignores conditions, sending it none', async () => {
    const { store: blind, sent } = conditionBlind();
    const store = new LockedObjectStore(blind, new LocalCoordinator());
    const racers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const uploadId = await store.startUpload('k');
        return { uploadId, part: await store.putPart('k', uploadId, 1, Buffer.from(`r${i}`)) };
      }),
    );
    const results = await Promise.allSettled(
      racers.map((r) => store.completeUpload('k', r.uploadId, [r.part], { condition: { ifNoneMatch: true } })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConditionFailedError);
    expect(sent).toEqual([undefined]);
  });

  it('checks if-match on puts and deletes against the current etag', async () => {
    const { store: blind } = conditionBlind();
    const store = new LockedObjectStore(blind, new LocalCoordinator());
    const v1 = await store.putSmall('k', Buffer.from('1'));
    const v2 = await store.putSmall('k', Buffer.from('2'), { condition: { ifMatch: v1.etag } });
    await expect(store.putSmall('k', Buffer.from('3'), { condition: { ifMatch: v1.etag } })).rejects.toBeInstanceOf(ConditionFailedError);
    await expect(store.delete('k', { ifMatch: v1.etag })).rejects.toBeInstanceOf(ConditionFailedError);
    expect(await store.delete('k', { ifMatch: v2.etag })).toBe(true);
  });
});
