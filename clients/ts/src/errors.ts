/**
 * The one error type of the client: every failed call rejects with a
 * SmarterBaseError decoded from the ConnectError the transport raised, with
 * the server's google.rpc.ErrorInfo (reason, metadata), RetryInfo,
 * BadRequest and PreconditionFailure details lifted into plain fields.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { BadRequestSchema, ErrorInfoSchema, PreconditionFailureSchema, RetryInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { ErrorReason } from './gen/smarterbase/v1/common_pb.js';

/** The ErrorInfo domain of every error the SmarterBase server sends. */
export const ERROR_DOMAIN = 'smarterbase.v1';

/**
 * A machine-readable cause sent by the server: the name of an ErrorReason
 * value without its "ERROR_REASON_" prefix, e.g. "ETAG_MISMATCH".
 */
export type Reason = Exclude<keyof typeof ErrorReason, 'UNSPECIFIED'>;

/** Every Reason, in enum order, read from the generated ErrorReason enum (never typed by hand). */
export const REASONS: readonly Reason[] = Object.freeze(
  Object.keys(ErrorReason).filter((k): k is Reason => Number.isNaN(Number(k)) && k !== 'UNSPECIFIED'),
);

/**
 * The canonical gRPC name of a code, as in google.rpc.Code and the other
 * clients: Code.NotFound is "NOT_FOUND", Code.Canceled is "CANCELLED".
 */
export function codeName(code: Code): string {
  if (code === Code.Canceled) return 'CANCELLED';
  const name = Code[code] as string | undefined;
  return name === undefined ? String(code) : name.replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** One invalid request field, from a google.rpc.BadRequest detail. */
export interface FieldViolation {
  /** The path of the offending field, e.g. "id". */
  readonly field: string;
  /** Why the field is invalid, in English. */
  readonly description: string;
}

/** One failed precondition, from a google.rpc.PreconditionFailure detail (Commit's PRECONDITION_FAILED). */
export interface PreconditionViolation {
  /** What was required: "EXISTS", "NOT_EXISTS" or "ETAG". */
  readonly type: string;
  /** The failing write, e.g. "writes[1]" (its index in the commit). */
  readonly subject: string;
  /** What was found instead, in English. */
  readonly description: string;
}

/** What SmarterBaseError's constructor takes. */
export interface SmarterBaseErrorInit {
  /** The gRPC / Connect status code. */
  readonly code: Code;
  /** The message without the "[code]" prefix. */
  readonly message: string;
  /** The ErrorInfo reason, or "" when the server sent none. */
  readonly reason?: string;
  /** The ErrorInfo domain, or "" when absent. */
  readonly domain?: string;
  /** The ErrorInfo metadata (lowerCamelCase keys). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The RetryInfo delay in milliseconds, when the server sent one. */
  readonly retryDelayMs?: number;
  /** The BadRequest field violations, when the server sent them. */
  readonly fieldViolations?: readonly FieldViolation[];
  /** The PreconditionFailure violations, when the server sent them. */
  readonly preconditionFailures?: readonly PreconditionViolation[];
  /** The underlying error (usually a ConnectError), kept for logs. */
  readonly cause?: unknown;
}

/**
 * A failed SmarterBase call. Branch on `reason` (stable, from the server's
 * ErrorInfo) or `code`, never on the message text.
 */
export class SmarterBaseError extends Error {
  /** The gRPC / Connect status code, e.g. Code.Aborted. */
  readonly code: Code;
  /** The ErrorInfo reason, e.g. "ETAG_MISMATCH"; "" when the server sent none (e.g. a network error). */
  readonly reason: Reason | (string & {});
  /** The ErrorInfo domain: "smarterbase.v1" for server errors, "" otherwise. */
  readonly domain: string;
  /** The ErrorInfo metadata, e.g. { currentEtag, expectedEtag } for ETAG_MISMATCH. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The server's RetryInfo delay in milliseconds, or undefined. */
  readonly retryDelayMs: number | undefined;
  /** The BadRequest field violations (empty when none). */
  readonly fieldViolations: readonly FieldViolation[];
  /** The PreconditionFailure violations, one per failing write of a commit (empty when none). */
  readonly preconditionFailures: readonly PreconditionViolation[];

  /** Builds an error from decoded parts; most code gets one from a failed call instead. */
  constructor(init: SmarterBaseErrorInit) {
    // The message shape shared by the three clients (docs/clients.md): "<CODE> <REASON>: <message>".
    super(`${codeName(init.code)}${init.reason ? ' ' + init.reason : ''}: ${init.message}`, { cause: init.cause });
    this.name = 'SmarterBaseError';
    this.code = init.code;
    this.reason = init.reason ?? '';
    this.domain = init.domain ?? '';
    this.metadata = Object.freeze({ ...(init.metadata ?? {}) });
    this.retryDelayMs = init.retryDelayMs;
    this.fieldViolations = Object.freeze([...(init.fieldViolations ?? [])]);
    this.preconditionFailures = Object.freeze([...(init.preconditionFailures ?? [])]);
  }

  /** True when this error has the given reason. */
  is(reason: Reason): boolean {
    return this.reason === reason;
  }
}

/**
 * Converts anything a call threw into a SmarterBaseError: ConnectErrors are
 * decoded with their details, SmarterBaseErrors pass through, anything else
 * becomes Code.Unknown (an AbortError becomes Code.Canceled).
 */
export function toSmarterBaseError(err: unknown): SmarterBaseError {
  if (err instanceof SmarterBaseError) return err;
  const ce = ConnectError.from(err);
  const info = ce.findDetails(ErrorInfoSchema)[0];
  const retry = ce.findDetails(RetryInfoSchema)[0]?.retryDelay;
  const bad = ce.findDetails(BadRequestSchema)[0];
  const pre = ce.findDetails(PreconditionFailureSchema)[0];
  const init: SmarterBaseErrorInit = {
    code: ce.code,
    message: ce.rawMessage,
    reason: info?.reason,
    domain: info?.domain,
    metadata: info?.metadata,
    retryDelayMs: retry ? Number(retry.seconds) * 1000 + Math.round(retry.nanos / 1e6) : undefined,
    fieldViolations: bad?.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
    preconditionFailures: pre?.violations.map((v) => ({ type: v.type, subject: v.subject, description: v.description })),
    cause: err,
  };
  return info?.reason === 'REVISION_COMPACTED' ? new RevisionCompactedError(init) : new SmarterBaseError(init);
}

/** A metadata value as a bigint revision (0n when absent or not an integer). */
function revisionOf(value: string | undefined): bigint {
  return value !== undefined && /^\d+$/.test(value) ? BigInt(value) : 0n;
}

/**
 * OUT_OF_RANGE / REVISION_COMPACTED: a watch asked for changes after a
 * revision the server no longer retains. Re-read the documents, then watch
 * again from the read's readRevision. Every decoded error with this reason
 * is one of these (toSmarterBaseError), so `instanceof` works.
 */
export class RevisionCompactedError extends SmarterBaseError {
  /** The after_revision that was refused (metadata.requestedRevision). */
  readonly requestedRevision: bigint;
  /** The smallest after_revision the server accepts now (metadata.oldestRevision). */
  readonly oldestRevision: bigint;
  /** The collection's current revision (metadata.currentRevision). */
  readonly currentRevision: bigint;

  /** Builds the error from decoded parts, reading the revisions from the metadata. */
  constructor(init: SmarterBaseErrorInit) {
    super(init);
    this.name = 'RevisionCompactedError';
    this.requestedRevision = revisionOf(this.metadata.requestedRevision);
    this.oldestRevision = revisionOf(this.metadata.oldestRevision);
    this.currentRevision = revisionOf(this.metadata.currentRevision);
  }
}

/** True when a watch failed because its revision is no longer retained (REVISION_COMPACTED). */
export function isRevisionCompacted(err: unknown): err is RevisionCompactedError {
  return err instanceof RevisionCompactedError;
}

/** True when err is a SmarterBaseError with this ErrorInfo reason: the test every is<Reason> predicate is made of. */
export function hasReason(err: unknown, reason: Reason): err is SmarterBaseError {
  return err instanceof SmarterBaseError && err.reason === reason;
}

/**
 * True when err is a SmarterBaseError with this status code, whatever its
 * reason: the code-level test (hasCode(err, Code.NotFound) also matches
 * INDEX_NOT_FOUND, which isNotFound does not).
 */
export function hasCode(err: unknown, code: Code): err is SmarterBaseError {
  return err instanceof SmarterBaseError && err.code === code;
}

/** True when err is a SmarterBaseError for a missing document (DOCUMENT_NOT_FOUND; not INDEX_NOT_FOUND, see hasCode). */
export function isNotFound(err: unknown): err is SmarterBaseError {
  return hasReason(err, 'DOCUMENT_NOT_FOUND');
}

/** True when err is a SmarterBaseError for a stale etag (ETAG_MISMATCH); metadata.currentEtag holds the current one. */
export function isEtagMismatch(err: unknown): err is SmarterBaseError {
  return hasReason(err, 'ETAG_MISMATCH');
}

/** True when err is a SmarterBaseError for a create-only write on a taken id (DOCUMENT_ALREADY_EXISTS). */
export function isAlreadyExists(err: unknown): err is SmarterBaseError {
  return hasReason(err, 'DOCUMENT_ALREADY_EXISTS');
}

/** True when err is a SmarterBaseError for a busy lock (LOCK_HELD); retryDelayMs is the holder's remaining lease. */
export function isLockHeld(err: unknown): err is SmarterBaseError {
  return hasReason(err, 'LOCK_HELD');
}

/** True when err is a SmarterBaseError for a lease or lock guard that is no longer current (LOCK_NOT_HELD). */
export function isLockNotHeld(err: unknown): err is SmarterBaseError {
  return hasReason(err, 'LOCK_NOT_HELD');
}

/** True when a commit failed because a precondition did not hold (PRECONDITION_FAILED); see err.preconditionFailures. */
export function isPreconditionFailed(err: unknown): err is SmarterBaseError {
  return hasReason(err, 'PRECONDITION_FAILED');
}

/** True when a commit (or a read) lost to concurrent transactions (TRANSACTION_CONTENTION); retry the whole transaction. */
export function isTransactionContention(err: unknown): err is SmarterBaseError {
  return hasReason(err, 'TRANSACTION_CONTENTION');
}

/** True for SEQUENCE_TRIMMED (OUT_OF_RANGE): a log read from lines retention deleted (metadata.oldestSequence), or past the tail. */
export function isSequenceTrimmed(err: unknown): err is SmarterBaseError {
  return hasReason(err, 'SEQUENCE_TRIMMED');
}

/**
 * True when err is a SmarterBaseError with code UNAVAILABLE (the only code the
 * client retries by itself), whatever its reason: a code-level helper, the
 * same as hasCode(err, Code.Unavailable).
 */
export function isUnavailable(err: unknown): err is SmarterBaseError {
  return hasCode(err, Code.Unavailable);
}
