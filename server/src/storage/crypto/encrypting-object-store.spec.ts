import { createHash, randomBytes } from 'node:crypto';
import { isDbError } from '../../errors/db-error.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FilesystemObjectStore } from '../objects/filesystem/filesystem-object-store.js';
import { MemoryObjectStore } from '../objects/memory/memory-object-store.js';
import { baseUploadId, MIN_PART_SIZE, type ObjectStore } from '../objects/object-store.js';
import { EncryptingObjectStore, SEALED_FLAG } from './encrypting-object-store.js';
import { KeyringRef, parseKeyring } from './keyring.js';
import { CHUNK_BYTES, CHUNK_STRIDE, chunkOffset, sealedSize } from './sealed-chunks.js';

const k = (byte: number): string => Buffer.alloc(32, byte).toString('base64');
const ring = (json: object): KeyringRef => new KeyringRef(parseKeyring(JSON.stringify(json)));
const KEY = '_objdata/files/report/v1';
const MARKER = Buffer.from('PLAINTEXT-MARKER-7f3a');
const P = MIN_PART_SIZE; // 5 MiB = 80 chunks

/** Plaintext with the marker every 4 KiB, so any stored plaintext would show it. */
function plaintext(n: number): Buffer {
  const b = randomBytes(n);
  for (let at = 0; at + MARKER.length <= n; at += 4096) MARKER.copy(b, at);
  return b;
}

async function* streamOf(b: Buffer, piece = 100_000): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < b.length; at += piece) yield b.subarray(at, at + piece);
}

async function readAll(store: ObjectStore, key: string, range?: { offset: number; length?: number }): Promise<Buffer> {
  const r = await store.get(key, range === undefined ? {} : { range });
  if (r === undefined) throw new Error('missing');
  const out: Buffer[] = [];
  for await (const c of r.body) out.push(Buffer.from(c));
  const b = Buffer.concat(out);
  expect(b.length).toBe(r.length);
  return b;
}

async function storedBytes(inner: ObjectStore, key: string): Promise<Buffer> {
  return readAll(inner, key);
}

/** Rewrites the stored bytes of `key` (keeping the sealed flag), as an attacker with bucket access could. */
async function tamper(inner: ObjectStore, key: string, edit: (b: Buffer) => Buffer, to = key): Promise<void> {
  const edited = edit(Buffer.from(await storedBytes(inner, key)));
  await inner.putSmall(to, edited, { metadata: { [SEALED_FLAG.key]: SEALED_FLAG.value } });
}

async function reasonOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isDbError(e)) return e.reason;
    throw e;
  }
  return 'no error';
}

function setup(requireSealed = false): { inner: MemoryObjectStore; store: EncryptingObjectStore; keyring: KeyringRef } {
  const inner = new MemoryObjectStore();
  const keyring = ring({ primary: 'k1', keys: { k1: k(1) } });
  return { inner, keyring, store: new EncryptingObjectStore(inner, { keyring, requireSealed }) };
}

describe('EncryptingObjectStore: one-shot puts', () => {
  test('a streamed put round-trips; the store holds no plaintext, is flagged, and head reports the plaintext size', async () => {
    const { inner, store } = setup();
    const plain = plaintext(3 * CHUNK_BYTES + 1234);
    const put = await store.put(KEY, streamOf(plain));
    expect(put.size).toBe(plain.length);
    expect(put.sha256).toBe(createHash('sha256').update(plain).digest('hex'));
    const stored = await storedBytes(inner, KEY);
    expect(stored.length).toBe(sealedSize(plain.length));
    expect(stored.includes(MARKER)).toBe(false);
    expect((await inner.head(KEY))?.metadata[SEALED_FLAG.key]).toBe(SEALED_FLAG.value);
    const head = await store.head(KEY);
    expect(head?.size).toBe(plain.length);
    expect(head?.metadata[SEALED_FLAG.key]).toBeUndefined();
    expect((await readAll(store, KEY)).equals(plain)).toBe(true);
  });

  test('a streamed put larger than a part (multipart below) round-trips', async () => {
    const { store } = setup();
    const plain = plaintext(P + 3 * CHUNK_BYTES);
    await store.put(KEY, streamOf(plain), { partSize: P });
    expect((await readAll(store, KEY)).equals(plain)).toBe(true);
  });

  test('five puts of identical data store five different ciphertexts', async () => {
    const { inner, store } = setup();
    const plain = plaintext(1000);
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      await store.put(`${KEY}${i}`, streamOf(plain));
      seen.add((await storedBytes(inner, `${KEY}${i}`)).toString('hex'));
    }
    expect(seen.size).toBe(5);
  });

  test('a wrong expected SHA-256 is refused and nothing is stored', async () => {
    const { inner, store } = setup();
    const e = await store.put(KEY, streamOf(plaintext(2 * CHUNK_BYTES)), { expectedSha256: '0'.repeat(64) }).catch((x: unknown) => x);
    expect(isDbError(e) && e.field === 'sha256').toBe(true);
    expect(await inner.head(KEY)).toBeUndefined();
  });

  test('putSmall seals too; an empty object round-trips', async () => {
    const { store } = setup();
    await store.putSmall(KEY, new Uint8Array(0));
    expect((await readAll(store, KEY)).length).toBe(0);
    expect((await store.head(KEY))?.size).toBe(0);
  });
});

describe('EncryptingObjectStore: multipart uploads at placements', () => {
  /** Uploads `plain` in parts of P with non-contiguous part numbers (as reserved blocks give them), the last one final. */
  async function upload(store: ObjectStore, plain: Buffer, uploadId?: string): Promise<string> {
    const id = uploadId ?? (await store.startUpload(KEY));
    const numbers = [3, 65, 66, 200];
    const parts = [];
    let offset = 0;
    let i = 0;
    for (; offset + P <= plain.length; offset += P, i++)
      parts.push(await store.putPart(KEY, id, numbers[i]!, plain.subarray(offset, offset + P), undefined, { offset, final: false }));
    const tail = plain.subarray(offset);
    if (tail.length > 0 || store.needsFinalPart?.(id) === true)
      parts.push(await store.putPart(KEY, id, numbers[i]!, tail, undefined, { offset, final: true }));
    expect(parts.map((p) => p.size).reduce((a, b) => a + b, 0)).toBe(plain.length);
    const done = await store.completeUpload(KEY, id, parts);
    expect(done.size).toBe(plain.length);
    return id;
  }

  test('parts sealed at their offsets round-trip, with a partial final part', async () => {
    const { inner, store } = setup();
    const plain = plaintext(2 * P + 5 * CHUNK_BYTES + 77);
    const id = await upload(store, plain);
    expect(id).not.toBe(baseUploadId(id));
    expect((await readAll(store, KEY)).equals(plain)).toBe(true);
    expect((await storedBytes(inner, KEY)).includes(MARKER)).toBe(false);
  });

  test('a size that is a multiple of the part size ends with an empty final part', async () => {
    const { store } = setup();
    const plain = plaintext(2 * P);
    await upload(store, plain);
    expect((await readAll(store, KEY)).equals(plain)).toBe(true);
  });

  test('a sealed part sent without its placement is refused', async () => {
    const { store } = setup();
    const id = await store.startUpload(KEY);
    expect(await reasonOf(store.putPart(KEY, id, 1, plaintext(P)))).toBe('INTERNAL_ERROR');
  });

  test('an upload started in clear (an id without the extension) stays clear and needs no final part', async () => {
    const { inner, store } = setup();
    const id = await inner.startUpload(KEY);
    expect(store.needsFinalPart(id)).toBe(false);
    const plain = plaintext(P + 10);
    await upload(store, plain, id);
    expect((await storedBytes(inner, KEY)).equals(plain)).toBe(true);
    expect((await readAll(store, KEY)).equals(plain)).toBe(true);
  });
});

describe('EncryptingObjectStore: ranged reads', () => {
  const { store } = setup();
  const plain = plaintext(3 * CHUNK_BYTES + 500);
  beforeAll(() => store.putSmall(KEY, plain));

  test.each([
    [0, 10],
    [5, CHUNK_BYTES],
    [CHUNK_BYTES - 1, 2],
    [CHUNK_BYTES, CHUNK_BYTES],
    [2 * CHUNK_BYTES + 17, undefined],
    [3 * CHUNK_BYTES + 499, 1],
    [3 * CHUNK_BYTES + 500, undefined],
    [100, 0],
    [0, 10 * CHUNK_BYTES],
  ])('offset %p length %p gives exactly those bytes', async (offset, length) => {
    const got = await readAll(store, KEY, length === undefined ? { offset } : { offset, length });
    const end = length === undefined ? plain.length : Math.min(offset + length, plain.length);
    expect(got.equals(plain.subarray(offset, end))).toBe(true);
  });

  test('an offset past the end is out of range', async () => {
    const e = await store.get(KEY, { range: { offset: plain.length + 1 } }).catch((x: unknown) => x);
    expect(isDbError(e) && e.kind === 'out_of_range').toBe(true);
  });
});

describe('EncryptingObjectStore: tampering never yields garbage', () => {
  const plain = plaintext(3 * CHUNK_BYTES);

  async function sealedSetup(): Promise<ReturnType<typeof setup>> {
    const s = setup();
    await s.store.putSmall(KEY, plain);
    return s;
  }

  test('a flipped byte in a chunk: a read covering it is DECRYPTION_FAILED, a range elsewhere still reads', async () => {
    const { inner, store } = await sealedSetup();
    await tamper(inner, KEY, (b) => {
      b[chunkOffset(1) + 500] ^= 0x01;
      return b;
    });
    expect(await reasonOf(readAll(store, KEY))).toBe('DECRYPTION_FAILED');
    expect((await readAll(store, KEY, { offset: 0, length: 100 })).equals(plain.subarray(0, 100))).toBe(true);
  });

  test('the final (empty) chunk dropped, or the last full chunk dropped: DECRYPTION_FAILED', async () => {
    for (const cut of [28, CHUNK_STRIDE, CHUNK_STRIDE + 28]) {
      const { inner, store } = await sealedSetup();
      await tamper(inner, KEY, (b) => b.subarray(0, b.length - cut));
      expect([cut, await reasonOf(readAll(store, KEY))]).toEqual([cut, 'DECRYPTION_FAILED']);
    }
  });

  test('two chunks swapped: DECRYPTION_FAILED', async () => {
    const { inner, store } = await sealedSetup();
    await tamper(inner, KEY, (b) => {
      const c0 = Buffer.from(b.subarray(chunkOffset(0), chunkOffset(1)));
      b.copy(b, chunkOffset(0), chunkOffset(1), chunkOffset(2));
      c0.copy(b, chunkOffset(1));
      return b;
    });
    expect(await reasonOf(readAll(store, KEY))).toBe('DECRYPTION_FAILED');
  });

  test('data copied onto another key: DECRYPTION_FAILED', async () => {
    const { inner, store } = await sealedSetup();
    await tamper(inner, KEY, (b) => b, '_objdata/files/other/v1');
    expect(await reasonOf(readAll(store, '_objdata/files/other/v1'))).toBe('DECRYPTION_FAILED');
  });

  test('a keyring without the KEK: ENCRYPTION_KEY_UNKNOWN; the same id with another key: DECRYPTION_FAILED', async () => {
    const { inner } = await sealedSetup();
    const other = new EncryptingObjectStore(inner, { keyring: ring({ primary: 'k2', keys: { k2: k(2) } }) });
    expect(await reasonOf(readAll(other, KEY))).toBe('ENCRYPTION_KEY_UNKNOWN');
    const wrong = new EncryptingObjectStore(inner, { keyring: ring({ primary: 'k1', keys: { k1: k(9) } }) });
    expect(await reasonOf(readAll(wrong, KEY))).toBe('DECRYPTION_FAILED');
  });
});

describe('EncryptingObjectStore: legacy clear data', () => {
  test('data without the flag is read as stored, even when it starts with the sealed magic; ranges too', async () => {
    const { inner, store } = setup();
    const clear = Buffer.concat([Buffer.from([0x00, 0x53, 0x42, 0x4f, 1]), plaintext(2 * CHUNK_BYTES)]);
    await inner.putSmall(KEY, clear);
    expect((await readAll(store, KEY)).equals(clear)).toBe(true);
    expect(
      (await readAll(store, KEY, { offset: CHUNK_BYTES + 3, length: 9 })).equals(clear.subarray(CHUNK_BYTES + 3, CHUNK_BYTES + 12)),
    ).toBe(true);
    expect((await store.head(KEY))?.size).toBe(clear.length);
  });

  test('with requireSealed, clear data is DECRYPTION_FAILED', async () => {
    const { inner, store } = setup(true);
    await inner.putSmall(KEY, plaintext(10));
    expect(await reasonOf(readAll(store, KEY))).toBe('DECRYPTION_FAILED');
  });
});

describe('EncryptingObjectStore over the filesystem store (the embedded mode)', () => {
  test('one-shot and multipart objects round-trip; the files hold no plaintext; the flag survives in the trailer', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sb-objcrypt-fs-'));
    const inner = await FilesystemObjectStore.open({ root });
    try {
      const store = new EncryptingObjectStore(inner, { keyring: ring({ primary: 'k1', keys: { k1: k(1) } }) });
      const small = plaintext(CHUNK_BYTES + 9);
      await store.put(`${KEY}a`, streamOf(small));
      const big = plaintext(P + 2 * CHUNK_BYTES);
      const id = await store.startUpload(`${KEY}b`);
      const parts = [
        await store.putPart(`${KEY}b`, id, 7, big.subarray(0, P), undefined, { offset: 0, final: false }),
        await store.putPart(`${KEY}b`, id, 70, big.subarray(P), undefined, { offset: P, final: true }),
      ];
      await store.completeUpload(`${KEY}b`, id, parts);
      expect((await readAll(store, `${KEY}a`)).equals(small)).toBe(true);
      expect((await readAll(store, `${KEY}b`, { offset: P - 5, length: 10 })).equals(big.subarray(P - 5, P + 5))).toBe(true);
      expect((await readAll(store, `${KEY}b`)).equals(big)).toBe(true);
      for (const key of [`${KEY}a`, `${KEY}b`]) {
        expect((await inner.head(key))?.metadata[SEALED_FLAG.key]).toBe(SEALED_FLAG.value);
        expect((await storedBytes(inner, key)).includes(MARKER)).toBe(false);
      }
    } finally {
      await inner.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
