/**
 * The chunked envelope of object data at rest (docs/adr/0016, "Large
 * objects"): a fixed-size header with a per-object data key (DEK) wrapped
 * under a KEK of the keyring, then the plaintext in 64 KiB chunks, each
 * sealed with AES-256-GCM under the DEK with a random 96-bit nonce stored in
 * front of it. A chunk's AAD binds the storage key, its index and whether it
 * is the final chunk, so a moved, reordered, dropped, truncated or edited
 * chunk fails its tag (DATA_LOSS / DECRYPTION_FAILED), never yields garbage.
 * Every object ends with a final chunk holding size mod 64 KiB bytes (0 when
 * the size is a multiple: then the final chunk is empty), so the stored size
 * fixes the plaintext size and every chunk's place:
 *
 *   header (131) | chunk 0 | chunk 1 | … ; chunk i at 131 + i × (65,536 + 28)
 *   header: magic "\0SBO" | version 1 | log2 chunk size (16) | n | KEK id (n, NUL-padded to 64) |
 *           wrap nonce (12) | wrapped DEK + tag (48)
 *   chunk:  nonce (12) | ciphertext | tag (16)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';
import { decryptionFailed, unknownKek } from './sealed-body.js';

/** The first bytes of sealed object data ("\0SBO"; document bodies use "\0SBE"). */
export const OBJECT_MAGIC = Buffer.from([0x00, 0x53, 0x42, 0x4f]);
/** The chunked format this code writes and reads. */
export const OBJECT_FORMAT_VERSION = 1;
const CHUNK_LOG2 = 16;
/** Plaintext bytes per chunk (all but the final chunk hold exactly this many). */
export const CHUNK_BYTES = 1 << CHUNK_LOG2;
const NONCE = 12;
const TAG = 16;
/** Bytes a chunk adds to its plaintext: nonce and tag. */
export const CHUNK_OVERHEAD = NONCE + TAG;
/** Stored bytes of a full chunk. */
export const CHUNK_STRIDE = CHUNK_BYTES + CHUNK_OVERHEAD;
const KEK_ID_FIELD = 64;
const WRAP_NONCE_AT = 7 + KEK_ID_FIELD;
const WRAPPED_AT = WRAP_NONCE_AT + NONCE;
/** Bytes of the header (fixed: the KEK id is padded, so stored size ↔ plaintext size needs no read). */
export const OBJECT_HEADER_BYTES = WRAPPED_AT + 32 + TAG;

/** The stored size of `plainBytes` of plaintext. */
export function sealedSize(plainBytes: number): number {
  return OBJECT_HEADER_BYTES + plainBytes + CHUNK_OVERHEAD * (Math.floor(plainBytes / CHUNK_BYTES) + 1);
}

/** The plaintext size of a stored object of `storedBytes`; DECRYPTION_FAILED when no plaintext has that stored size (truncated). */
export function plainSize(key: string, storedBytes: number): number {
  const body = storedBytes - OBJECT_HEADER_BYTES;
  if (body < CHUNK_OVERHEAD) throw decryptionFailed(key, 'truncated');
  const full = Math.floor(body / CHUNK_STRIDE);
  const rest = body - full * CHUNK_STRIDE;
  if (rest < CHUNK_OVERHEAD) throw decryptionFailed(key, 'truncated at a chunk boundary');
  return full * CHUNK_BYTES + rest - CHUNK_OVERHEAD;
}

/** The index of the final chunk of `plainBytes` of plaintext. */
export function finalChunkIndex(plainBytes: number): number {
  return Math.floor(plainBytes / CHUNK_BYTES);
}

/** Where chunk `index` starts in the stored object. */
export function chunkOffset(index: number): number {
  return OBJECT_HEADER_BYTES + index * CHUNK_STRIDE;
}

/** A new object's header with a fresh DEK wrapped under the keyring's primary KEK, and that DEK. */
export function newObjectHeader(key: string, ring: Keyring): { header: Buffer; dek: Buffer } {
  const kek = ring.keys.get(ring.primary);
  if (kek === undefined) throw new Error(`keyring primary ${ring.primary} has no key`); // parseKeyring forbids it
  const id = Buffer.from(ring.primary, 'ascii');
  const header = Buffer.alloc(OBJECT_HEADER_BYTES);
  OBJECT_MAGIC.copy(header, 0);
  header[4] = OBJECT_FORMAT_VERSION;
  header[5] = CHUNK_LOG2;
  header[6] = id.length;
  id.copy(header, 7);
  const wrapNonce = randomBytes(NONCE);
  wrapNonce.copy(header, WRAP_NONCE_AT);
  const dek = randomBytes(32);
  const wrapper = createCipheriv('aes-256-gcm', kek, wrapNonce);
  wrapper.setAAD(wrapAad(key, header));
  Buffer.concat([wrapper.update(dek), wrapper.final(), wrapper.getAuthTag()]).copy(header, WRAPPED_AT);
  return { header, dek };
}

/** The DEK of a stored header; DECRYPTION_FAILED (malformed, tampered, moved) or ENCRYPTION_KEY_UNKNOWN. */
export function openObjectHeader(key: string, stored: Uint8Array, ring: Keyring): Buffer {
  const h = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength);
  if (h.length < OBJECT_HEADER_BYTES || !OBJECT_MAGIC.equals(h.subarray(0, 4))) throw decryptionFailed(key, 'no sealed object header');
  if (h[4] !== OBJECT_FORMAT_VERSION) throw decryptionFailed(key, `unknown object format version ${h[4]}`);
  if (h[5] !== CHUNK_LOG2) throw decryptionFailed(key, `unsupported chunk size 2^${h[5]}`);
  const n = h[6]!;
  const kekId = h.toString('latin1', 7, 7 + n);
  if (n < 1 || n > KEK_ID_FIELD || !/^[A-Za-z0-9_.-]+$/.test(kekId) || h.subarray(7 + n, WRAP_NONCE_AT).some((b) => b !== 0))
    throw decryptionFailed(key, 'malformed key id');
  const kek = ring.keys.get(kekId);
  if (kek === undefined) throw unknownKek(key, kekId);
  try {
    const unwrapper = createDecipheriv('aes-256-gcm', kek, h.subarray(WRAP_NONCE_AT, WRAPPED_AT));
    unwrapper.setAAD(wrapAad(key, h));
    unwrapper.setAuthTag(h.subarray(WRAPPED_AT + 32, OBJECT_HEADER_BYTES));
    return Buffer.concat([unwrapper.update(h.subarray(WRAPPED_AT, WRAPPED_AT + 32)), unwrapper.final()]);
  } catch (e) {
    throw decryptionFailed(key, 'data key authentication failed', e);
  }
}

/** Chunk `index` of the object at `key` sealed: nonce ‖ ciphertext ‖ tag. A non-final chunk must hold CHUNK_BYTES. */
export function sealChunk(key: string, dek: Buffer, index: number, final: boolean, plaintext: Uint8Array): Buffer {
  if (final ? plaintext.byteLength >= CHUNK_BYTES : plaintext.byteLength !== CHUNK_BYTES)
    throw new Error(`chunk ${index} of ${key}: ${plaintext.byteLength} bytes cannot be a ${final ? 'final' : 'full'} chunk`);
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', dek, nonce);
  cipher.setAAD(chunkAad(key, index, final));
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The plaintext of sealed chunk `index`; DECRYPTION_FAILED when it does not authenticate as that chunk of that key. */
export function openChunk(key: string, dek: Buffer, index: number, final: boolean, sealed: Uint8Array): Buffer {
  const c = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (c.length < CHUNK_OVERHEAD || c.length > CHUNK_STRIDE) throw decryptionFailed(key, `chunk ${index} has a wrong length`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, c.subarray(0, NONCE));
    decipher.setAAD(chunkAad(key, index, final));
    decipher.setAuthTag(c.subarray(c.length - TAG));
    return Buffer.concat([decipher.update(c.subarray(NONCE, c.length - TAG)), decipher.final()]);
  } catch (e) {
    throw decryptionFailed(key, `chunk ${index} authentication failed`, e);
  }
}

/** AAD of the DEK wrap: the storage key and the header up to the wrap nonce (magic, version, chunk size, KEK id). */
function wrapAad(key: string, header: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`sbo1 wrap\0${key}\0`, 'utf8'), header.subarray(0, WRAP_NONCE_AT)]);
}

/** AAD of a chunk: the storage key, the chunk index (8 bytes, big-endian) and the final flag. */
function chunkAad(key: string, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(9);
  tail.writeBigUInt64BE(BigInt(index), 0);
  tail[8] = final ? 1 : 0;
  return Buffer.concat([Buffer.from(`sbo1 chunk\0${key}\0`, 'utf8'), tail]);
}
