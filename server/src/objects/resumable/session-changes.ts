/**
 * The changes a session goes through, as pure functions for
 * UploadSessions.update (each sees the freshest version and throws to refuse).
 * Every change by a writer or a completion first checks that the session is in
 * the expected state and that the caller's fencing token is the recorded one:
 * a writer that lost its lease fails here, and its late parts and tails are
 * never referenced.
 */
import { DbError } from '../../errors/db-error.js';
import { MAX_PART_NUMBER } from '../../storage/objects/object-store.js';
import { uploadBusy, uploadFinished, uploadNotFound } from './upload-errors.js';
import type { RecordedPart, SessionChange, SessionFailure, SessionWriter, UploadSession } from './upload-session.js';

/** Throws unless the session is in `state` and `token` is its writer's (UPLOAD_NOT_FOUND / UPLOAD_FINISHED / UPLOAD_BUSY). */
export function requireHolder(s: UploadSession, token: string, state: 'open' | 'completing'): void {
  if (s.state === 'aborting') throw uploadNotFound(s.uploadId);
  if (s.state !== state) throw uploadFinished(s.uploadId, s.state);
  if (s.writer?.token !== token) throw uploadBusy(s.uploadId, 100);
}

/** True when the session is past its expire time at `nowMs`. */
export function isExpired(s: UploadSession, nowMs: number): boolean {
  return nowMs >= s.expireTimeMs;
}

/**
 * The writer record for `token`: kept when it is already the writer; the rest
 * of the previous writer's block when that writer ended cleanly (none of its
 * uploads can still land); else a fresh block of `block` numbers.
 */
function writerFor(s: UploadSession, token: string, block: number): { writer: SessionWriter; nextPartNumber: number } {
  const w = s.writer;
  if (w?.token === token) return { writer: w, nextPartNumber: s.nextPartNumber };
  if (w?.ended === true && w.next < w.end)
    return { writer: { token, next: w.next, end: w.end, ended: false }, nextPartNumber: s.nextPartNumber };
  const next = s.nextPartNumber;
  if (next > MAX_PART_NUMBER)
    throw new DbError(
      'failed_precondition',
      'UPLOAD_FINISHED',
      `upload ${s.uploadId} has used all ${MAX_PART_NUMBER} part numbers; abort it and start again`,
      {
        metadata: { uploadId: s.uploadId, state: s.state },
      },
    );
  const end = Math.min(next + block, MAX_PART_NUMBER + 1);
  return { writer: { token, next, end, ended: false }, nextPartNumber: end };
}

/** A write takes the session over: open and unexpired, writer = `token` with a block of part numbers. */
export function takeOver(token: string, block: number, nowMs: number): SessionChange {
  return (s) => {
    if (s.state === 'aborting' || isExpired(s, nowMs)) throw uploadNotFound(s.uploadId);
    if (s.state !== 'open') throw uploadFinished(s.uploadId, s.state);
    return { ...s, ...writerFor(s, token, block) };
  };
}

/** The expected size and SHA-256 a CompleteUpload may add to the header. */
export interface Expectations {
  readonly expectedSize?: number;
  readonly expectedSha256?: string;
}

/**
 * Claims the session for completion (open → completing, writer = `token`);
 * a completing session (its completer died) is taken over; completed or failed
 * is left as is (the caller returns the recorded outcome); aborting or expired
 * is UPLOAD_NOT_FOUND.
 */
export function claim(token: string, block: number, nowMs: number, expected: Expectations): SessionChange {
  return (s) => {
    if (s.state === 'completed' || s.state === 'failed') return undefined;
    if (s.state === 'aborting' || (s.state === 'open' && isExpired(s, nowMs))) throw uploadNotFound(s.uploadId);
    const header = {
      ...s.header,
      ...(expected.expectedSize !== undefined ? { expectedSize: expected.expectedSize } : {}),
      ...(expected.expectedSha256 !== undefined ? { expectedSha256: expected.expectedSha256 } : {}),
    };
    return { ...s, header, state: 'completing', ...writerFor(s, token, block) };
  };
}

/** Reserves a fresh block when the writer's is used up (a no-op while numbers are left). */
export function ensurePartNumber(token: string, block: number, state: 'open' | 'completing'): SessionChange {
  return (s) => {
    requireHolder(s, token, state);
    const w = s.writer as SessionWriter;
    if (w.next < w.end) return undefined;
    return { ...s, ...writerFor({ ...s, writer: undefined }, token, block) };
  };
}

/** Records the multipart upload created for the session's data key. */
export function recordMultipart(token: string, multipartId: string, state: 'open' | 'completing'): SessionChange {
  return (s) => {
    requireHolder(s, token, state);
    if (s.multipartId !== undefined) throw new DbError('internal', 'INTERNAL_ERROR', `upload ${s.uploadId} already has a multipart upload`);
    return { ...s, multipartId };
  };
}

/** Records part `part.index` (the next one): the tail it absorbed is gone, the writer's next number moves past it. */
export function recordPart(token: string, part: RecordedPart, state: 'open' | 'completing'): SessionChange {
  return (s) => {
    requireHolder(s, token, state);
    if (part.index !== s.parts.length + 1)
      throw new DbError('internal', 'INTERNAL_ERROR', `upload ${s.uploadId}: part ${part.index} recorded after ${s.parts.length}`);
    const w = s.writer as SessionWriter;
    return { ...s, parts: [...s.parts, part], tail: undefined, writer: { ...w, next: Math.max(w.next, part.partNumber + 1) } };
  };
}

/** Ends a write cleanly: records its tail (or none) and marks the writer ended. */
export function recordTail(token: string, tail: UploadSession['tail']): SessionChange {
  return (s) => {
    requireHolder(s, token, 'open');
    return { ...s, tail, writer: { ...(s.writer as SessionWriter), ended: true } };
  };
}

/** Records that the data key holds the whole object (size, SHA-256); no tail is left. */
export function recordData(token: string, data: { size: number; sha256: string }): SessionChange {
  return (s) => {
    requireHolder(s, token, 'completing');
    return { ...s, data, tail: undefined };
  };
}

/** Ends the completion: completed with `result`, or failed with `failure`. */
export function recordOutcome(token: string, outcome: { result: unknown } | { failure: SessionFailure }): SessionChange {
  return (s) => {
    requireHolder(s, token, 'completing');
    return 'result' in outcome ? { ...s, state: 'completed', result: outcome.result } : { ...s, state: 'failed', failure: outcome.failure };
  };
}

/** The sweeper's or AbortUpload's claim: open (or already aborting) → aborting; otherwise UPLOAD_FINISHED. */
export function claimAbort(): SessionChange {
  return (s) => {
    if (s.state === 'aborting') return undefined;
    if (s.state !== 'open') throw uploadFinished(s.uploadId, s.state);
    return { ...s, state: 'aborting' };
  };
}
