/**
 * One write to a resumable upload (ADR 0013 §3): a stream of chunks
 * (WriteUpload) or one chunk (WriteAt) from `writeOffset`. It takes the
 * session's lease, takes the session over (its fencing token and a block of
 * part numbers, by CAS), reads back the previous tail, cuts and uploads whole
 * parts under its own numbers, records each by CAS, and at the end of the
 * write spills what is left of the partial part as the new tail. With
 * finishWrite the completion follows under the same lease.
 *
 * One part is uploaded while the next one is received (memory: two parts).
 * A stream that breaks (its iterator throws) still spills the whole chunks
 * received, so every acknowledged byte stays committed; a storage failure
 * spills nothing (the next write resumes from the last recorded state).
 */
import type { Hash } from 'node:crypto';
import { throwIfAborted } from '../../common/abort.js';
import { ConditionFailedError } from '../../storage/blob-store.js';
import { checkWriteOffset, PartCutter } from './part-cutter.js';
import type { ResumableContext } from './resumable-context.js';
import { recordTail, takeOver } from './session-changes.js';
import type { CompletedUpload, UploadCompletion } from './upload-completion.js';
import { uploadBusy, uploadFinished, uploadNotFound } from './upload-errors.js';
import { acquireUploadLease, leaseOptionsOf, type UploadLease } from './upload-lease.js';
import { committedSize, partsSize, type VersionedSession } from './upload-session.js';
import { deleteQuietly, readTail, sendPart, tailKey } from './upload-tail.js';

/** Options of one write. */
export interface WriteOptions {
  /** The client's last message said finish_write: complete the upload after this write. */
  readonly finishWrite?: boolean;
  /** Aborts the write (the lease is released; nothing more is recorded). */
  readonly signal?: AbortSignal;
}

/** What a write achieved. */
export interface WriteOutcome<R> {
  /** The committed size after the write (QueryUploadStatus's answer). */
  readonly committedSize: number;
  /** With finishWrite: the completed upload. */
  readonly completed?: CompletedUpload<R>;
}

/** Writes to resumable uploads of one engine instance. */
export class UploadWriter<R> {
  constructor(
    private readonly ctx: ResumableContext,
    private readonly completion: UploadCompletion<R>,
  ) {}

  /** Writes `chunks` from `writeOffset` (≤ the committed size); see the file comment. */
  async write(
    uploadId: string,
    writeOffset: number,
    chunks: AsyncIterable<Uint8Array>,
    options: WriteOptions = {},
  ): Promise<WriteOutcome<R>> {
    const { ctx } = this;
    const signal = options.signal;
    const found = await ctx.sessions.read(uploadId, signal);
    if (found === undefined || found.session.state === 'aborting' || ctx.clock.now() >= found.session.expireTimeMs)
      throw uploadNotFound(uploadId);
    if (found.session.state !== 'open') throw uploadFinished(uploadId, found.session.state);
    // Checked before waiting for the lease too, so a wrong offset fails fast; the cutter checks it again.
    checkWriteOffset(uploadId, writeOffset, committedSize(found.session));
    const lease = await acquireUploadLease(leaseOptionsOf(this.ctx), uploadId, signal);
    try {
      const v = await ctx.sessions.update(uploadId, takeOver(lease.token, ctx.settings.partBlock, ctx.clock.now()), undefined, signal);
      const { session, tailBytes } = await this.receive(v, lease, writeOffset, chunks, signal);
      const size = committedSize(session.session);
      if (options.finishWrite !== true) return { committedSize: size };
      const completed = await this.completion.complete(uploadId, { lease, tailBytes, known: session, signal });
      return { committedSize: size, completed };
    } finally {
      await lease.release();
    }
  }

  /** Cuts and sends the parts of the write, then spills its tail; returns the session and the tail's bytes. */
  private async receive(
    start: VersionedSession,
    lease: UploadLease,
    writeOffset: number,
    chunks: AsyncIterable<Uint8Array>,
    signal: AbortSignal | undefined,
  ): Promise<{ session: VersionedSession; tailBytes: Uint8Array }> {
    const { ctx } = this;
    const uploadId = start.session.uploadId;
    let v = start;
    const carry = await readTail(ctx.blobs, v.session, signal);
    const cutter = new PartCutter({
      uploadId,
      partSize: v.session.partSize,
      partsEnd: partsSize(v.session),
      carry,
      writeOffset,
      maxBytes: ctx.settings.maxBytes,
    });
    const startSize = committedSize(v.session);
    const hash: Hash | undefined = ctx.hashes.take(uploadId, startSize);
    const iterator = chunks[Symbol.asyncIterator]();
    let broken: { error: unknown } | undefined;
    // One part is sent while the next one fills: 2 parts of memory, receiving and sending overlap.
    let sending: Promise<VersionedSession> | undefined;
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        try {
          next = await iterator.next();
        } catch (error) {
          broken = { error };
          break;
        }
        if (next.done === true) break;
        throwIfAborted(signal);
        if (lease.lost) throw uploadBusy(uploadId, 100);
        const cut = cutter.push(next.value);
        hash?.update(cut.accepted);
        for (const part of cut.parts) {
          if (sending !== undefined) v = await sending;
          sending = sendPart(ctx, v, lease.token, 'open', part, signal);
          sending.catch(() => undefined); // awaited before the next part or below
        }
      }
      if (sending !== undefined) v = await sending;
    } catch (e) {
      await sending?.catch(() => undefined);
      throw e;
    }
    const tailBytes = cutter.remainder();
    v = await this.spill(v, lease.token, tailBytes, cutter.end, signal);
    if (hash !== undefined) ctx.hashes.put(uploadId, cutter.end, hash);
    if (broken !== undefined) throw broken.error;
    return { session: v, tailBytes };
  }

  /** Ends the write cleanly: a new tail when the partial part changed, and the writer marked ended. */
  private async spill(
    v: VersionedSession,
    token: string,
    rest: Uint8Array,
    end: number,
    signal: AbortSignal | undefined,
  ): Promise<VersionedSession> {
    const { ctx } = this;
    const uploadId = v.session.uploadId;
    const old = v.session.tail;
    if (rest.byteLength === (old?.length ?? 0)) return ctx.sessions.update(uploadId, recordTail(token, old), v, signal);
    const key = tailKey(uploadId, token, end);
    if (rest.byteLength > 0) {
      try {
        await ctx.blobs.put(key, rest, { ifNoneMatch: true }, signal);
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
        // The same writer's earlier attempt of this very tail landed: same token and offset, same bytes.
      }
    }
    const tail = rest.byteLength > 0 ? { key, length: rest.byteLength } : undefined;
    try {
      v = await ctx.sessions.update(uploadId, recordTail(token, tail), v, signal);
    } catch (e) {
      if (tail !== undefined) await deleteQuietly(ctx.blobs, key);
      throw e;
    }
    if (old !== undefined && old.key !== key) await deleteQuietly(ctx.blobs, old.key);
    return v;
  }
}
