import { DbError, invalid, isDbError } from './db-error.js';

describe('DbError', () => {
  it('keeps kind, reason, metadata and cause', () => {
    const cause = new Error('socket hang up');
    const e = new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'S3 unreachable', {
      metadata: { backend: 's3' },
      retryDelayMs: 100,
      cause,
    });
    expect(e.kind).toBe('unavailable');
    expect(e.reason).toBe('BACKEND_UNAVAILABLE');
    expect(e.metadata).toEqual({ backend: 's3' });
    expect(e.retryDelayMs).toBe(100);
    expect(e.cause).toBe(cause);
    expect(isDbError(e, 'BACKEND_UNAVAILABLE')).toBe(true);
    expect(isDbError(e, 'ETAG_MISMATCH')).toBe(false);
    expect(isDbError(new Error('x'))).toBe(false);
  });

  it('invalid() names the field in the error and its metadata', () => {
    const e = invalid('INVALID_ID', 'id', 'id must not be empty');
    expect(e.kind).toBe('invalid');
    expect(e.field).toBe('id');
    expect(e.metadata.field).toBe('id');
  });
});
