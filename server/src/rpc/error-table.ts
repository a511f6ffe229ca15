/**
 * The one table from engine errors to wire errors. Every error leaving the
 * RPC layer passes through here: DbErrors become a gRPC code plus
 * google.rpc details (ErrorInfo, BadRequest, RetryInfo); anything else is a
 * bug and becomes INTERNAL with a generic message (the real one is logged,
 * never sent).
 */
import { create, createRegistry, toBinary, type DescMessage, type MessageInitShape, type Registry } from '@bufbuild/protobuf';
import { anyPack, type Any } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { DbError, type ErrorKind } from '../errors/db-error.js';
import { BadRequestSchema, PreconditionFailureSchema, ErrorInfoSchema, RetryInfoSchema } from '../gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../gen/google/rpc/status_pb.js';

/** The ErrorInfo domain of every error this server sends. */
export const ERROR_DOMAIN = 'smarterbase.v1';

/**
 * The google.rpc detail types this server packs into google.protobuf.Any.
 * Responses that carry them in a message (the per-item google.rpc.Status of
 * BatchWrite / BatchDelete) need it to be written as JSON: pass it as
 * `jsonOptions: { registry: ERROR_DETAIL_REGISTRY }` to the Connect router
 * (and to JSON clients that read those details).
 */
export const ERROR_DETAIL_REGISTRY: Registry = createRegistry(
  ErrorInfoSchema,
  BadRequestSchema,
  RetryInfoSchema,
  PreconditionFailureSchema,
);

/** The ABORTED reasons whose errors carry RetryInfo (when the engine gives a delay). */
const RETRY_INFO_ABORTS: ReadonlySet<string> = new Set(['LOCK_HELD', 'TRANSACTION_CONTENTION']);

/**
 * The RetryInfo delay, in ms, of an UNAVAILABLE / RESOURCE_EXHAUSTED error
 * whose DbError names none: every such error tells clients how long to back
 * off (README "Errors"). Adapters that know better (Redis reconnects within
 * 200 ms, S3 throttling) set retryDelayMs themselves.
 */
export const DEFAULT_RETRY_DELAY_MS: Readonly<Partial<Record<ErrorKind, number>>> = Object.freeze({
  unavailable: 1000,
  resource_exhausted: 1000,
});

/** Kinds whose DbError `cause` (a backend's own error) is handed to the logger: it never goes on the wire. */
const LOGGED_CAUSE_KINDS: ReadonlySet<ErrorKind> = new Set<ErrorKind>(['unavailable', 'resource_exhausted', 'internal']);

/** The message sent instead of the text of unexpected errors. */
export const INTERNAL_MESSAGE = 'internal error';

/**
 * Bounds on what an error may carry, so that its trailers stay far below
 * what clients accept (grpc-js and connect-node stall past ~64 KB, grpcio
 * refuses past 8 KB by default): a message, each metadata value and each
 * detail text are cut to these many characters (with an ellipsis and the
 * original length), and at most `violations` violations taking at most
 * `violationBytes` UTF-8 bytes together are listed.
 */
export const ERROR_BOUNDS = Object.freeze({ message: 1024, value: 256, violations: 20, violationBytes: 3072 });

/** `text` cut to `max` characters, ending with an ellipsis and the original length when cut. */
export function bounded(text: string, max: number): string {
  if (text.length <= max) return text;
  const tail = `… (${text.length} chars)`;
  return text.slice(0, Math.max(0, max - tail.length)) + tail;
}

/** The ErrorInfo reason of a ConnectError that was built without one (transport errors, health). */
const REASON_OF_CODE: Readonly<Partial<Record<Code, string>>> = Object.freeze({
  [Code.Canceled]: 'CANCELLED',
  [Code.DeadlineExceeded]: 'DEADLINE_EXCEEDED',
  [Code.InvalidArgument]: 'MALFORMED_REQUEST',
  [Code.ResourceExhausted]: 'MESSAGE_TOO_LARGE',
  [Code.Unimplemented]: 'METHOD_NOT_FOUND',
  [Code.Unavailable]: 'SHUTTING_DOWN',
  [Code.NotFound]: 'SERVICE_NOT_FOUND',
});

/** DbError kind → gRPC code (numerically equal to connect's Code). */
export const KIND_TO_CODE: Readonly<Record<ErrorKind, Code>> = Object.freeze({
  invalid: Code.InvalidArgument,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  aborted: Code.Aborted,
  failed_precondition: Code.FailedPrecondition,
  out_of_range: Code.OutOfRange,
  unavailable: Code.Unavailable,
  resource_exhausted: Code.ResourceExhausted,
  deadline_exceeded: Code.DeadlineExceeded,
  cancelled: Code.Canceled,
  data_loss: Code.DataLoss,
  internal: Code.Internal,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
});

/** A google.rpc detail message ready to be packed: its schema and its value. */
export interface OutgoingDetail {
  readonly desc: DescMessage;
  readonly value: MessageInitShape<DescMessage>;
}

/**
 * Receives, for logs, the real error of an unexpected failure, and the DbError
 * of a backend failure (unavailable, resource_exhausted, internal) that has a
 * `cause`: the backend's own message lives there, never on the wire.
 */
export type InternalErrorLogger = (err: unknown) => void;

function detail<D extends DescMessage>(desc: D, value: MessageInitShape<D>): OutgoingDetail {
  return { desc, value: value as MessageInitShape<DescMessage> };
}

/**
 * The google.rpc details of a DbError: ErrorInfo, plus BadRequest (invalid with a field) and
 * RetryInfo (always for unavailable and resource_exhausted, with DEFAULT_RETRY_DELAY_MS when
 * the error names no delay; for aborted LOCK_HELD / TRANSACTION_CONTENTION when it does).
 */
export function detailsOf(err: DbError): OutgoingDetail[] {
  const cut = (t: string): string => bounded(t, ERROR_BOUNDS.value);
  const metadata = Object.fromEntries(Object.entries(err.metadata).map(([k, v]) => [cut(k), cut(v)]));
  const details: OutgoingDetail[] = [detail(ErrorInfoSchema, { reason: err.reason, domain: ERROR_DOMAIN, metadata })];
  if (err.kind === 'invalid' && err.field !== undefined) {
    details.push(
      detail(BadRequestSchema, { fieldViolations: [{ field: cut(err.field), description: cut(err.message), reason: err.reason }] }),
    );
  }
  const violations = err.preconditionViolations ?? [];
  if (violations.length > 0) {
    const listed: { type: string; subject: string; description: string }[] = [];
    let bytes = 0;
    for (const v of violations.slice(0, ERROR_BOUNDS.violations)) {
      const one = { type: cut(v.type), subject: cut(v.subject), description: cut(v.description) };
      bytes += Buffer.byteLength(one.type + one.subject + one.description, 'utf8');
      if (listed.length > 0 && bytes > ERROR_BOUNDS.violationBytes) break;
      listed.push(one);
    }
    if (violations.length > listed.length) {
      listed.push({ type: 'TRUNCATED', subject: '', description: `${violations.length - listed.length} more violations not listed` });
    }
    details.push(detail(PreconditionFailureSchema, { violations: listed }));
  }
  const retryable =
    err.kind === 'unavailable' || err.kind === 'resource_exhausted' || (err.kind === 'aborted' && RETRY_INFO_ABORTS.has(err.reason));
  const delayMs = err.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS[err.kind];
  if (retryable && delayMs !== undefined) {
    const ms = Math.max(0, Math.round(delayMs));
    details.push(
      detail(RetryInfoSchema, {
        retryDelay: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 },
      }),
    );
  }
  return details;
}

/**
 * Translates any thrown value into the ConnectError sent to clients. A
 * ConnectError passes through (it was built for the wire already), a DbError
 * is mapped through KIND_TO_CODE (a backend failure with a `cause` is also
 * handed to `logInternal`), anything else becomes INTERNAL / INTERNAL_ERROR
 * and is handed to `logInternal`.
 */
export function toConnectError(err: unknown, logInternal?: InternalErrorLogger): ConnectError {
  if (err instanceof ConnectError) return withErrorInfo(err);
  if (err instanceof DbError) {
    if (err.cause !== undefined && LOGGED_CAUSE_KINDS.has(err.kind)) logInternal?.(err);
    return new ConnectError(bounded(err.message, ERROR_BOUNDS.message), KIND_TO_CODE[err.kind], undefined, detailsOf(err), err);
  }
  logInternal?.(err);
  return new ConnectError(
    INTERNAL_MESSAGE,
    Code.Internal,
    undefined,
    [detail(ErrorInfoSchema, { reason: 'INTERNAL_ERROR', domain: ERROR_DOMAIN, metadata: {} })],
    err,
  );
}

/** True when `err` carries a google.rpc.ErrorInfo (outgoing or incoming). */
function hasErrorInfo(err: ConnectError): boolean {
  return err.details.some((d) => ('desc' in d ? d.desc.typeName : d.type) === ErrorInfoSchema.typeName);
}

/**
 * A ConnectError built outside the error table (a transport error, a
 * deadline, a cancel, health's unknown service) with a bounded message and
 * an ErrorInfo whose reason follows from its code; unchanged when it has one.
 */
export function withErrorInfo(err: ConnectError): ConnectError {
  if (hasErrorInfo(err) && err.rawMessage.length <= ERROR_BOUNDS.message) return err;
  const details: ConnectError['details'] = hasErrorInfo(err)
    ? err.details
    : [
        ...err.details,
        detail(ErrorInfoSchema, { reason: REASON_OF_CODE[err.code] ?? 'INTERNAL_ERROR', domain: ERROR_DOMAIN, metadata: {} }),
      ];
  const message =
    err.code === Code.Internal || err.code === Code.Unknown ? INTERNAL_MESSAGE : bounded(err.rawMessage, ERROR_BOUNDS.message);
  return new ConnectError(message, err.code, err.metadata, details as OutgoingDetail[], err.cause ?? err);
}

/** Packs the details of a ConnectError (outgoing or incoming) as google.protobuf.Any. */
export function packDetails(err: ConnectError): Any[] {
  return err.details.map((d) => {
    if ('desc' in d) return anyPack(d.desc, create(d.desc, d.value));
    return { $typeName: 'google.protobuf.Any', typeUrl: `type.googleapis.com/${d.type}`, value: d.value } as Any;
  });
}

/** The serialized google.rpc.Status of a ConnectError: the value of `grpc-status-details-bin`. */
export function statusDetailsBin(err: ConnectError): Uint8Array {
  return toBinary(
    StatusSchema,
    create(StatusSchema, {
      code: err.code,
      message: err.rawMessage,
      details: packDetails(err),
    }),
  );
}
