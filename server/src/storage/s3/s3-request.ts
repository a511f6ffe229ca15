/**
 * The request plumbing of S3ObjectStore: one SDK call under a time limit with
 * its error mapped (s3/s3-errors.ts), condition headers, and response bodies
 * that stop when the caller's signal aborts.
 */
import type { Readable } from 'node:stream';
import { abortError, throwIfAborted, timeoutSignal } from '../../common/abort.js';
import { DbError } from '../../errors/db-error.js';
import { ConditionFailedError } from '../blob-store.js';
import { quoteEtag } from './etag.js';
import { errorCodeOf, httpStatusOf, mapS3Error, s3Timeout, type S3Op } from './s3-errors.js';
import { resolveRange, sizeFromContentRange } from '../objects/byte-range.js';
import type { GetObjectOptions, ObjectCondition, ObjectReader } from '../objects/object-store.js';
import { objectInfo, type S3ObjectHeaders } from './s3-object-info.js';

/** Whether a request carried a condition, and whether it was If-Match (a 404 then means the condition failed). */
export interface ConditionFlags {
  readonly conditional: boolean;
  readonly ifMatch: boolean;
}

/** A request without a condition. */
export const NO_CONDITION: ConditionFlags = { conditional: false, ifMatch: false };

/** A request with If-Match. */
export const IF_MATCH: ConditionFlags = { conditional: true, ifMatch: true };

/** The flags of a write carrying `c`. */
export function conditionFlags(c: ObjectCondition | undefined): ConditionFlags {
  return { conditional: c?.ifMatch !== undefined || c?.ifNoneMatch === true, ifMatch: c?.ifMatch !== undefined };
}

/** The SDK input fields of `c` (If-Match: "etag", or If-None-Match: *). */
export function conditionHeaders(c: ObjectCondition | undefined): { IfMatch?: string; IfNoneMatch?: string } {
  if (c?.ifMatch !== undefined) return { IfMatch: quoteEtag(c.ifMatch) };
  if (c?.ifNoneMatch === true) return { IfNoneMatch: '*' };
  return {};
}

/**
 * Runs `fn` with a signal that aborts with `signal` or after `timeoutMs`; maps what it throws:
 * a time-out to 'unavailable', NoSuchUpload to 'not_found' (callers that know the upload
 * replace it by uploadNotFound), the rest through mapS3Error.
 */
export async function s3Call<T>(
  op: S3Op,
  key: string,
  signal: AbortSignal | undefined,
  timeoutMs: number,
  flags: ConditionFlags,
  fn: (s: AbortSignal) => Promise<T>,
): Promise<T> {
  throwIfAborted(signal);
  const limit = timeoutSignal(signal, timeoutMs);
  try {
    return await fn(limit.signal);
  } catch (e) {
    if (e instanceof DbError || e instanceof ConditionFailedError) throw e;
    if (limit.timedOut()) throw s3Timeout(op, timeoutMs, e);
    if (errorCodeOf(e) === 'NoSuchUpload') throw new DbError('not_found', 'INVALID_ARGUMENT', 'no such upload', { cause: e });
    throw mapS3Error(e, op, key, signal, flags.conditional, flags.ifMatch);
  } finally {
    limit.release();
  }
}

/** A body of no bytes. */
export async function* emptyBody(): AsyncGenerator<Uint8Array> {}

/** The response body's chunks; destroys the socket stream when `signal` aborts or the consumer stops early. */
export async function* abortable(body: Readable, signal: AbortSignal | undefined): AsyncGenerator<Uint8Array> {
  const onAbort = (): void => {
    body.destroy(abortError(signal as AbortSignal));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    throwIfAborted(signal);
    for await (const chunk of body) yield chunk as Uint8Array;
  } catch (e) {
    if (signal?.aborted) throw abortError(signal);
    if (e instanceof DbError) throw e;
    throw new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'storage unavailable', { cause: e, metadata: { operation: 'get' } });
  } finally {
    signal?.removeEventListener('abort', onAbort);
    body.destroy();
  }
}

/** True when a mapped GetObject error was S3's 416 (a range starting at or past the end, or any range of an empty object). */
export function isRangeNotSatisfiable(e: unknown): boolean {
  const cause = (e as Error | undefined)?.cause;
  return httpStatusOf(cause) === 416 || errorCodeOf(cause) === 'InvalidRange';
}

/** The fields of a GetObject answer that a reader needs. */
export interface S3GetAnswer extends S3ObjectHeaders {
  readonly Body?: unknown;
  readonly ContentRange?: string | undefined;
  readonly ContentLength?: number | undefined;
}

/**
 * The reader of a GetObject answer: the object's size from Content-Range (else Content-Length),
 * the ETag checked against ifMatch (ConditionFailedError, body released), the body abortable.
 */
export function readerOf(key: string, res: S3GetAnswer, options: GetObjectOptions): ObjectReader {
  const body = res.Body as Readable | undefined;
  const size = sizeFromContentRange(res.ContentRange) ?? res.ContentLength ?? 0;
  const info = objectInfo(key, size, res);
  if (options.ifMatch !== undefined && info.etag !== options.ifMatch) {
    body?.destroy();
    throw new ConditionFailedError(key, info.etag);
  }
  const { start, length } = resolveRange(options.range, size);
  return { info, start, length, body: body === undefined ? emptyBody() : abortable(body, options.signal) };
}
