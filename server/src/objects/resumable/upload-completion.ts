/**
 * Completion of a resumable upload (ADR 0013 §4), under the session's lease:
 * 1. claim (CAS open → completing; completed returns the recorded result,
 *    failed re-throws its error, aborted is UPLOAD_NOT_FOUND);
 * 2. finish the data: the tail as the last part (or, with no parts, one PUT of
 *    the data key), then completeUpload of the recorded parts on the data key,
 *    unconditionally (nobody else writes that key); the SHA-256 from this
 *    process's running hash when it saw every byte in order, else by reading
 *    the data back; recorded in the session;
 * 3. verify the expected size and SHA-256 (CHECKSUM_MISMATCH: data deleted,
 *    session failed);
 * 4. commit (the caller's pointer commit);
 * 5. record completed with the result.
 * Each step is idempotent and recorded before the next, so a retry after a
 * crash at any point resumes and finishes it.
 */
import { createHash } from 'node:crypto';
import { DbError, isDbError } from '../../errors/db-error.js';
import type { CommitObject, ResumableContext } from './resumable-context.js';
import { claim, recordData, recordOutcome, type Expectations } from './session-changes.js';
import { checksumMismatch, uploadNotFound } from './upload-errors.js';
import { acquireUploadLease, leaseOptionsOf, type UploadLease } from './upload-lease.js';
import { committedSize, type SessionFailure, type UploadSession, type VersionedSession } from './upload-session.js';
import { deleteTails, readTail, sendPart } from './upload-tail.js';

/** A completed upload: what the commit returned, and the object's size and SHA-256. */
export interface CompletedUpload<R> {
  /** The commit's result (e.g. the object's metadata). */
  readonly result: R;
  /** Bytes in the object. */
  readonly size: number;
  /** Lowercase hex SHA-256 of the object. */
  readonly sha256: string;
}

/** Options of complete(). */
export interface CompleteOptions extends Expectations {
  /** The lease the caller holds (a write with finish_write); otherwise complete() takes it. */
  readonly lease?: UploadLease;
  /** The tail's bytes when the caller has them in memory (saves reading the tail back). */
  readonly tailBytes?: Uint8Array;
  /** The session as the caller last wrote it (saves a read). */
  readonly known?: VersionedSession;
  readonly signal?: AbortSignal;
}

/** Kinds of a commit error that are final: the upload fails (retrying cannot change the answer). */
const FINAL_KINDS = new Set(['already_exists', 'aborted', 'not_found', 'invalid', 'failed_precondition']);

/** Completes resumable uploads of one engine instance. */
export class UploadCompletion<R> {
  constructor(
    private readonly ctx: ResumableContext,
    private readonly commit: CommitObject<R>,
  ) {}

  /** Completes the upload, or returns (or re-throws) the outcome it already had. */
  async complete(uploadId: string, options: CompleteOptions = {}): Promise<CompletedUpload<R>> {
    const { ctx } = this;
    const signal = options.signal;
    if (options.lease === undefined) {
      const current = await ctx.sessions.read(uploadId, signal);
      if (current === undefined) throw uploadNotFound(uploadId);
      const done = finished<R>(current.session);
      if (done !== undefined) return done;
    }
    const lease = options.lease ?? (await acquireUploadLease(leaseOptionsOf(this.ctx), uploadId, signal));
    try {
      const v = await ctx.sessions.update(
        uploadId,
        claim(lease.token, ctx.settings.partBlock, ctx.clock.now(), options),
        options.known,
        signal,
      );
      return finished<R>(v.session) ?? (await this.run(v, lease.token, options));
    } finally {
      if (options.lease === undefined) await lease.release();
    }
  }

  /** Steps 2–5 on a claimed session. */
  private async run(v: VersionedSession, token: string, options: CompleteOptions): Promise<CompletedUpload<R>> {
    const { ctx } = this;
    const { signal } = options;
    const s0 = v.session;
    if (s0.data === undefined) v = await this.finishData(v, token, options);
    const s = v.session;
    const data = s.data as NonNullable<UploadSession['data']>;
    const { expectedSize, expectedSha256 } = s.header;
    if (expectedSize !== undefined && expectedSize !== data.size)
      return this.fail(v, token, checksumMismatch('expected_size', String(expectedSize), String(data.size)));
    if (expectedSha256 !== undefined && expectedSha256.toLowerCase() !== data.sha256)
      return this.fail(v, token, checksumMismatch('expected_sha256', expectedSha256.toLowerCase(), data.sha256));
    let result: R;
    try {
      result = await this.commit(s.header, s.dataKey, data.size, data.sha256);
    } catch (e) {
      if (isDbError(e) && FINAL_KINDS.has(e.kind)) return this.fail(v, token, e);
      throw e;
    }
    await ctx.sessions.update(s.uploadId, recordOutcome(token, { result }), v, signal);
    ctx.hashes.drop(s.uploadId);
    return { result, size: data.size, sha256: data.sha256 };
  }

  /** Step 2: the last part, the data key complete, its SHA-256 recorded. */
  private async finishData(v: VersionedSession, token: string, options: CompleteOptions): Promise<VersionedSession> {
    const { ctx } = this;
    const { signal } = options;
    const s = v.session;
    const size = committedSize(s);
    const tail =
      s.tail !== undefined && options.tailBytes?.byteLength === s.tail.length ? options.tailBytes : await readTail(ctx.blobs, s, signal);
    if (s.parts.length === 0) {
      await ctx.objects.putSmall(s.dataKey, tail, { contentType: s.header.contentType, signal });
      // A multipart upload created for a first part that never got recorded (a writer died in between).
      if (s.multipartId !== undefined) await ctx.objects.abortUpload(s.dataKey, s.multipartId).catch(() => undefined);
    } else {
      if (tail.byteLength > 0 || needsEmptyFinalPart(ctx, s)) v = await sendPart(ctx, v, token, 'completing', tail, signal);
      await this.completeMultipart(v.session, size, signal);
    }
    const sha256 = ctx.hashes.digest(s.uploadId, size) ?? (await this.rehash(s.dataKey, size, signal));
    v = await ctx.sessions.update(s.uploadId, recordData(token, { size, sha256 }), v, signal);
    await deleteTails(ctx.blobs, s.uploadId, signal);
    return v;
  }

  /** completeUpload of the recorded parts; an upload already completed (a retry) is accepted when the data has the session's size. */
  private async completeMultipart(s: UploadSession, size: number, signal?: AbortSignal): Promise<void> {
    const parts = s.parts.map((p) => ({ partNumber: p.partNumber, etag: p.etag }));
    try {
      await this.ctx.objects.completeUpload(s.dataKey, s.multipartId as string, parts, { signal });
    } catch (e) {
      if (!isDbError(e) || e.kind !== 'not_found') throw e;
      const head = await this.ctx.objects.head(s.dataKey, signal);
      if (head?.size !== size)
        throw new DbError('internal', 'INTERNAL_ERROR', `upload ${s.uploadId}: multipart upload gone and ${s.dataKey} is not complete`, {
          cause: e,
        });
    }
  }

  /** The SHA-256 of the data key, read back (streamed: memory bounded by the store's chunks). */
  private async rehash(dataKey: string, size: number, signal?: AbortSignal): Promise<string> {
    const reader = await this.ctx.objects.get(dataKey, { signal });
    if (reader === undefined || reader.info.size !== size)
      throw new DbError('internal', 'INTERNAL_ERROR', `the data of an upload is missing or short at ${dataKey}`, {
        metadata: { key: dataKey },
      });
    const hash = createHash('sha256');
    for await (const chunk of reader.body) hash.update(chunk);
    return hash.digest('hex');
  }

  /** Ends the upload as failed for good: the data is deleted, the error recorded and thrown. */
  private async fail(v: VersionedSession, token: string, error: DbError): Promise<never> {
    const { ctx } = this;
    const s = v.session;
    await ctx.objects.delete(s.dataKey);
    await deleteTails(ctx.blobs, s.uploadId);
    const failure: SessionFailure = { kind: error.kind, reason: error.reason, message: error.message, metadata: error.metadata };
    await ctx.sessions.update(s.uploadId, recordOutcome(token, { failure }), v);
    ctx.hashes.drop(s.uploadId);
    throw error;
  }
}

/**
 * Whether the upload must still get an empty final part: the store needs one
 * (an encrypting store seals a final chunk there) and the last recorded part
 * is a full one (a shorter part was sent as the final part: a retry after a
 * crash must not send a second).
 */
function needsEmptyFinalPart(ctx: ResumableContext, s: UploadSession): boolean {
  const last = s.parts[s.parts.length - 1];
  return last !== undefined && last.size === s.partSize && ctx.objects.needsFinalPart?.(s.multipartId as string) === true;
}

/** The recorded outcome of a completed (returned) or failed (thrown) session; undefined otherwise. */
function finished<R>(s: UploadSession): CompletedUpload<R> | undefined {
  if (s.state === 'completed') {
    const data = s.data as NonNullable<UploadSession['data']>;
    return { result: s.result as R, size: data.size, sha256: data.sha256 };
  }
  if (s.state === 'failed') {
    const f = s.failure as SessionFailure;
    throw new DbError(f.kind, f.reason, f.message, { metadata: { ...f.metadata }, field: f.metadata.field });
  }
  if (s.state === 'aborting') throw uploadNotFound(s.uploadId);
  return undefined;
}
