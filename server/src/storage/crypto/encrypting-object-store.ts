/**
 * An ObjectStore decorator that encrypts object data at rest (docs/adr/0016,
 * "Large objects"): every object it writes is stored in the chunked envelope
 * (sealed-chunks.ts) and marked with the user-metadata flag SEALED_FLAG, so a
 * reader tells sealed data from legacy clear data by the flag, not by
 * sniffing bytes (clear data may start with anything). Data without the flag
 * is returned as stored (unless requireSealed).
 *
 * Multipart uploads: startUpload makes the object's header (fresh DEK wrapped
 * under the primary KEK) and returns `<store's id>~<base64url header>`, so
 * every writer of a resumable upload, on any server, seals its parts under the
 * same DEK from the id the session records. Parts are sealed at their
 * placement (offset and final flag; required); the first part carries the
 * header. An id without the extension is an upload started in clear (before
 * encryption was on) and stays clear.
 *
 * Sizes and SHA-256s above this layer are the plaintext's; listParts and list
 * report stored sizes (nothing above uses them as object sizes).
 */
import type { ListOptions } from '../blob-store.js';
import {
  baseUploadId,
  UPLOAD_ID_DECORATION,
  type GetObjectOptions,
  type ObjectCondition,
  type ObjectInfo,
  type ObjectPage,
  type ObjectReader,
  type ObjectStore,
  type OpenUpload,
  type PartPlacement,
  type PutObjectOptions,
  type PutObjectResult,
  type StartUploadOptions,
  type UploadedPart,
} from '../objects/object-store.js';
import { resolveRange } from '../objects/byte-range.js';
import { checksumMismatch } from '../objects/upload-errors.js';
import type { KeyringRef } from './keyring.js';
import { decryptionFailed } from './sealed-body.js';
import {
  CHUNK_BYTES,
  chunkOffset,
  CHUNK_OVERHEAD,
  newObjectHeader,
  OBJECT_HEADER_BYTES,
  openObjectHeader,
  plainSize,
} from './sealed-chunks.js';
import { newTally, openRange, sealPart, sealStream } from './sealed-object-io.js';
import { DbError } from '../../errors/db-error.js';

/** The user-metadata key and value marking sealed data (not 'sb-': the S3 adapter hides those keys). */
export const SEALED_FLAG = { key: 'sbo-sealed', value: '1' } as const;

/** Options of EncryptingObjectStore. */
export interface EncryptingObjectStoreOptions {
  /** The current keyring (replaced on reload). */
  readonly keyring: KeyringRef;
  /** Refuse data without the sealed flag (DECRYPTION_FAILED) instead of reading it as legacy clear data. */
  readonly requireSealed?: boolean;
}

/** See the file comment. */
export class EncryptingObjectStore implements ObjectStore {
  constructor(
    private readonly inner: ObjectStore,
    private readonly o: EncryptingObjectStoreOptions,
  ) {}

  /** Seals the stream on its way to the store; verifies the expected SHA-256 of the plaintext before the final chunk goes. */
  async put(key: string, body: AsyncIterable<Uint8Array>, options: PutObjectOptions = {}): Promise<PutObjectResult> {
    const { header, dek } = newObjectHeader(key, this.o.keyring.get());
    const tally = newTally();
    let sha256 = '';
    const check = (): void => {
      sha256 = tally.hash.digest('hex');
      if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256)
        throw checksumMismatch(key, options.expectedSha256, sha256);
    };
    const { expectedSha256: _, ...rest } = options;
    const stored = await this.inner.put(key, sealStream(key, dek, header, body, tally, check), {
      ...rest,
      metadata: flagged(options.metadata),
    });
    return { etag: stored.etag, size: tally.bytes, sha256 };
  }

  /** Seals the body whole (header and chunks) and writes it with one request. */
  async putSmall(key: string, body: Uint8Array, options: Omit<PutObjectOptions, 'partSize'> = {}): Promise<PutObjectResult> {
    const sha256 = newTally().hash.update(body).digest('hex');
    if (options.expectedSha256 !== undefined && options.expectedSha256 !== sha256)
      throw checksumMismatch(key, options.expectedSha256, sha256);
    const { header, dek } = newObjectHeader(key, this.o.keyring.get());
    const { expectedSha256: _, ...rest } = options;
    const stored = await this.inner.putSmall(key, sealPart(key, dek, header, 0, true, body), {
      ...rest,
      metadata: flagged(options.metadata),
    });
    return { etag: stored.etag, size: body.byteLength, sha256 };
  }

  /** Starts the store's upload (flagged) and returns its id extended with the object's header. */
  async startUpload(key: string, options: StartUploadOptions = {}): Promise<string> {
    const { header } = newObjectHeader(key, this.o.keyring.get());
    const { sha256: _, ...rest } = options; // of the plaintext: the store would check it against ciphertext
    const id = await this.inner.startUpload(key, { ...rest, metadata: flagged(options.metadata) });
    return `${id}${UPLOAD_ID_DECORATION}${header.toString('base64url')}`;
  }

  /** Seals the part at its placement (a clear upload's part passes through); the size reported is the plaintext's. */
  async putPart(
    key: string,
    uploadId: string,
    partNumber: number,
    body: Uint8Array,
    signal?: AbortSignal,
    placement?: PartPlacement,
  ): Promise<UploadedPart> {
    const header = headerOf(uploadId);
    if (header === undefined) return this.inner.putPart(key, uploadId, partNumber, body, signal, placement);
    if (placement === undefined)
      throw new DbError('internal', 'INTERNAL_ERROR', `a part of sealed upload ${key} was sent without its placement`);
    const dek = openObjectHeader(key, header, this.o.keyring.get());
    const sealed = sealPart(key, dek, header, placement.offset, placement.final, body);
    dek.fill(0);
    const part = await this.inner.putPart(key, baseUploadId(uploadId), partNumber, sealed, signal);
    return { ...part, size: body.byteLength };
  }

  /** True for sealed uploads: the object must end with a final chunk. */
  needsFinalPart(uploadId: string): boolean {
    return headerOf(uploadId) !== undefined;
  }

  /** The store's parts (stored sizes). */
  listParts(key: string, uploadId: string, signal?: AbortSignal): Promise<UploadedPart[]> {
    return this.inner.listParts(key, baseUploadId(uploadId), signal);
  }

  /** Completes the store's upload; the size reported is the plaintext's (no SHA-256: the store's would be of ciphertext). */
  async completeUpload(
    key: string,
    uploadId: string,
    parts: readonly Pick<UploadedPart, 'partNumber' | 'etag'>[],
    options?: { readonly condition?: ObjectCondition; readonly signal?: AbortSignal },
  ): Promise<PutObjectResult> {
    const done = await this.inner.completeUpload(key, baseUploadId(uploadId), parts, options);
    if (headerOf(uploadId) === undefined) return done;
    return { etag: done.etag, size: plainSize(key, done.size) };
  }

  abortUpload(key: string, uploadId: string, signal?: AbortSignal): Promise<void> {
    return this.inner.abortUpload(key, baseUploadId(uploadId), signal);
  }

  listUploads(options: { readonly prefix: string; readonly limit: number; readonly signal?: AbortSignal }): Promise<OpenUpload[]> {
    return this.inner.listUploads(options);
  }

  /**
   * Reads the stored chunks covering the range (plus 28 bytes, the size of an
   * empty final chunk, so a read to the end proves the end) and opens them.
   * One request when the data is sealed; legacy clear data is read again with
   * the asked range, under If-Match of the version first seen.
   */
  async get(key: string, options: GetObjectOptions = {}): Promise<ObjectReader | undefined> {
    const offset = options.range?.offset ?? 0;
    const first = Math.floor(offset / CHUNK_BYTES);
    const length = options.range?.length;
    const storedRange =
      length === undefined
        ? { offset: 0 }
        : { offset: 0, length: chunkOffset(Math.floor((offset + Math.max(length, 1) - 1) / CHUNK_BYTES) + 1) + CHUNK_OVERHEAD };
    // The header is needed for the DEK: read from 0 when the range starts in chunk 0, else the header first.
    const reader = await this.readStored(key, first === 0 ? storedRange : undefined, options);
    if (reader === undefined) return undefined;
    if (reader.info.metadata[SEALED_FLAG.key] !== SEALED_FLAG.value) return this.clear(key, reader, options);
    const plainBytes = plainSize(key, reader.info.size);
    const want = resolveRange(options.range, plainBytes);
    const info = plainInfo(reader.info, plainBytes);
    return this.openReader(key, reader, info, want, first, storedRange, options);
  }

  /** The store's head, with the plaintext size of sealed data. */
  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | undefined> {
    const info = await this.inner.head(key, signal);
    if (info === undefined || info.metadata[SEALED_FLAG.key] !== SEALED_FLAG.value) return info;
    return plainInfo(info, plainSize(key, info.size));
  }

  delete(key: string, condition?: Pick<ObjectCondition, 'ifMatch'>, signal?: AbortSignal): Promise<boolean> {
    return this.inner.delete(key, condition, signal);
  }

  /** The store's listing (stored sizes: a listing carries no metadata to tell sealed data apart). */
  list(options: ListOptions, signal?: AbortSignal): Promise<ObjectPage> {
    return this.inner.list(options, signal);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** The stored bytes of a range, or of the header only (range undefined). */
  private readStored(key: string, range: { offset: number; length?: number } | undefined, o: GetObjectOptions) {
    return this.inner.get(key, {
      range: range ?? { offset: 0, length: OBJECT_HEADER_BYTES },
      ...(o.ifMatch !== undefined ? { ifMatch: o.ifMatch } : {}),
      ...(o.signal !== undefined ? { signal: o.signal } : {}),
    });
  }

  /** The reader of the plaintext range `want` of sealed data whose first stored bytes `reader` holds. */
  private async openReader(
    key: string,
    reader: ObjectReader,
    info: ObjectInfo,
    want: { start: number; length: number },
    first: number,
    storedRange: { offset: number; length?: number },
    o: GetObjectOptions,
  ): Promise<ObjectReader> {
    const it = reader.body[Symbol.asyncIterator]();
    const header = await readExactly(key, it, OBJECT_HEADER_BYTES);
    const dek = openObjectHeader(key, header.head, this.o.keyring.get());
    let body: AsyncIterable<Uint8Array>;
    if (first === 0) {
      body = prepend(header.rest, it);
    } else {
      await it.return?.();
      const from = chunkOffset(first);
      const range = storedRange.length === undefined ? { offset: from } : { offset: from, length: storedRange.length - from };
      const rest = await this.inner.get(key, { range, ifMatch: reader.info.etag, ...(o.signal !== undefined ? { signal: o.signal } : {}) });
      if (rest === undefined) throw decryptionFailed(key, 'the data vanished between two reads');
      body = rest.body;
    }
    const r = { plainBytes: info.size, firstChunk: first, start: want.start, length: want.length };
    return { info, start: want.start, length: want.length, body: want.length === 0 ? empty() : openRange(key, dek, body, r) };
  }

  /** Legacy clear data: refused under requireSealed, else read again with the asked range (the first read may have asked other bytes). */
  private async clear(key: string, reader: ObjectReader, o: GetObjectOptions): Promise<ObjectReader | undefined> {
    await reader.body[Symbol.asyncIterator]().return?.();
    if (this.o.requireSealed === true) throw decryptionFailed(key, 'stored in clear, and SB_ENCRYPTION_REQUIRE is on');
    return this.inner.get(key, { ...o, ifMatch: o.ifMatch ?? reader.info.etag });
  }
}

/** The header in an extended upload id, or undefined for a clear upload. */
function headerOf(uploadId: string): Buffer | undefined {
  const at = uploadId.indexOf(UPLOAD_ID_DECORATION);
  return at < 0 ? undefined : Buffer.from(uploadId.slice(at + 1), 'base64url');
}

/** User metadata with the sealed flag. */
function flagged(metadata: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return { ...metadata, [SEALED_FLAG.key]: SEALED_FLAG.value };
}

/** The info of sealed data as the caller sees it: plaintext size, no stored SHA-256, no flag. */
function plainInfo(info: ObjectInfo, size: number): ObjectInfo {
  const { [SEALED_FLAG.key]: _, ...metadata } = info.metadata;
  const { sha256: __, ...rest } = info;
  return { ...rest, size, metadata };
}

/** Reads `n` bytes from `it`; returns them and what came beyond them in the last chunk. */
async function readExactly(key: string, it: AsyncIterator<Uint8Array>, n: number): Promise<{ head: Buffer; rest: Buffer }> {
  const parts: Buffer[] = [];
  let have = 0;
  while (have < n) {
    const next = await it.next();
    if (next.done === true) throw decryptionFailed(key, 'truncated header');
    const b = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    parts.push(b);
    have += b.byteLength;
  }
  const all = Buffer.concat(parts, have);
  return { head: all.subarray(0, n), rest: all.subarray(n) };
}

async function* prepend(first: Buffer, it: AsyncIterator<Uint8Array>): AsyncGenerator<Uint8Array, void, undefined> {
  try {
    if (first.byteLength > 0) yield first;
    for (;;) {
      const next = await it.next();
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    await it.return?.();
  }
}

async function* empty(): AsyncGenerator<Uint8Array, void, undefined> {}
