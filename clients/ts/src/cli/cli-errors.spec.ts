import { Code, ConnectError } from '@connectrpc/connect';
import { SmarterBaseError } from '../errors';
import { describeFailure, EXIT_CALL_FAILED, EXIT_USAGE, failureJson, failureLine, UsageError } from './cli-errors';

describe('describeFailure / failureLine', () => {
  it('an unreachable server: the address and the setting to check', () => {
    const f = describeFailure(new ConnectError('connect ECONNREFUSED 127.0.0.1:50051', Code.Unavailable), '127.0.0.1:50051');
    expect(failureLine(f)).toBe(
      'error: UNAVAILABLE: cannot reach 127.0.0.1:50051 (connect ECONNREFUSED 127.0.0.1:50051): is the server running? (--addr / SMARTERBASE_ADDR)',
    );
    expect(f.exitCode).toBe(EXIT_CALL_FAILED);
  });

  it('a server error: code, reason, message and the hint of the reason', () => {
    const err = new SmarterBaseError({
      code: Code.FailedPrecondition,
      reason: 'ETAG_MISMATCH',
      message: 'stale etag',
      metadata: { currentEtag: 'abc' },
    });
    expect(failureLine(describeFailure(err, 'h:1'))).toBe(
      'error: FAILED_PRECONDITION ETAG_MISMATCH: stale etag: the document changed: read it again (current etag abc)',
    );
  });

  it('INVALID_ARGUMENT keeps field violations that add something, drops those the message already says', () => {
    const repeat = new SmarterBaseError({
      code: Code.InvalidArgument,
      reason: 'INVALID_FILTER',
      message: 'bad at 3',
      fieldViolations: [{ field: 'f', description: 'bad at 3' }],
    });
    expect(failureLine(describeFailure(repeat, ''))).toBe(
      'error: INVALID_ARGUMENT INVALID_FILTER: bad at 3: check the arguments (smarterbase help COMMAND)',
    );
    const extra = new SmarterBaseError({
      code: Code.InvalidArgument,
      message: 'invalid',
      fieldViolations: [{ field: 'id', description: 'too long' }],
    });
    expect(failureLine(describeFailure(extra, ''))).toBe('error: INVALID_ARGUMENT: invalid: id: too long');
  });

  it('usage errors exit with 2 and have no code; line breaks never split the line', () => {
    const f = describeFailure(new UsageError('bad\nflag'), '');
    expect(f.exitCode).toBe(EXIT_USAGE);
    expect(failureLine(f)).toBe('error: bad flag');
  });

  it('--json form carries code, reason, hint and metadata', () => {
    const err = new SmarterBaseError({ code: Code.Unauthenticated, reason: 'UNAUTHENTICATED', message: 'no key' });
    expect(JSON.parse(failureJson(describeFailure(err, '')))).toEqual({
      error: {
        code: 'UNAUTHENTICATED',
        reason: 'UNAUTHENTICATED',
        message: 'no key',
        hint: expect.stringContaining('--api-key'),
        metadata: {},
      },
    });
  });
});
