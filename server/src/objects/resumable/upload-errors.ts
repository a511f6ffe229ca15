/**
 * The DbErrors of resumable uploads, with the reasons and metadata of the
 * contract (ADR 0013 §13): one constructor per reason so that every part of
 * the engine reports them alike.
 */
import { DbError } from '../../errors/db-error.js';

/** The states of a session (upload-session.ts), as errors name them. */
export type UploadStateName = 'open' | 'completing' | 'completed' | 'failed' | 'aborting';

/** NOT_FOUND: the id is unknown, expired or aborted. */
export function uploadNotFound(uploadId: string): DbError {
  return new DbError('not_found', 'UPLOAD_NOT_FOUND', `no resumable upload ${uploadId} (unknown, expired or aborted)`, {
    metadata: { uploadId },
  });
}

/** FAILED_PRECONDITION: the write would start above the committed size (skip data). */
export function offsetMismatch(uploadId: string, writeOffset: number, committedSize: number): DbError {
  return new DbError(
    'failed_precondition',
    'UPLOAD_OFFSET_MISMATCH',
    `write_offset ${writeOffset} is above the committed size ${committedSize} of upload ${uploadId}: resume from the committed size`,
    { metadata: { uploadId, writeOffset: String(writeOffset), committedSize: String(committedSize) } },
  );
}

/** FAILED_PRECONDITION: data or an abort sent to an upload that is no longer open. */
export function uploadFinished(uploadId: string, state: UploadStateName): DbError {
  return new DbError('failed_precondition', 'UPLOAD_FINISHED', `upload ${uploadId} is ${state}: it takes no more data`, {
    metadata: { uploadId, state },
  });
}

/** ABORTED + RetryInfo: another writer holds the upload (or took it over from this one). */
export function uploadBusy(uploadId: string, retryDelayMs: number): DbError {
  return new DbError('aborted', 'UPLOAD_BUSY', `another writer holds upload ${uploadId}; retry`, {
    metadata: { uploadId },
    retryDelayMs: Math.max(1, Math.round(retryDelayMs)),
  });
}

/** INVALID_ARGUMENT: the bytes differ from the declared size or SHA-256 (`field` 'expected_size' or 'expected_sha256'). */
export function checksumMismatch(field: string, expected: string, actual: string): DbError {
  return new DbError('invalid', 'CHECKSUM_MISMATCH', `${field}: expected ${expected}, the upload has ${actual}`, {
    field,
    metadata: { field, expected, actual },
  });
}

/** INVALID_ARGUMENT: the object is or would grow larger than the server's limit. */
export function objectTooLarge(sizeBytes: number, limitBytes: number): DbError {
  return new DbError('invalid', 'OBJECT_TOO_LARGE', `the object would have ${sizeBytes} bytes, above the limit of ${limitBytes}`, {
    metadata: { sizeBytes: String(sizeBytes), limitBytes: String(limitBytes) },
  });
}
