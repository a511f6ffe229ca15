/**
 * Spilled tails (ADR 0013 §3): the partial part a write ended with, stored
 * create-only at `_uploads/t/<uploadId>.<writerToken>.<endOffset>` so that a
 * late tail of a fenced-out writer can never overwrite the one the session
 * names. Also the parts' upload step shared by the writer and the completion.
 */
import { DbError, isDbError } from '../../errors/db-error.js';
import { uploadNotFound } from './upload-errors.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { ResumableContext } from './resumable-context.js';
import { ensurePartNumber, recordMultipart, recordPart } from './session-changes.js';
import { partsSize, TAIL_PREFIX, type UploadSession, type VersionedSession } from './upload-session.js';

/** The key of a tail written by `token` ending at `endOffset`. */
export function tailKey(uploadId: string, token: string, endOffset: number): string {
  return `${TAIL_PREFIX}${uploadId}.${token}.${endOffset}`;
}

/** Reads the session's tail back; a missing or short tail is 'internal' (the session names only stored tails). */
export async function readTail(blobs: BlobStore, session: UploadSession, signal?: AbortSignal): Promise<Uint8Array> {
  const tail = session.tail;
  if (tail === undefined) return new Uint8Array(0);
  const blob = await blobs.get(tail.key, signal);
  if (blob === undefined || blob.body.byteLength !== tail.length)
    throw new DbError('internal', 'INTERNAL_ERROR', `upload ${session.uploadId}: tail ${tail.key} is missing or has the wrong length`, {
      metadata: { key: tail.key },
    });
  return blob.body;
}

/** Deletes every tail of the upload, named or not (a fenced-out writer's too). */
export async function deleteTails(blobs: BlobStore, uploadId: string, signal?: AbortSignal): Promise<void> {
  const prefix = `${TAIL_PREFIX}${uploadId}.`;
  for (;;) {
    const page = await blobs.list({ prefix, limit: 1000 }, signal);
    await Promise.all(page.keys.map((k) => blobs.delete(k, undefined, signal)));
    if (!page.isTruncated || page.keys.length === 0) return;
  }
}

/** Deletes one key, ignoring failures (what it leaves is garbage that deleteTails or the sweeper removes). */
export async function deleteQuietly(blobs: BlobStore, key: string): Promise<void> {
  await blobs.delete(key).catch(() => undefined);
}

/**
 * Uploads `bytes` as the session's next part under the writer's next part
 * number and records it by CAS: creates the multipart upload first when the
 * session has none (recorded by the same kind of CAS; an upload created by a
 * writer fenced out meanwhile is aborted), and reserves a fresh block when the
 * writer's is used up. Returns the session as written.
 */
export async function sendPart(
  ctx: ResumableContext,
  v: VersionedSession,
  token: string,
  state: 'open' | 'completing',
  bytes: Uint8Array,
  signal?: AbortSignal,
): Promise<VersionedSession> {
  const { sessions, objects } = ctx;
  const id = v.session.uploadId;
  const dataKey = v.session.dataKey;
  if (v.session.multipartId === undefined) {
    const multipartId = await objects.startUpload(dataKey, { contentType: v.session.header.contentType, signal });
    try {
      v = await sessions.update(id, recordMultipart(token, multipartId, state), v, signal);
    } catch (e) {
      await abortUnrecorded(ctx, id, dataKey, multipartId);
      throw e;
    }
  }
  v = await sessions.update(id, ensurePartNumber(token, ctx.settings.partBlock, state), v, signal);
  const partNumber = (v.session.writer as NonNullable<UploadSession['writer']>).next;
  const oldTail = v.session.tail?.key;
  // The placement: parts before it are recorded in order, so its offset is their bytes; only the completion sends the last part.
  const placement = { offset: partsSize(v.session), final: state === 'completing' };
  const part = await objects.putPart(dataKey, v.session.multipartId as string, partNumber, bytes, signal, placement).catch((e: unknown) => {
    // The multipart upload is gone: only an abort removes it while the session is open.
    throw isDbError(e) && e.kind === 'not_found' ? uploadNotFound(id) : e;
  });
  v = await sessions.update(
    id,
    recordPart(token, { index: v.session.parts.length + 1, partNumber, size: part.size, etag: part.etag }, state),
    v,
    signal,
  );
  if (oldTail !== undefined) await deleteQuietly(ctx.blobs, oldTail);
  return v;
}

/**
 * After recording `multipartId` failed: aborts it unless the session names it
 * after all. A cancel or a network error may cut the recording CAS after S3
 * stored it, and aborting an upload the session names would make the upload
 * id unusable (every later part NOT_FOUND). When the session cannot be read
 * back the multipart upload is left alone: the sweeper aborts what an expired
 * session names and, after maxAge + 1 h, what no session names.
 */
async function abortUnrecorded(ctx: ResumableContext, uploadId: string, dataKey: string, multipartId: string): Promise<void> {
  const current = await ctx.sessions.read(uploadId).catch(() => null);
  if (current === null || current?.session.multipartId === multipartId) return;
  await ctx.objects.abortUpload(dataKey, multipartId).catch(() => undefined);
}
