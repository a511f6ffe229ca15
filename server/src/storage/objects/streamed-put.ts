/**
 * The streamed put every adapter shares: one PUT when the body fits one part,
 * else a multipart upload fed part by part — up to `partsInFlight` parts sent
 * at once while the next one fills (partsInFlight + 1 part buffers; the
 * source is not read while all of them are busy), hashed on the way, verified
 * against the expected SHA-256 before the completion, and aborted on any
 * failure so that nothing is left behind or made visible.
 */
import { throwIfAborted } from '../../common/abort.js';
import { DbError } from '../../errors/db-error.js';
import {
  DEFAULT_PART_SIZE,
  MIN_PART_SIZE,
  type ObjectStore,
  type PutObjectOptions,
  type PutObjectResult,
  type UploadedPart,
} from './object-store.js';
import { splitParts } from './part-splitter.js';
import { Sha256Tap } from './sha256-stream.js';
import { checksumMismatch } from './upload-errors.js';

/** The primitives streamedPut drives (a subset of ObjectStore). */
export type UploadPrimitives = Pick<ObjectStore, 'putSmall' | 'startUpload' | 'putPart' | 'completeUpload' | 'abortUpload' | 'listParts'>;

/**
 * Parts of one upload sent at once when PutObjectOptions.partsInFlight is unset (docs/adr/0013 §7):
 * with one, the client waits while a part goes to storage and storage waits while the next part
 * arrives; two overlap both (issue 13 benchmark, docs/benchmarks.md "Objects").
 */
export const DEFAULT_PARTS_IN_FLIGHT = 2;

/** Throws 'invalid' unless `partSize` is an integer ≥ MIN_PART_SIZE. */
export function checkPartSize(partSize: number): void {
  if (!Number.isSafeInteger(partSize) || partSize < MIN_PART_SIZE) {
    throw new DbError('invalid', 'INVALID_ARGUMENT', `part size must be an integer of at least ${MIN_PART_SIZE} bytes, got ${partSize}`, {
      field: 'part_size',
      metadata: { field: 'part_size' },
    });
  }
}

/** Streams `source` into `key` through `store`'s primitives (see the file comment). */
export async function streamedPut(
  store: UploadPrimitives,
  key: string,
  source: AsyncIterable<Uint8Array>,
  options: PutObjectOptions = {},
): Promise<PutObjectResult> {
  const { signal, partSize = DEFAULT_PART_SIZE, expectedSha256, condition, contentType, metadata } = options;
  const inFlight = options.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT;
  checkPartSize(partSize);
  throwIfAborted(signal);
  const sha = new Sha256Tap();
  const parts = splitParts(sha.tap(source), partSize, inFlight + 1);
  const first = await parts.next();
  if (first.done === true) throw new Error('splitParts yields at least one part');
  if (first.value.last) {
    const actual = sha.hex();
    if (expectedSha256 !== undefined && actual !== expectedSha256) throw checksumMismatch(key, expectedSha256, actual);
    return store.putSmall(key, first.value.bytes, { contentType, metadata, condition, expectedSha256: actual, signal });
  }
  const uploadId = await store.startUpload(key, {
    contentType,
    metadata,
    signal,
    ...(expectedSha256 !== undefined ? { sha256: expectedSha256 } : {}),
  });
  const sending: Promise<UploadedPart>[] = [];
  try {
    const done: UploadedPart[] = [];
    let number = 0;
    const send = async (bytes: Uint8Array): Promise<void> => {
      // A part's buffer is reused by the splitter once inFlight later parts were cut: wait for a free slot first.
      while (sending.length >= inFlight) done.push(await (sending.shift() as Promise<UploadedPart>));
      throwIfAborted(signal);
      const put = store.putPart(key, uploadId, ++number, bytes, signal);
      // Its failure is seen when it is awaited; until then it must not count as unhandled.
      put.catch(() => undefined);
      sending.push(put);
    };
    await send(first.value.bytes);
    for await (const part of parts) await send(part.bytes);
    while (sending.length > 0) done.push(await (sending.shift() as Promise<UploadedPart>));
    const actual = sha.hex();
    if (expectedSha256 !== undefined && actual !== expectedSha256) throw checksumMismatch(key, expectedSha256, actual);
    const result = await store.completeUpload(key, uploadId, done, { condition, signal });
    return { etag: result.etag, size: sha.size, sha256: actual };
  } catch (e) {
    // Parts still being sent finish (or fail) before the abort, so none lands after it.
    await Promise.allSettled(sending);
    // Nothing of a failed transfer may linger (S3 bills open parts); the abort's own failure is secondary.
    await abortCompletely(store, key, uploadId);
    throw e;
  }
}

/** Aborts a failed transfer's upload at most this many times. */
const ABORT_ATTEMPTS = 3;

/**
 * Aborts `uploadId`, and again while its parts still show (S3's advice: a
 * part whose PUT was cut by a cancel may still land at the store after the
 * abort; ListParts until it is empty). The store's answers are secondary to
 * the transfer's own error: failures are swallowed, and the upload sweeper
 * (ADR 0013 §8) aborts whatever is left.
 */
async function abortCompletely(store: UploadPrimitives, key: string, uploadId: string): Promise<void> {
  for (let i = 0; i < ABORT_ATTEMPTS; i++) {
    await store.abortUpload(key, uploadId).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 100 * (i + 1)));
    const left = await store.listParts(key, uploadId).catch(() => []); // not found: gone
    if (left.length === 0) return;
  }
}
