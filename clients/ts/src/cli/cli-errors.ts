/**
 * How the CLI reports a failure: one human line on stderr (the gRPC code, the
 * ErrorInfo reason, the server's message and what to do), or one JSON object
 * with --json, and the process exit code.
 */
import { Code } from '@connectrpc/connect';
import { codeName, toSmarterBaseError, SmarterBaseError } from '../errors.js';

/** Exit code of a failed call (the server or the network said no). */
export const EXIT_CALL_FAILED = 1;
/** Exit code of a usage error (bad flags, unreadable input): nothing was sent. */
export const EXIT_USAGE = 2;

/** A mistake of the caller found before any call (bad flag value, unreadable file): exit code 2. */
export class UsageError extends Error {
  /** Builds the error with the line to print. */
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure as the CLI prints it. */
export interface CliFailure {
  /** The gRPC code name (e.g. "UNAVAILABLE"), "USAGE" for usage errors, "ERROR" otherwise. */
  readonly code: string;
  /** The ErrorInfo reason, or "". */
  readonly reason: string;
  /** What went wrong, in English. */
  readonly message: string;
  /** What to do about it ("" when nothing useful can be said). */
  readonly hint: string;
  /** The ErrorInfo metadata (e.g. currentEtag), possibly empty. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The process exit code. */
  readonly exitCode: number;
}

/** What to do about an error, by its reason first, then its code ("" when nothing useful can be said). */
export function hintFor(err: SmarterBaseError): string {
  switch (err.reason) {
    case 'ETAG_MISMATCH':
      return `the document changed: read it again (current etag ${err.metadata.currentEtag ?? 'unknown'})`;
    case 'DOCUMENT_ALREADY_EXISTS':
      return 'the id is taken: drop --create-only to replace it, or pick another id';
    case 'DOCUMENT_NOT_FOUND':
      return 'check the collection and id (smarterbase list COLLECTION)';
    case 'INDEX_NOT_FOUND':
      return 'see the existing indexes with: smarterbase index list COLLECTION';
    case 'INDEX_REQUIRED':
      return 'create an index covering the filter (smarterbase index create), or drop --require-index';
    case 'LOCK_HELD':
      return 'another holder has the lock: retry later or see it with smarterbase lock get NAME';
    default:
      break;
  }
  switch (err.code) {
    case Code.Unavailable:
      return 'is the server running? (--addr / SMARTERBASE_ADDR)';
    case Code.Unauthenticated:
      return 'the server needs credentials: pass --api-key (or SMARTERBASE_API_KEY) or a profile with apiKey';
    case Code.PermissionDenied:
      return "the key's roles do not allow this call (smarterbase principal get NAME shows its roles)";
    case Code.DeadlineExceeded:
      return 'the call took too long: raise --timeout';
    case Code.InvalidArgument: {
      // Field violations that only repeat the message add nothing to the line.
      const extra = err.fieldViolations.filter((v) => !err.message.includes(v.description));
      return extra.length > 0
        ? extra.map((v) => `${v.field}: ${v.description}`).join('; ')
        : 'check the arguments (smarterbase help COMMAND)';
    }
    case Code.ResourceExhausted:
      return err.retryDelayMs !== undefined ? `retry in ${err.retryDelayMs} ms` : 'retry later or ask for a higher limit';
    default:
      return '';
  }
}

/** The failure to print for anything an action threw; `addr` is the server address for UNAVAILABLE. */
export function describeFailure(e: unknown, addr: string): CliFailure {
  if (e instanceof UsageError) return { code: 'USAGE', reason: '', message: e.message, hint: '', metadata: {}, exitCode: EXIT_USAGE };
  const isCallError = e instanceof SmarterBaseError || (e instanceof Error && e.name === 'ConnectError');
  if (!isCallError) {
    const message = e instanceof Error ? e.message : String(e);
    return { code: 'ERROR', reason: '', message, hint: '', metadata: {}, exitCode: EXIT_CALL_FAILED };
  }
  const err = toSmarterBaseError(e);
  // The error's message starts with "<CODE> <REASON>: "; the line prints those itself.
  const prefix = `${codeName(err.code)}${err.reason ? ' ' + err.reason : ''}: `;
  const raw = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  const message = err.code === Code.Unavailable && err.reason === '' ? `cannot reach ${addr} (${raw})` : raw;
  return { code: codeName(err.code), reason: err.reason, message, hint: hintFor(err), metadata: err.metadata, exitCode: EXIT_CALL_FAILED };
}

/** The one human line of a failure: "error: CODE REASON: message: hint". */
export function failureLine(f: CliFailure): string {
  const head = f.code === 'USAGE' || f.code === 'ERROR' ? 'error' : `error: ${f.code}${f.reason ? ' ' + f.reason : ''}`;
  return `${head}: ${f.message}${f.hint ? ': ' + f.hint : ''}`.replace(/[\r\n]+/g, ' ');
}

/** The JSON form of a failure (with --json): {"error": {code, reason, message, hint, metadata}}. */
export function failureJson(f: CliFailure): string {
  return JSON.stringify({ error: { code: f.code, reason: f.reason, message: f.message, hint: f.hint, metadata: f.metadata } });
}
