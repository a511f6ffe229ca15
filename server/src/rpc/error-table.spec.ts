import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { DbError, invalid, type ErrorKind } from '../errors/db-error.js';
import { BadRequestSchema, ErrorInfoSchema, PreconditionFailureSchema, RetryInfoSchema } from '../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../gen/google/rpc/status_pb.js';
import { bounded, DEFAULT_RETRY_DELAY_MS, ERROR_BOUNDS, KIND_TO_CODE, statusDetailsBin, toConnectError } from './error-table.js';

describe('error table', () => {
  test.each<[ErrorKind, number]>([
    ['invalid', 3],
    ['not_found', 5],
    ['already_exists', 6],
    ['aborted', 10],
    ['failed_precondition', 9],
    ['unavailable', 14],
    ['resource_exhausted', 8],
    ['deadline_exceeded', 4],
    ['cancelled', 1],
    ['internal', 13],
    ['unauthenticated', 16],
    ['permission_denied', 7],
  ])('%s → gRPC code %i', (kind, grpcCode) => {
    expect(KIND_TO_CODE[kind]).toBe(grpcCode);
    expect(toConnectError(new DbError(kind, 'INTERNAL_ERROR', 'm')).code).toBe(grpcCode);
  });

  test('ErrorInfo carries reason, domain and metadata; the message is kept', () => {
    const e = toConnectError(
      new DbError('aborted', 'ETAG_MISMATCH', 'stale etag', { metadata: { currentEtag: 'e2', expectedEtag: 'e1' } }),
    );
    expect(e.rawMessage).toBe('stale etag');
    expect(e.findDetails(ErrorInfoSchema)).toEqual([
      expect.objectContaining({ reason: 'ETAG_MISMATCH', domain: 'smarterbase.v1', metadata: { currentEtag: 'e2', expectedEtag: 'e1' } }),
    ]);
    expect(e.findDetails(BadRequestSchema)).toEqual([]);
    expect(e.findDetails(RetryInfoSchema)).toEqual([]);
  });

  test('invalid with a field adds a BadRequest field violation', () => {
    const e = toConnectError(invalid('INVALID_ID', 'id', 'bad id'));
    expect(e.findDetails(BadRequestSchema)[0]?.fieldViolations).toEqual([
      expect.objectContaining({ field: 'id', description: 'bad id', reason: 'INVALID_ID' }),
    ]);
  });

  test('unavailable / resource_exhausted with a delay add RetryInfo', () => {
    const e = toConnectError(new DbError('resource_exhausted', 'BACKEND_THROTTLED', 'slow down', { retryDelayMs: 1500 }));
    expect(e.findDetails(RetryInfoSchema)[0]?.retryDelay).toEqual(expect.objectContaining({ seconds: 1n, nanos: 500_000_000 }));
    expect(
      toConnectError(new DbError('aborted', 'CONCURRENT_MODIFICATION', 'x', { retryDelayMs: 10 })).findDetails(RetryInfoSchema),
    ).toEqual([]);
  });

  test('every unavailable / resource_exhausted carries RetryInfo, with the default delay when none is named', () => {
    for (const kind of ['unavailable', 'resource_exhausted'] as const) {
      const e = toConnectError(new DbError(kind, 'BACKEND_UNAVAILABLE', 'storage unavailable'));
      expect(e.findDetails(RetryInfoSchema)).toHaveLength(1);
      expect(e.findDetails(RetryInfoSchema)[0]?.retryDelay).toEqual(expect.objectContaining({ seconds: 1n, nanos: 0 }));
      expect(e.findDetails(ErrorInfoSchema)[0]?.reason).toBe('BACKEND_UNAVAILABLE');
    }
    expect(DEFAULT_RETRY_DELAY_MS.unavailable).toBe(1000);
    const named = toConnectError(new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'coordination unavailable', { retryDelayMs: 200 }));
    expect(named.findDetails(RetryInfoSchema)[0]?.retryDelay).toEqual(expect.objectContaining({ seconds: 0n, nanos: 200_000_000 }));
    expect(toConnectError(new DbError('aborted', 'CONCURRENT_MODIFICATION', 'x')).findDetails(RetryInfoSchema)).toEqual([]);
  });

  test('a backend failure is logged with its cause; the cause never reaches the message', () => {
    const logged: unknown[] = [];
    const cause = new Error("Stream isn't writeable and enableOfflineQueue options is false");
    const err = new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'coordination unavailable', { cause });
    const e = toConnectError(err, (x) => logged.push(x));
    expect(e.rawMessage).toBe('coordination unavailable');
    expect(fromBinary(StatusSchema, statusDetailsBin(e)).message).not.toContain('writeable');
    expect(logged).toEqual([err]);
    toConnectError(new DbError('aborted', 'ETAG_MISMATCH', 'stale', { cause }), (x) => logged.push(x));
    toConnectError(new DbError('unavailable', 'BACKEND_UNAVAILABLE', 'no cause'), (x) => logged.push(x));
    expect(logged).toHaveLength(1);
  });

  test("aborted LOCK_HELD with a delay adds RetryInfo (the holder's remaining lease)", () => {
    const e = toConnectError(new DbError('aborted', 'LOCK_HELD', 'held', { retryDelayMs: 2250, metadata: { name: 'n', holder: 'h' } }));
    expect(e.code).toBe(Code.Aborted);
    expect(e.findDetails(RetryInfoSchema)[0]?.retryDelay).toEqual(expect.objectContaining({ seconds: 2n, nanos: 250_000_000 }));
    expect(
      toConnectError(new DbError('failed_precondition', 'LOCK_NOT_HELD', 'x', { retryDelayMs: 10 })).findDetails(RetryInfoSchema),
    ).toEqual([]);
    expect(toConnectError(new DbError('failed_precondition', 'LOCK_NOT_HELD', 'x')).code).toBe(Code.FailedPrecondition);
  });

  test('a non-DbError becomes INTERNAL / INTERNAL_ERROR with a generic message and is logged', () => {
    const logged: unknown[] = [];
    const boom = new Error('password=hunter2');
    const e = toConnectError(boom, (x) => logged.push(x));
    expect(e.code).toBe(Code.Internal);
    expect(e.rawMessage).toBe('internal error');
    expect(e.findDetails(ErrorInfoSchema)[0]?.reason).toBe('INTERNAL_ERROR');
    expect(logged).toEqual([boom]);
    expect(toConnectError('a string', (x) => logged.push(x)).rawMessage).toBe('internal error');
  });

  test('a ConnectError with an ErrorInfo passes through unchanged; one without gets an ErrorInfo from its code', () => {
    const withInfo = toConnectError(invalid('INVALID_ID', 'id', 'bad'));
    expect(toConnectError(withInfo)).toBe(withInfo);
    const bare = toConnectError(new ConnectError('nope', Code.Unimplemented));
    expect(bare.code).toBe(Code.Unimplemented);
    expect(bare.rawMessage).toBe('nope');
    expect(bare.findDetails(ErrorInfoSchema)[0]).toMatchObject({ reason: 'METHOD_NOT_FOUND', domain: 'smarterbase.v1' });
    const internal = toConnectError(new ConnectError('parse binary: secret text', Code.Internal));
    expect(internal.rawMessage).toBe('internal error');
    expect(internal.findDetails(ErrorInfoSchema)[0]?.reason).toBe('INTERNAL_ERROR');
  });

  test('messages, metadata values and violation lists are bounded, whatever the request echoed', () => {
    const huge = 'x'.repeat(100_000);
    const err = toConnectError(
      new DbError('invalid', 'INVALID_FILTER', `bad filter ${huge}`, {
        field: 'filter_expression',
        metadata: { expression: huge },
        preconditionViolations: Array.from({ length: 500 }, (_, i) => ({ type: 'ETAG', subject: `writes[${i}]`, description: huge })),
      }),
    );
    expect(err.rawMessage.length).toBeLessThanOrEqual(ERROR_BOUNDS.message);
    expect(err.rawMessage).toMatch(/… \(100011 chars\)$/);
    expect(err.findDetails(ErrorInfoSchema)[0]?.metadata.expression).toMatch(/… \(100000 chars\)$/);
    const violations = err.findDetails(PreconditionFailureSchema)[0]?.violations ?? [];
    expect(violations.length).toBeLessThanOrEqual(ERROR_BOUNDS.violations + 1);
    expect(violations.at(-1)?.description).toBe(`${500 - (violations.length - 1)} more violations not listed`);
    expect(statusDetailsBin(err).length).toBeLessThan(16 * 1024);
  });

  test('violations of 3-byte characters are listed within a byte budget, so trailers stay under 8 KiB', () => {
    const wide = '\u4e00'.repeat(250);
    const err = toConnectError(
      new DbError('aborted', 'PRECONDITION_FAILED', 'preconditions failed', {
        preconditionViolations: Array.from({ length: 100 }, (_, i) => ({ type: 'ETAG', subject: `writes[${i}]`, description: wide })),
      }),
    );
    const violations = err.findDetails(PreconditionFailureSchema)[0]?.violations ?? [];
    expect(violations.length).toBeLessThan(ERROR_BOUNDS.violations);
    expect(violations.at(-1)?.description).toMatch(/^\d+ more violations not listed$/);
    expect(statusDetailsBin(err).length).toBeLessThan(8 * 1024);
  });

  test('bounded() keeps short text and cuts long text to the limit', () => {
    expect(bounded('abc', 10)).toBe('abc');
    const cut = bounded('y'.repeat(50), 30);
    expect(cut.length).toBeLessThanOrEqual(30);
    expect(cut.endsWith('… (50 chars)')).toBe(true);
  });

  test('statusDetailsBin is a google.rpc.Status with code, message and packed details', () => {
    const e = toConnectError(invalid('INVALID_COLLECTION', 'collection', 'bad collection'));
    const status = fromBinary(StatusSchema, statusDetailsBin(e));
    expect(status.code).toBe(3);
    expect(status.message).toBe('bad collection');
    expect(status.details.map((d) => d.typeUrl)).toEqual([
      'type.googleapis.com/google.rpc.ErrorInfo',
      'type.googleapis.com/google.rpc.BadRequest',
    ]);
    expect(anyUnpack(status.details[0]!, ErrorInfoSchema)?.metadata).toEqual({ field: 'collection' });
  });
});
