import { ManualClock } from '../common/manual-clock.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { documentKey } from '../format/bucket-layout.js';
import { encodeEnvelope, newWriteId } from '../format/envelope.js';
import type { BlobStore } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { buildLeaseName, leasedBuild } from './leased-build.js';
import { LocalIndexStore } from './local/local-index-store.js';

async function setup(): Promise<{ indexes: LocalIndexStore; blobs: MemoryBlobStore }> {
  const indexes = new LocalIndexStore();
  const blobs = new MemoryBlobStore();
  for (let i = 0; i < 5; i++) {
    const meta = { version: 1, createTime: new Date(0), updateTime: new Date(0), writeId: newWriteId() };
    await blobs.put(documentKey('users', `u${i}`), encodeEnvelope({ meta, data: { age: i } }));
  }
  await indexes.createIndex({ collection: 'users', name: 'by_age', kind: 'ordered', fields: ['age'] }, new Date(0));
  return { indexes, blobs };
}

describe('leasedBuild', () => {
  it('builds under the lease and frees it afterwards', async () => {
    const { indexes, blobs } = await setup();
    const coordinator = new LocalCoordinator({ clock: new ManualClock({ startMs: 0 }) });
    const controller = new AbortController();
    const input = { indexes, store: blobs, collection: 'users', coordinator, controller, signal: controller.signal };
    expect(await leasedBuild(input)).toEqual({ outcome: 'done', ready: ['by_age'], failed: [], dropped: [] });
    expect(await coordinator.leaseInfo(buildLeaseName('users'))).toBeUndefined();
  });

  it("is 'busy' (and builds nothing) while another server holds the lease", async () => {
    const { indexes, blobs } = await setup();
    const coordinator = new LocalCoordinator({ clock: new ManualClock({ startMs: 0 }) });
    await coordinator.tryAcquireLease(buildLeaseName('users'), 60_000, 'other');
    const controller = new AbortController();
    const input = { indexes, store: blobs, collection: 'users', coordinator, controller, signal: controller.signal };
    expect(await leasedBuild(input)).toBe('busy');
    expect((await indexes.catalog('users')).indexes[0]?.state).toBe('building');
  });

  it('stops the build when its lease is lost (a renewal refused, as after Redis restarted empty)', async () => {
    const { indexes, blobs } = await setup();
    const local = new LocalCoordinator({ clock: new ManualClock({ startMs: 0 }) });
    const losing: Coordinator = Object.assign(Object.create(local) as Coordinator, { renewLease: async () => undefined });
    const slow = Object.assign(Object.create(blobs) as BlobStore, {
      get: async (key: string, signal?: AbortSignal) => {
        await new Promise((r) => setTimeout(r, 20));
        return blobs.get(key, signal);
      },
    });
    const controller = new AbortController();
    const input = { indexes, store: slow, collection: 'users', concurrency: 1, pageSize: 1 };
    const result = await leasedBuild({ ...input, coordinator: losing, controller, signal: controller.signal, leaseTtlMs: 15 });
    expect(result).toMatchObject({ outcome: 'aborted', ready: [] });
    expect((await indexes.catalog('users')).indexes[0]?.state).toBe('building');
  });
});
