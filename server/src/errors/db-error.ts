/**
 * The one error type of the engine. It says what the caller should do (its
 * kind) and why (its reason), and never carries a transport status code: the
 * RPC layer maps kinds to gRPC codes in one table (rpc/error-table.ts).
 */

import type { ErrorReason } from './error-reason.gen.js';

/** What a caller should do about an error. */
export type ErrorKind =
  /** The request is malformed: fix it, do not retry. */
  | 'invalid'
  /** The addressed thing does not exist. */
  | 'not_found'
  /** A create-only write met an existing thing. */
  | 'already_exists'
  /** A concurrency conflict (stale etag, lost race): re-read and retry the whole operation. */
  | 'aborted'
  /** The system is not in the state the operation needs (e.g. a lock not held). */
  | 'failed_precondition'
  /** A position outside what exists or is kept (e.g. a revision older than the retained history). */
  | 'out_of_range'
  /** A backend is unreachable or failing: retry later, maybe elsewhere. */
  | 'unavailable'
  /** A backend is throttling: retry after a delay. */
  | 'resource_exhausted'
  /** The call's deadline passed. */
  | 'deadline_exceeded'
  /** The caller went away. */
  | 'cancelled'
  /** Stored data was lost or corrupted (an object whose bytes no longer match its checksum). */
  | 'data_loss'
  /** A bug or corrupt data. */
  | 'internal'
  /** The call carries no valid credentials: authenticate and retry. */
  | 'unauthenticated'
  /** The caller is known but not allowed this: ask for a role, do not retry. */
  | 'permission_denied';

/**
 * Machine-readable causes: generated from the proto enum smarterbase.v1.ErrorReason
 * by scripts/gen-error-reasons.js (`npm run generate`), never typed by hand.
 */
export type { ErrorReason };

/** One failed precondition (sent as a google.rpc.PreconditionFailure violation). */
export interface PreconditionViolation {
  /** "EXISTS", "NOT_EXISTS" or "ETAG". */
  readonly type: string;
  /** Which part of the request, e.g. "writes[3]". */
  readonly subject: string;
  /** For humans: which document and what was found. */
  readonly description: string;
}

/** Optional extras of a DbError. */
export interface DbErrorOptions {
  /** Dynamic values of the message, sent as ErrorInfo metadata (lowerCamel keys). */
  metadata?: Record<string, string>;
  /** For 'invalid' errors: the request field at fault (sent as a BadRequest field violation). */
  field?: string;
  /** For retryable errors: how long the caller should wait before retrying, in ms (sent as RetryInfo). */
  retryDelayMs?: number;
  /** For PRECONDITION_FAILED: each failing precondition. */
  preconditionViolations?: readonly PreconditionViolation[];
  /** The underlying error, kept for logs and never sent to clients. */
  cause?: unknown;
}

/** An error of the engine: a kind, a reason, a message for humans and optional details. */
export class DbError extends Error {
  override readonly name = 'DbError';
  readonly metadata: Record<string, string>;
  readonly field?: string;
  readonly retryDelayMs?: number;
  readonly preconditionViolations?: readonly PreconditionViolation[];

  constructor(
    readonly kind: ErrorKind,
    readonly reason: ErrorReason,
    message: string,
    options: DbErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.metadata = options.metadata ?? {};
    this.field = options.field;
    this.retryDelayMs = options.retryDelayMs;
    this.preconditionViolations = options.preconditionViolations;
  }
}

/** True when `e` is a DbError, optionally of the given reason. */
export function isDbError(e: unknown, reason?: ErrorReason): e is DbError {
  return e instanceof DbError && (reason === undefined || e.reason === reason);
}

/** An 'invalid' DbError naming the request field at fault. */
export function invalid(reason: ErrorReason, field: string, message: string): DbError {
  return new DbError('invalid', reason, message, { field, metadata: { field } });
}
