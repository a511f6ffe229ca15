import { COORDINATION_EPOCH_KEY } from '../format/bucket-layout.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { DurableEpochStore, decodeEpoch } from './durable-epoch-store.js';

describe('DurableEpochStore', () => {
  it('creates the record only when absent and bumps it only at the version read', async () => {
    const blobs = new MemoryBlobStore();
    const store = new DurableEpochStore(blobs);
    await expect(store.read()).resolves.toBeUndefined();
    await expect(store.replace(0, undefined)).resolves.toBe(true);
    await expect(store.replace(0, undefined)).resolves.toBe(false); // a racing creator loses
    const first = (await store.read())!;
    expect(first.epoch).toBe(0);
    await expect(store.replace(1, first.version)).resolves.toBe(true);
    await expect(store.replace(1, first.version)).resolves.toBe(false); // a racing bumper loses
    expect((await store.read())!.epoch).toBe(1);
    const raw = await blobs.get(COORDINATION_EPOCH_KEY);
    expect(JSON.parse(Buffer.from(raw!.body).toString('utf8'))).toEqual({ epoch: 1 });
  });

  it('refuses a record that holds no valid epoch', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(decodeEpoch(enc('{"epoch":3}'))).toBe(3);
    for (const bad of ['nope', '{}', '{"epoch":-1}', '{"epoch":1.5}', '{"epoch":"2"}']) {
      expect(() => decodeEpoch(enc(bad))).toThrow(expect.objectContaining({ kind: 'internal' }));
    }
  });
});
