/**
 * The sealed-body envelope of encryption at rest (docs/adr/0016, layout in
 * docs/storage-format.md): a fresh 256-bit data key (DEK) per write encrypts
 * the body with AES-256-GCM; the DEK is wrapped with AES-256-GCM under a
 * key-encryption key (KEK) of the keyring. Both tags bind the storage key,
 * so a body copied onto another key fails; every header byte is covered by
 * one of the tags. The body's AAD leaves out the KEK id and wrapped key so
 * that rewrap() can move a body to another KEK without touching its
 * ciphertext.
 *
 *   magic "\0SBE" | version 1 | n | KEK id (n) | wrap nonce (12) |
 *   wrapped DEK + tag (48) | body nonce (12) | ciphertext | tag (16)
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DbError } from '../../errors/db-error.js';
import type { Keyring } from './keyring.js';

/** The first bytes of every sealed body: a NUL first, so never the start of a JSON text. */
export const SEALED_MAGIC = Buffer.from([0x00, 0x53, 0x42, 0x45]);
/** The envelope format this code writes and reads. */
export const SEALED_VERSION = 1;
const NONCE = 12;
const TAG = 16;
const WRAPPED = 32 + TAG;
/** Bytes a sealed body adds to its plaintext, besides the KEK id's length. */
export const SEALED_OVERHEAD = SEALED_MAGIC.length + 2 + NONCE + WRAPPED + NONCE + TAG;

/** The parsed header of a sealed body. */
interface Header {
  readonly kekId: string;
  readonly wrapNonce: Buffer;
  readonly wrapped: Buffer;
  readonly bodyNonce: Buffer;
  /** Where the body ciphertext starts. */
  readonly bodyStart: number;
}

/** Whether `body` starts with the sealed magic (otherwise it is a clear, legacy body). */
export function isSealed(body: Uint8Array): boolean {
  return body.length >= SEALED_MAGIC.length && SEALED_MAGIC.equals(body.subarray(0, SEALED_MAGIC.length));
}

/** DATA_LOSS / DECRYPTION_FAILED for the stored object at `key`. */
export function decryptionFailed(key: string, why: string, cause?: unknown): DbError {
  return new DbError('data_loss', 'DECRYPTION_FAILED', `stored body of ${key} does not decrypt: ${why}`, {
    metadata: { key },
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** FAILED_PRECONDITION / ENCRYPTION_KEY_UNKNOWN: `key` is sealed under a KEK this keyring lacks. */
export function unknownKek(key: string, kekId: string): DbError {
  return new DbError(
    'failed_precondition',
    'ENCRYPTION_KEY_UNKNOWN',
    `stored body of ${key} is sealed under key ${kekId}, which is not in the keyring`,
    {
      metadata: { key, kekId },
    },
  );
}

/** The KEK id of a sealed body, or undefined when the body is clear or its header is malformed. */
export function sealedKekId(body: Uint8Array): string | undefined {
  if (!isSealed(body)) return undefined;
  try {
    return parseHeader('', body).kekId;
  } catch {
    return undefined;
  }
}

/** Seals `plaintext` for storage at `key` under the keyring's primary KEK, with a fresh DEK and nonces. */
export function seal(key: string, plaintext: Uint8Array, ring: Keyring): Uint8Array {
  const dek = randomBytes(32);
  const bodyNonce = randomBytes(NONCE);
  const head = wrapHeader(key, ring, dek, bodyNonce);
  const cipher = createCipheriv('aes-256-gcm', dek, bodyNonce);
  cipher.setAAD(bodyAad(key, bodyNonce));
  const out = Buffer.concat([head, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  dek.fill(0);
  return out;
}

/** The plaintext of a sealed body stored at `key`; DECRYPTION_FAILED or ENCRYPTION_KEY_UNKNOWN otherwise. */
export function open(key: string, sealed: Uint8Array, ring: Keyring): Uint8Array {
  const h = parseHeader(key, sealed);
  const dek = unwrap(key, h, ring);
  const body = sealed.subarray(h.bodyStart);
  if (body.length < TAG) throw decryptionFailed(key, 'truncated');
  try {
    const decipher = createDecipheriv('aes-256-gcm', dek, h.bodyNonce);
    decipher.setAAD(bodyAad(key, h.bodyNonce));
    decipher.setAuthTag(body.subarray(body.length - TAG));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG)), decipher.final()]);
  } catch (e) {
    throw decryptionFailed(key, 'body authentication failed', e);
  } finally {
    dek.fill(0);
  }
}

/**
 * The same sealed body with its DEK wrapped under the keyring's primary KEK
 * instead (a new wrap nonce); the body ciphertext is kept byte for byte. The
 * wrap is checked first (DECRYPTION_FAILED / ENCRYPTION_KEY_UNKNOWN), and the
 * body too, so a corrupt body is never given a fresh header.
 */
export function rewrap(key: string, sealed: Uint8Array, ring: Keyring): Uint8Array {
  open(key, sealed, ring);
  const h = parseHeader(key, sealed);
  const dek = unwrap(key, h, ring);
  try {
    return Buffer.concat([wrapHeader(key, ring, dek, h.bodyNonce), sealed.subarray(h.bodyStart)]);
  } finally {
    dek.fill(0);
  }
}

/** Everything before the body ciphertext, with `dek` wrapped under the primary KEK. */
function wrapHeader(key: string, ring: Keyring, dek: Buffer, bodyNonce: Buffer): Buffer {
  const kek = ring.keys.get(ring.primary);
  if (kek === undefined) throw new Error(`keyring primary ${ring.primary} has no key`); // parseKeyring forbids it
  const id = Buffer.from(ring.primary, 'ascii');
  const wrapNonce = randomBytes(NONCE);
  const wrapper = createCipheriv('aes-256-gcm', kek, wrapNonce);
  wrapper.setAAD(wrapAad(key, id));
  const wrapped = Buffer.concat([wrapper.update(dek), wrapper.final(), wrapper.getAuthTag()]);
  return Buffer.concat([SEALED_MAGIC, Buffer.from([SEALED_VERSION, id.length]), id, wrapNonce, wrapped, bodyNonce]);
}

/** The DEK of a parsed header; ENCRYPTION_KEY_UNKNOWN or DECRYPTION_FAILED. */
function unwrap(key: string, h: Header, ring: Keyring): Buffer {
  const kek = ring.keys.get(h.kekId);
  if (kek === undefined) throw unknownKek(key, h.kekId);
  try {
    const unwrapper = createDecipheriv('aes-256-gcm', kek, h.wrapNonce);
    unwrapper.setAAD(wrapAad(key, Buffer.from(h.kekId, 'ascii')));
    unwrapper.setAuthTag(h.wrapped.subarray(32));
    return Buffer.concat([unwrapper.update(h.wrapped.subarray(0, 32)), unwrapper.final()]);
  } catch (e) {
    throw decryptionFailed(key, 'data key authentication failed', e);
  }
}

/** Parses the header of a sealed body; DECRYPTION_FAILED when it is not a well-formed version-1 header. */
function parseHeader(key: string, body: Uint8Array): Header {
  const b = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (!isSealed(b)) throw decryptionFailed(key, 'no sealed header');
  if (b.length < SEALED_MAGIC.length + 2) throw decryptionFailed(key, 'truncated header');
  if (b[4] !== SEALED_VERSION) throw decryptionFailed(key, `unknown envelope version ${b[4]}`);
  const n = b[5]!;
  const idStart = 6;
  const wrapNonceStart = idStart + n;
  const wrappedStart = wrapNonceStart + NONCE;
  const bodyNonceStart = wrappedStart + WRAPPED;
  const bodyStart = bodyNonceStart + NONCE;
  if (n < 1 || n > 64 || b.length < bodyStart + TAG) throw decryptionFailed(key, 'truncated header');
  const kekId = b.toString('latin1', idStart, wrapNonceStart);
  if (!/^[A-Za-z0-9_.-]+$/.test(kekId)) throw decryptionFailed(key, 'malformed key id');
  return {
    kekId,
    wrapNonce: b.subarray(wrapNonceStart, wrappedStart),
    wrapped: b.subarray(wrappedStart, bodyNonceStart),
    bodyNonce: b.subarray(bodyNonceStart, bodyStart),
    bodyStart,
  };
}

/** AAD of the DEK wrap: the storage key, the format and the KEK id. */
function wrapAad(key: string, kekId: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`sbe1 wrap\0${key}\0`, 'utf8'), SEALED_MAGIC, Buffer.from([SEALED_VERSION]), kekId]);
}

/** AAD of the body: the storage key, the format and the body nonce (not the wrap: rewrap keeps the body). */
function bodyAad(key: string, bodyNonce: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`sbe1 body\0${key}\0`, 'utf8'), SEALED_MAGIC, Buffer.from([SEALED_VERSION]), bodyNonce]);
}
