/**
 * The one place where S3 SDK errors become port errors. Raw SDK errors never
 * escape the S3 adapter: they are kept as the `cause` of a DbError (or a
 * ConditionFailedError for a refused condition), whose message is one of the
 * generic STORAGE_MESSAGES: the SDK's text, error codes and keys stay in logs.
 */
import { DbError } from '../../errors/db-error.js';
import { abortError } from '../../common/abort.js';
import { ConditionFailedError } from '../blob-store.js';

/** What the S3 adapter was doing when the error happened (the upload operations are the object store's, s3-object-store.ts). */
export type S3Op =
  | 'get'
  | 'head'
  | 'put'
  | 'delete'
  | 'list'
  | 'ensureBucket'
  | 'startUpload'
  | 'putPart'
  | 'listParts'
  | 'completeUpload'
  | 'abortUpload'
  | 'listUploads';

/** The messages clients see for storage failures (the SDK's own text is only in the cause). */
export const STORAGE_MESSAGES = Object.freeze({
  unavailable: 'storage unavailable',
  throttled: 'storage throttled',
  rejected: 'storage rejected the request',
  unsupported: 'storage does not support the request',
});

/** The delay suggested to callers after the SDK's own retries of a throttled call ran out, in ms. */
export const THROTTLED_RETRY_DELAY_MS = 1000;

/** Error codes that mean "slow down" (S3 503 SlowDown and its cousins). */
const THROTTLING_CODES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'BandwidthLimitExceeded',
]);

/** The fields of an SDK error that the mapping reads. */
interface SdkErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** The HTTP status of an SDK error, when it got a response. */
export function httpStatusOf(e: unknown): number | undefined {
  return (e as SdkErrorShape | undefined)?.$metadata?.httpStatusCode;
}

/** The S3 error code (e.g. 'NoSuchKey', 'SlowDown') of an SDK error. */
export function errorCodeOf(e: unknown): string | undefined {
  const shape = e as SdkErrorShape | undefined;
  return shape?.Code ?? shape?.name;
}

/** True for a 404 / NoSuchKey / NotFound answer. */
export function isNotFound(e: unknown): boolean {
  const code = errorCodeOf(e);
  return httpStatusOf(e) === 404 || code === 'NoSuchKey' || code === 'NotFound';
}

/**
 * Maps an error thrown by `client.send` to the port's error.
 * @param key the (unprefixed) key, for ConditionFailedError and messages.
 * @param conditional whether the request carried If-Match / If-None-Match.
 * @param ifMatch whether it carried If-Match (a 404 then means the condition failed).
 */
export function mapS3Error(
  e: unknown,
  op: S3Op,
  key: string,
  signal: AbortSignal | undefined,
  conditional = false,
  ifMatch = false,
): Error {
  if (signal?.aborted) return abortError(signal);
  const status = httpStatusOf(e);
  const code = errorCodeOf(e);
  if (conditional && (status === 412 || code === 'PreconditionFailed')) return conditionFailed(key, e);
  if (conditional && (status === 409 || code === 'ConditionalRequestConflict')) return conditionFailed(key, e);
  if (ifMatch && isNotFound(e)) return conditionFailed(key, e);
  if (status === 429 || (code !== undefined && THROTTLING_CODES.has(code)) || (e as SdkErrorShape)?.$retryable?.throttling) {
    return new DbError('resource_exhausted', 'BACKEND_THROTTLED', STORAGE_MESSAGES.throttled, {
      cause: e,
      retryDelayMs: THROTTLED_RETRY_DELAY_MS,
      metadata: { operation: op },
    });
  }
  if (status === 501 || code === 'NotImplemented') {
    return new DbError('internal', 'INTERNAL_ERROR', STORAGE_MESSAGES.unsupported, {
      cause: e,
      metadata: { operation: op, httpStatus: String(status ?? 501) },
    });
  }
  if (status !== undefined && status >= 400 && status < 500 && status !== 403 && status !== 408 && code !== 'NoSuchBucket') {
    // A request the store refused as malformed: our bug, not the backend's state.
    return new DbError('internal', 'INTERNAL_ERROR', STORAGE_MESSAGES.rejected, {
      cause: e,
      metadata: { operation: op, httpStatus: String(status) },
    });
  }
  // Network errors, timeouts, 5xx, 403 (credentials) and a missing bucket: the backend is not usable now.
  const metadata: Record<string, string> = { operation: op };
  if (status !== undefined) metadata.httpStatus = String(status);
  return new DbError('unavailable', 'BACKEND_UNAVAILABLE', STORAGE_MESSAGES.unavailable, { cause: e, metadata });
}

/**
 * The error of an S3 call that outlived the server-side limit (SB_S3_TIMEOUT_MS):
 * 'unavailable' / BACKEND_UNAVAILABLE, like any backend that does not answer.
 */
export function s3Timeout(op: S3Op, timeoutMs: number, cause: unknown): DbError {
  return new DbError('unavailable', 'BACKEND_UNAVAILABLE', STORAGE_MESSAGES.unavailable, {
    cause,
    metadata: { operation: op, timeoutMs: String(timeoutMs) },
  });
}

function conditionFailed(key: string, cause: unknown): ConditionFailedError {
  const err = new ConditionFailedError(key);
  Object.defineProperty(err, 'cause', { value: cause, enumerable: false });
  return err;
}
