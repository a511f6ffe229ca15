import { randomBytes } from 'node:crypto';
import { isDbError } from '../../errors/db-error.js';
import { CHUNK_BYTES, newObjectHeader, OBJECT_HEADER_BYTES, plainSize, sealedSize } from './sealed-chunks.js';
import { parseKeyring } from './keyring.js';
import { newTally, openRange, sealPart, sealStream } from './sealed-object-io.js';

const ring = parseKeyring(JSON.stringify({ primary: 'k1', keys: { k1: Buffer.alloc(32, 1).toString('base64') } }));
const KEY = '_objdata/c/id/v';

async function collect(it: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of it) out.push(Buffer.from(c));
  return Buffer.concat(out);
}

async function* pieces(b: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < b.length; at += size) yield b.subarray(at, at + size);
}

describe('sealStream and sealPart', () => {
  test('a stream in odd pieces seals to the same layout as the parts of a multipart upload', async () => {
    const plain = randomBytes(4 * CHUNK_BYTES + 3);
    const { header, dek } = newObjectHeader(KEY, ring);
    const tally = newTally();
    const streamed = await collect(sealStream(KEY, dek, header, pieces(plain, 7777), tally, () => undefined));
    expect(tally.bytes).toBe(plain.length);
    expect(streamed.length).toBe(sealedSize(plain.length));
    expect(streamed.subarray(0, OBJECT_HEADER_BYTES).equals(header)).toBe(true);
    const parts = Buffer.concat([
      sealPart(KEY, dek, header, 0, false, plain.subarray(0, 2 * CHUNK_BYTES)),
      sealPart(KEY, dek, header, 2 * CHUNK_BYTES, true, plain.subarray(2 * CHUNK_BYTES)),
    ]);
    expect(parts.length).toBe(streamed.length);
    const r = { plainBytes: plainSize(KEY, parts.length), firstChunk: 0, start: 0, length: plain.length };
    expect((await collect(openRange(KEY, dek, pieces(parts.subarray(OBJECT_HEADER_BYTES), 5000), r))).equals(plain)).toBe(true);
  });

  test('beforeEnd throwing stops the stream before the final chunk', async () => {
    const { header, dek } = newObjectHeader(KEY, ring);
    const gen = sealStream(KEY, dek, header, pieces(randomBytes(10), 10), newTally(), () => {
      throw new Error('checksum');
    });
    await expect(collect(gen)).rejects.toThrow('checksum');
  });

  test('a part off a chunk boundary, or a non-final part of partial chunks, is refused', () => {
    const { header, dek } = newObjectHeader(KEY, ring);
    expect(() => sealPart(KEY, dek, header, 100, false, randomBytes(CHUNK_BYTES))).toThrow(/not a multiple/);
    expect(() => sealPart(KEY, dek, header, 0, false, randomBytes(CHUNK_BYTES + 1))).toThrow(/not whole/);
  });
});

describe('openRange', () => {
  test('stored bytes that end inside a chunk are DECRYPTION_FAILED, never a short read', async () => {
    const plain = randomBytes(2 * CHUNK_BYTES + 10);
    const { header, dek } = newObjectHeader(KEY, ring);
    const sealed = sealPart(KEY, dek, header, 0, true, plain).subarray(OBJECT_HEADER_BYTES);
    const r = { plainBytes: plain.length, firstChunk: 0, start: 0, length: plain.length };
    const e = await collect(openRange(KEY, dek, pieces(sealed.subarray(0, sealed.length - 5), 4096), r)).catch((x: unknown) => x);
    expect(isDbError(e, 'DECRYPTION_FAILED')).toBe(true);
  });
});
