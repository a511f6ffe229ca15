/**
 * Aborting uploads (ADR 0013 §8): AbortUpload at once, and the sweeper's
 * rounds over abandoned sessions and orphaned multipart uploads.
 *
 * Abort: CAS open → aborting (so a completion and an abort never both win; a
 * writer's next CAS then fails), abortUpload of the multipart upload and
 * listParts until it is gone (a part in flight may land after an abort), the
 * tails (named or not), the data key, then the session.
 *
 * A round: each session past its expire time is aborted when open or
 * aborting, deleted when completed or failed; a completing session whose
 * lease is free (its completer died) is completed again (the client asked to
 * commit). Then every multipart upload under `_objdata/` started more than
 * maxAge + 1 h ago that no session names is aborted (a server killed between
 * creating it and recording it).
 */
import { isDbError } from '../../errors/db-error.js';
import { baseUploadId } from '../../storage/objects/object-store.js';
import type { ResumableContext } from './resumable-context.js';
import { claimAbort } from './session-changes.js';
import type { UploadCompletion } from './upload-completion.js';
import { uploadLeaseName } from './upload-lease.js';
import { SESSION_PREFIX, type UploadSession } from './upload-session.js';
import { deleteTails } from './upload-tail.js';

/** The prefix of data keys, where orphaned multipart uploads are looked for. */
export const DATA_PREFIX = '_objdata/';
/** Extra age beyond maxAge before an unnamed multipart upload counts as orphaned, in ms. */
const ORPHAN_GRACE_MS = 60 * 60 * 1000;
/** abortUpload + listParts rounds before giving up on a multipart upload (the next sweep retries). */
const ABORT_ROUNDS = 5;

/** What one sweep did. */
export interface SweepReport {
  /** Open sessions past their expiry, aborted. */
  readonly aborted: number;
  /** Finished sessions past their expiry, deleted. */
  readonly deleted: number;
  /** Completing sessions whose completer was gone, completed (or failed) again. */
  readonly completed: number;
  /** Multipart uploads no session named, aborted. */
  readonly orphans: number;
}

/** Aborts uploads and sweeps the abandoned ones for one engine instance. */
export class UploadSweeper<R> {
  constructor(
    private readonly ctx: ResumableContext,
    private readonly completion: UploadCompletion<R>,
  ) {}

  /** AbortUpload: UPLOAD_NOT_FOUND when unknown, UPLOAD_FINISHED when completing or finished; idempotent while aborting. */
  async abort(uploadId: string, signal?: AbortSignal): Promise<void> {
    const v = await this.ctx.sessions.update(uploadId, claimAbort(), undefined, signal);
    await this.cleanUp(v.session, signal);
  }

  /** One round over every session and the open multipart uploads (callers run it under a `sweep:uploads` mutex). */
  async sweep(signal?: AbortSignal): Promise<SweepReport> {
    const { ctx } = this;
    const now = ctx.clock.now();
    const named = new Set<string>();
    let aborted = 0;
    let deleted = 0;
    let completed = 0;
    let startAfter: string | undefined;
    for (;;) {
      const page = await ctx.blobs.list({ prefix: SESSION_PREFIX, startAfter, limit: 1000 }, signal);
      for (const key of page.keys) {
        const uploadId = key.slice(SESSION_PREFIX.length);
        const found = await ctx.sessions.read(uploadId, signal);
        if (found === undefined) continue;
        const s = found.session;
        if (s.multipartId !== undefined) named.add(baseUploadId(s.multipartId)); // listUploads reports the store's ids
        if (s.state === 'completing') {
          if (await this.recompleted(s, signal)) completed++;
        } else if (now >= s.expireTimeMs) {
          if (s.state === 'open' || s.state === 'aborting') {
            if (await this.abortQuietly(uploadId, signal)) aborted++;
          } else {
            await ctx.sessions.delete(uploadId, signal);
            deleted++;
          }
        }
      }
      if (!page.isTruncated || page.keys.length === 0) break;
      startAfter = page.keys[page.keys.length - 1];
    }
    const orphans = await this.abortOrphans(named, now, signal);
    return { aborted, deleted, completed, orphans };
  }

  /** Completes a completing session whose lease is free; false when someone holds it (it is being completed). */
  private async recompleted(s: UploadSession, signal?: AbortSignal): Promise<boolean> {
    const info = await this.ctx.coordinator.leaseInfo(uploadLeaseName(s.uploadId), signal);
    if (info !== undefined) return false;
    try {
      await this.completion.complete(s.uploadId, { signal });
    } catch (e) {
      if (!isDbError(e)) throw e;
      if (e.kind === 'unavailable' || e.reason === 'UPLOAD_BUSY') return false;
    }
    return true;
  }

  private async abortQuietly(uploadId: string, signal?: AbortSignal): Promise<boolean> {
    try {
      await this.abort(uploadId, signal);
      return true;
    } catch (e) {
      // A writer or completer moved it meanwhile (finished, or gone): nothing to abort now.
      if (isDbError(e, 'UPLOAD_FINISHED') || isDbError(e, 'UPLOAD_NOT_FOUND')) return false;
      throw e;
    }
  }

  /** Removes everything of an aborting session, the session last (a crash midway is resumed by the next abort or sweep). */
  private async cleanUp(s: UploadSession, signal?: AbortSignal): Promise<void> {
    const { ctx } = this;
    if (s.multipartId !== undefined) await this.abortMultipart(s.dataKey, s.multipartId, signal);
    await deleteTails(ctx.blobs, s.uploadId, signal);
    await ctx.objects.delete(s.dataKey, undefined, signal);
    await ctx.sessions.delete(s.uploadId, signal);
    ctx.hashes.drop(s.uploadId);
  }

  /** abortUpload, then listParts until the upload is gone; a part that landed late is aborted again. */
  private async abortMultipart(key: string, multipartId: string, signal?: AbortSignal): Promise<void> {
    const { objects } = this.ctx;
    for (let round = 0; round < ABORT_ROUNDS; round++) {
      await objects.abortUpload(key, multipartId, signal).catch((e: unknown) => {
        if (!isDbError(e) || e.kind !== 'not_found') throw e;
      });
      try {
        const parts = await objects.listParts(key, multipartId, signal);
        if (parts.length === 0 && round > 0) return;
      } catch (e) {
        if (isDbError(e) && e.kind === 'not_found') return;
        throw e;
      }
    }
  }

  /** Aborts the old multipart uploads under DATA_PREFIX that no session names. */
  private async abortOrphans(named: ReadonlySet<string>, now: number, signal?: AbortSignal): Promise<number> {
    const { ctx } = this;
    const cutoff = now - ctx.settings.maxAgeMs - ORPHAN_GRACE_MS;
    const uploads = await ctx.objects.listUploads({ prefix: DATA_PREFIX, limit: 1000, signal });
    let n = 0;
    for (const u of uploads) {
      if (named.has(u.uploadId) || u.startedAt.getTime() > cutoff) continue;
      await this.abortMultipart(u.key, u.uploadId, signal);
      n++;
    }
    return n;
  }
}
