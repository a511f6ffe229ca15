/**
 * Resumable uploads over the encrypting ObjectStore (docs/adr/0016, "Large
 * objects"): parts written by several instances are sealed at their offsets
 * under the one data key the upload id carries, the completer seals the final
 * chunk, and the stored object reads back exactly while holding no plaintext.
 */
import { isDbError } from '../../errors/db-error.js';
import { EncryptingObjectStore } from '../../storage/crypto/encrypting-object-store.js';
import { KeyringRef, parseKeyring } from '../../storage/crypto/keyring.js';
import { sealedSize } from '../../storage/crypto/sealed-chunks.js';
import type { ObjectStore } from '../../storage/objects/object-store.js';
import { HEADER, P, sha256, testBytes, World } from './resumable-test-kit.js';

const keyring = new KeyringRef(parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(32, 7).toString('base64') } })));
const MARKER = Buffer.from('RESUMABLE-MARKER-19c2');

function sealedWorld(): World {
  return new World(undefined, (o) => new EncryptingObjectStore(o, { keyring }));
}

/** `n` bytes with the marker every 64 KiB. */
function marked(n: number, seed: number): Buffer {
  const b = testBytes(n, seed);
  for (let at = 0; at + MARKER.length <= n; at += 65_536) MARKER.copy(b, at);
  return b;
}

async function readAll(store: ObjectStore, key: string): Promise<Buffer> {
  const r = await store.get(key);
  if (r === undefined) throw new Error(`no object ${key}`);
  const out: Uint8Array[] = [];
  for await (const c of r.body) out.push(c);
  return Buffer.concat(out);
}

describe('resumable uploads, sealed', () => {
  it('a write continued on another instance, then completed there, reads back exactly; the store holds no plaintext', async () => {
    const world = sealedWorld();
    const [a, b] = [world.engine('a'), world.engine('b')];
    const data = marked(2 * P + 100_000, 3);
    const { uploadId } = await a.start(HEADER);
    await a.write(uploadId, 0, [data.subarray(0, P + 5)]);
    await b.write(uploadId, P + 5, [data.subarray(P + 5)]);
    const done = await b.complete(uploadId);
    expect(done).toMatchObject({ size: data.length, sha256: sha256(data) });
    expect((await readAll(world.store, done.result.dataKey)).equals(data)).toBe(true);
    const raw = (await world.read(done.result.dataKey)) as Buffer;
    expect(raw.length).toBe(sealedSize(data.length));
    expect(raw.includes(MARKER)).toBe(false);
  });

  it('a size that is a multiple of the part size gets an empty final part; a completion retried after a crash adds no second one', async () => {
    const world = sealedWorld();
    const e = world.engine('a');
    const data = marked(2 * P, 4);
    const { uploadId } = await e.start(HEADER);
    await e.write(uploadId, 0, [data]);
    world.crashes.arm('objects.completeUpload');
    expect(isDbError(await e.complete(uploadId).catch((x: unknown) => x), 'BACKEND_UNAVAILABLE')).toBe(true);
    const done = await e.complete(uploadId);
    expect(done.size).toBe(data.length);
    const parts = (await world.session(uploadId)).parts;
    expect(parts.map((p) => p.size)).toEqual([P, P, 0]);
    expect((await readAll(world.store, done.result.dataKey)).equals(data)).toBe(true);
  });

  it('four instances racing to write one sealed upload (takeovers, resends, mid-part stops) end with the exact bytes', async () => {
    const world = sealedWorld();
    const engines = ['a', 'b', 'c', 'd'].map((n) => world.engine(n, { busyWaitMs: 0 }));
    const data = marked(3 * P + 777, 11);
    const { uploadId } = await engines[0]!.start(HEADER);
    let seed = 9;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    async function client(i: number): Promise<void> {
      const e = engines[i]!;
      for (;;) {
        const { committedSize } = await e.status(uploadId);
        if (committedSize === data.length) return;
        const from = Math.max(0, committedSize - rand(3000));
        const to = Math.min(data.length, from + 1 + rand(2 * P));
        await e.write(uploadId, from, [data.subarray(from, to)]).catch((err: unknown) => {
          if (!isDbError(err, 'UPLOAD_BUSY')) throw err;
        });
      }
    }
    await Promise.all(engines.map((_, i) => client(i)));
    const done = await engines[2]!.complete(uploadId);
    expect(done).toMatchObject({ size: data.length, sha256: sha256(data) });
    expect((await readAll(world.store, done.result.dataKey)).equals(data)).toBe(true);
    expect(((await world.read(done.result.dataKey)) as Buffer).includes(MARKER)).toBe(false);
  });
});
