/**
 * Streaming over the chunked envelope (sealed-chunks.ts): sealing a stream of
 * plaintext into header and chunks (a one-shot put), sealing one part of a
 * multipart upload at its offset, and opening the chunks covering a range of
 * a stored object. Memory: one chunk (64 KiB) plus the input's own chunk.
 */
import { createHash, type Hash } from 'node:crypto';
import { CHUNK_BYTES, CHUNK_STRIDE, finalChunkIndex, openChunk, sealChunk } from './sealed-chunks.js';
import { decryptionFailed } from './sealed-body.js';

/** What sealStream saw of the plaintext, read once the stream ended. */
export interface PlainTally {
  /** Plaintext bytes. */
  bytes: number;
  /** Running SHA-256 of the plaintext. */
  readonly hash: Hash;
}

/** A new tally. */
export function newTally(): PlainTally {
  return { bytes: 0, hash: createHash('sha256') };
}

/**
 * The sealed form of a plaintext stream: `header`, then its chunks from index
 * 0, the last one final. `tally` counts and hashes the plaintext; `beforeEnd`
 * runs after the last plaintext byte and before the final chunk is yielded
 * (a throw there fails the put before anything is published).
 */
export async function* sealStream(
  key: string,
  dek: Buffer,
  header: Buffer,
  body: AsyncIterable<Uint8Array>,
  tally: PlainTally,
  beforeEnd: () => void,
): AsyncGenerator<Uint8Array, void, undefined> {
  yield header;
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let filled = 0;
  let index = 0;
  for await (const input of body) {
    tally.bytes += input.byteLength;
    tally.hash.update(input);
    let at = 0;
    while (at < input.byteLength) {
      const n = Math.min(CHUNK_BYTES - filled, input.byteLength - at);
      buffer.set(input.subarray(at, at + n), filled);
      filled += n;
      at += n;
      if (filled === CHUNK_BYTES) {
        yield sealChunk(key, dek, index++, false, buffer);
        filled = 0;
      }
    }
  }
  beforeEnd();
  yield sealChunk(key, dek, index, true, buffer.subarray(0, filled));
}

/**
 * One part of a multipart upload sealed: chunks from index offset / CHUNK_BYTES,
 * `header` in front when the part starts the object. A part that is not final
 * must hold whole chunks; the final part ends with a final chunk (empty when
 * its length is a multiple of the chunk size).
 */
export function sealPart(key: string, dek: Buffer, header: Buffer, offset: number, final: boolean, body: Uint8Array): Buffer {
  if (offset % CHUNK_BYTES !== 0) throw new Error(`part of ${key} at offset ${offset}: not a multiple of ${CHUNK_BYTES}`);
  if (!final && body.byteLength % CHUNK_BYTES !== 0)
    throw new Error(`part of ${key} at offset ${offset}: ${body.byteLength} bytes, not whole ${CHUNK_BYTES}-byte chunks`);
  const out: Buffer[] = offset === 0 ? [header] : [];
  const first = offset / CHUNK_BYTES;
  const full = Math.floor(body.byteLength / CHUNK_BYTES);
  for (let i = 0; i < full; i++) out.push(sealChunk(key, dek, first + i, false, body.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)));
  if (final) out.push(sealChunk(key, dek, first + full, true, body.subarray(full * CHUNK_BYTES)));
  return Buffer.concat(out);
}

/** A plaintext range to open from a stored object's chunks. */
export interface OpenRange {
  /** The object's plaintext size (from its stored size). */
  readonly plainBytes: number;
  /** The index of the first chunk `stored` starts with. */
  readonly firstChunk: number;
  /** First plaintext byte wanted. */
  readonly start: number;
  /** Plaintext bytes wanted. */
  readonly length: number;
}

/**
 * The plaintext bytes [start, start + length) of the stored chunks in
 * `stored` (which starts at chunk firstChunk). Every chunk read is opened
 * before any of its bytes are given; a read that reaches the end opens the
 * final chunk too (empty or not), so a dropped tail is never missed. A chunk
 * that does not authenticate, or stored bytes that end early, is
 * DECRYPTION_FAILED.
 */
export async function* openRange(
  key: string,
  dek: Buffer,
  stored: AsyncIterable<Uint8Array>,
  r: OpenRange,
): AsyncGenerator<Uint8Array, void, undefined> {
  const finalIndex = finalChunkIndex(r.plainBytes);
  const end = r.start + r.length;
  const lastChunk = end === r.plainBytes ? finalIndex : Math.floor((end - 1) / CHUNK_BYTES);
  let index = r.firstChunk;
  if (index > lastChunk) return;
  let want = index === finalIndex ? r.plainBytes - finalIndex * CHUNK_BYTES + (CHUNK_STRIDE - CHUNK_BYTES) : CHUNK_STRIDE;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const input of stored) {
    let rest = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    while (rest.byteLength > 0 && index <= lastChunk) {
      const take = Math.min(want - pendingBytes, rest.byteLength);
      pending.push(rest.subarray(0, take));
      pendingBytes += take;
      rest = rest.subarray(take);
      if (pendingBytes < want) continue;
      const sealed = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const plain = openChunk(key, dek, index, index === finalIndex, sealed);
      const from = Math.max(r.start - index * CHUNK_BYTES, 0);
      const to = Math.min(end - index * CHUNK_BYTES, plain.byteLength);
      if (to > from) yield plain.subarray(from, to);
      index++;
      want = index === finalIndex ? r.plainBytes - finalIndex * CHUNK_BYTES + (CHUNK_STRIDE - CHUNK_BYTES) : CHUNK_STRIDE;
    }
    if (index > lastChunk) return;
  }
  throw decryptionFailed(key, `stored data ends inside chunk ${index}`);
}
