import { ConditionFailedError } from '../blob-store.js';
import { DbError } from '../../errors/db-error.js';
import { mapS3Error, s3Timeout, STORAGE_MESSAGES } from './s3-errors.js';

/** An object shaped like an SDK ServiceException. */
function sdkError(name: string, status?: number): Error {
  const e = new Error(name) as Error & { $metadata: { httpStatusCode?: number }; Code: string };
  e.name = name;
  e.Code = name;
  e.$metadata = { httpStatusCode: status };
  return e;
}

describe('mapS3Error', () => {
  it.each([
    ['PreconditionFailed', 412],
    ['ConditionalRequestConflict', 409],
  ])('%s (%d) on a conditional write → ConditionFailedError keeping the cause', (name, status) => {
    const raw = sdkError(name, status);
    const err = mapS3Error(raw, 'put', 'docs/c/k', undefined, true);
    expect(err).toBeInstanceOf(ConditionFailedError);
    expect((err as ConditionFailedError).key).toBe('docs/c/k');
    expect(err.cause).toBe(raw);
  });

  it('404 is a failed condition only for an If-Match write', () => {
    expect(mapS3Error(sdkError('NoSuchKey', 404), 'put', 'k', undefined, true, true)).toBeInstanceOf(ConditionFailedError);
    expect(mapS3Error(sdkError('NoSuchKey', 404), 'put', 'k', undefined, true, false)).toBeInstanceOf(DbError);
  });

  it.each([
    ['SlowDown', 503],
    ['ThrottlingException', 400],
    ['TooManyRequests', 429],
  ])('%s (%d) → resource_exhausted BACKEND_THROTTLED with retryDelayMs', (name, status) => {
    const err = mapS3Error(sdkError(name, status), 'put', 'k', undefined);
    expect(err).toMatchObject({ kind: 'resource_exhausted', reason: 'BACKEND_THROTTLED' });
    expect((err as DbError).retryDelayMs).toBeGreaterThan(0);
  });

  it.each([
    ['InternalError', 500],
    ['ServiceUnavailable', 503],
    ['AccessDenied', 403],
    ['NoSuchBucket', 404],
  ])('%s (%d) → unavailable BACKEND_UNAVAILABLE', (name, status) => {
    expect(mapS3Error(sdkError(name, status), 'get', 'k', undefined)).toMatchObject({
      kind: 'unavailable',
      reason: 'BACKEND_UNAVAILABLE',
      metadata: { operation: 'get', httpStatus: String(status) },
    });
  });

  it('a network error without a response → unavailable with the error as cause', () => {
    const raw = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const err = mapS3Error(raw, 'list', 'p/', undefined);
    expect(err).toMatchObject({ kind: 'unavailable', reason: 'BACKEND_UNAVAILABLE' });
    expect(err.cause).toBe(raw);
  });

  it('a malformed-request 400 or a 501 → internal', () => {
    expect(mapS3Error(sdkError('InvalidArgument', 400), 'put', 'k', undefined)).toMatchObject({ kind: 'internal' });
    expect(mapS3Error(sdkError('NotImplemented', 501), 'put', 'k', undefined, true)).toMatchObject({ kind: 'internal' });
  });

  it('an aborted signal wins over the SDK error: cancelled, or deadline_exceeded for a timeout', () => {
    const ac = new AbortController();
    ac.abort();
    expect(mapS3Error(sdkError('AbortError'), 'get', 'k', ac.signal)).toMatchObject({ kind: 'cancelled', reason: 'CANCELLED' });
    const timeout = new AbortController();
    timeout.abort(new DOMException('timed out', 'TimeoutError'));
    expect(mapS3Error(sdkError('AbortError'), 'get', 'k', timeout.signal)).toMatchObject({ kind: 'deadline_exceeded' });
  });

  it('messages are generic: no SDK text, error code or key reaches them (the cause keeps it)', () => {
    const cases: [Error, string][] = [
      [sdkError('InternalError', 500), STORAGE_MESSAGES.unavailable],
      [Object.assign(new Error('connect ECONNREFUSED 10.0.0.7:9000'), { code: 'ECONNREFUSED' }), STORAGE_MESSAGES.unavailable],
      [sdkError('SlowDown', 503), STORAGE_MESSAGES.throttled],
      [sdkError('InvalidArgument', 400), STORAGE_MESSAGES.rejected],
      [sdkError('NotImplemented', 501), STORAGE_MESSAGES.unsupported],
    ];
    for (const [raw, message] of cases) {
      const err = mapS3Error(raw, 'get', 'docs/secret-collection/k', undefined);
      expect(err.message).toBe(message);
      expect(err.message).not.toMatch(/secret-collection|ECONNREFUSED|InternalError|SlowDown/);
      expect(err.cause).toBe(raw);
    }
  });

  it('s3Timeout → unavailable BACKEND_UNAVAILABLE naming the operation and the limit', () => {
    const cause = new Error('aborted');
    expect(s3Timeout('put', 2500, cause)).toMatchObject({
      kind: 'unavailable',
      reason: 'BACKEND_UNAVAILABLE',
      message: 'storage unavailable',
      metadata: { operation: 'put', timeoutMs: '2500' },
      cause,
    });
  });
});
