/**
 * The streamed put every adapter shares: one PUT when the body fits one part,
 * else a multipart upload fed part by part (one part in memory at a time: the
 * source is not read while a part is being sent), hashed on the way, verified
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
export type UploadPrimitives = Pick<ObjectStore, 'putSmall' | 'startUpload' | 'putPart' | 'completeUpload' | 'abortUpload'>;

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
  checkPartSize(partSize);
  throwIfAborted(signal);
  const sha = new Sha256Tap();
  const parts = splitParts(sha.tap(source), partSize);
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
  try {
    const done: UploadedPart[] = [await store.putPart(key, uploadId, 1, first.value.bytes, signal)];
    for await (const part of parts) {
      throwIfAborted(signal);
      done.push(await store.putPart(key, uploadId, done.length + 1, part.bytes, signal));
    }
    const actual = sha.hex();
    if (expectedSha256 !== undefined && actual !== expectedSha256) throw checksumMismatch(key, expectedSha256, actual);
    const result = await store.completeUpload(key, uploadId, done, { condition, signal });
    return { etag: result.etag, size: sha.size, sha256: actual };
  } catch (e) {
    // Nothing of a failed transfer may linger (S3 bills open parts); the abort's own failure is secondary.
    await store.abortUpload(key, uploadId).catch(() => undefined);
    throw e;
  }
}
