import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createRouterTransport } from '@connectrpc/connect';
import { createClient } from './client.js';
import {
  codeName,
  hasCode,
  hasReason,
  isAlreadyExists,
  isEtagMismatch,
  isNotFound,
  isUnavailable,
  REASONS,
  SmarterBaseError,
  toSmarterBaseError,
} from './errors.js';
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { DocumentService } from './gen/smarterbase/v1/document_service_pb.js';
import { rejection } from '../test/expect-error.js';

/** A client whose every Get fails with the given error, sent through the Connect wire format in memory. */
function failingClient(err: ConnectError) {
  const transport = createRouterTransport((r) =>
    r.service(DocumentService, {
      get: () => {
        throw err;
      },
    }),
  );
  return createClient({ transport });
}

describe('SmarterBaseError decoding', () => {
  it('lifts ErrorInfo reason, domain and metadata off the wire', async () => {
    const client = failingClient(
      new ConnectError('etag is stale', Code.Aborted, undefined, [
        {
          desc: ErrorInfoSchema,
          value: { reason: 'ETAG_MISMATCH', domain: 'smarterbase.v1', metadata: { currentEtag: 'e2', expectedEtag: 'e1' } },
        },
      ]),
    );
    const err = await rejection(client.get('c', 'a'));
    expect(err.code).toBe(Code.Aborted);
    expect(err.reason).toBe('ETAG_MISMATCH');
    expect(err.domain).toBe('smarterbase.v1');
    expect(err.metadata).toEqual({ currentEtag: 'e2', expectedEtag: 'e1' });
    expect(err.is('ETAG_MISMATCH')).toBe(true);
    expect(isEtagMismatch(err)).toBe(true);
    expect(isNotFound(err)).toBe(false);
    expect(err.message).toContain('etag is stale');
    expect(err.cause).toBeInstanceOf(ConnectError);
  });

  it('decodes RetryInfo into retryDelayMs and BadRequest into fieldViolations', async () => {
    const client = failingClient(
      new ConnectError('bad id', Code.InvalidArgument, undefined, [
        { desc: ErrorInfoSchema, value: { reason: 'INVALID_ID', domain: 'smarterbase.v1', metadata: { field: 'id' } } },
        { desc: BadRequestSchema, value: { fieldViolations: [{ field: 'id', description: 'must not contain "/"' }] } },
        { desc: RetryInfoSchema, value: { retryDelay: durationFromMs(1500) } },
      ]),
    );
    const err = await rejection(client.get('c', 'a/b'));
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.reason).toBe('INVALID_ID');
    expect(err.fieldViolations).toEqual([{ field: 'id', description: 'must not contain "/"' }]);
    expect(err.retryDelayMs).toBe(1500);
  });

  it('gives empty reason and metadata when the error has no details', async () => {
    const err = await rejection(failingClient(new ConnectError('boom', Code.Internal)).get('c', 'a'));
    expect(err.code).toBe(Code.Internal);
    expect(err.reason).toBe('');
    expect(err.metadata).toEqual({});
    expect(err.retryDelayMs).toBeUndefined();
    expect(err.fieldViolations).toEqual([]);
  });

  it('maps each helper to its reason only', () => {
    const mk = (code: Code, reason: string) => new SmarterBaseError({ code, reason, message: 'm' });
    expect(isNotFound(mk(Code.NotFound, 'DOCUMENT_NOT_FOUND'))).toBe(true);
    expect(isAlreadyExists(mk(Code.AlreadyExists, 'DOCUMENT_ALREADY_EXISTS'))).toBe(true);
    expect(isAlreadyExists(mk(Code.NotFound, 'DOCUMENT_NOT_FOUND'))).toBe(false);
    expect(isUnavailable(mk(Code.Unavailable, ''))).toBe(true);
    expect(isUnavailable(mk(Code.Aborted, 'ETAG_MISMATCH'))).toBe(false);
    expect(isNotFound(new Error('DOCUMENT_NOT_FOUND'))).toBe(false);
  });

  it('converts non-Connect errors to Unknown and passes SmarterBaseErrors through', () => {
    const plain = toSmarterBaseError(new Error('socket hang up'));
    expect(plain.code).toBe(Code.Unknown);
    expect(plain.reason).toBe('');
    const same = new SmarterBaseError({ code: Code.NotFound, message: 'x' });
    expect(toSmarterBaseError(same)).toBe(same);
  });
});

describe('the meaning shared by the three clients (docs/clients.md)', () => {
  const mk = (code: Code, reason: string): SmarterBaseError => new SmarterBaseError({ code, message: 'm', reason });

  it('lists every reason of the generated enum', () => {
    expect(REASONS).toContain('DOCUMENT_NOT_FOUND');
    expect(REASONS).not.toContain('UNSPECIFIED');
    expect(new Set(REASONS).size).toBe(REASONS.length);
  });

  it('tests reasons in predicates and codes in hasCode', () => {
    const missingIndex = mk(Code.NotFound, 'INDEX_NOT_FOUND');
    expect(isNotFound(missingIndex)).toBe(false);
    expect(hasCode(missingIndex, Code.NotFound)).toBe(true);
    expect(hasReason(missingIndex, 'INDEX_NOT_FOUND')).toBe(true);
    expect(isAlreadyExists(mk(Code.AlreadyExists, 'UNIQUE_VIOLATION'))).toBe(false);
  });

  it('formats messages as "<CODE> <REASON>: <message>"', () => {
    expect(mk(Code.Aborted, 'ETAG_MISMATCH').message).toBe('ABORTED ETAG_MISMATCH: m');
    expect(mk(Code.Canceled, '').message).toBe('CANCELLED: m');
    expect(codeName(Code.DeadlineExceeded)).toBe('DEADLINE_EXCEEDED');
  });
});
