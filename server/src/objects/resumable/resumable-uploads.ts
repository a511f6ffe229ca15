/**
 * The resumable-upload engine's facade (ADR 0013 §3–§8): StartUpload,
 * WriteUpload / WriteAt, QueryUploadStatus, CompleteUpload, AbortUpload and
 * the abandoned-upload sweep, over the ports only. Any number of instances
 * (server processes) may serve one session: its state lives in storage, its
 * writer is fenced by the coordinator lease's token, and its running hash is
 * the only thing kept in a process (a miss costs a re-read at completion).
 */
import { systemClock, systemRandom, type Clock, type RandomSource } from '../../common/clock.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import { exclusiveRound, SWEEP_MUTEXES } from '../sweep/sweep-mutex.js';
import { DbError } from '../../errors/db-error.js';
import { validateCollection, validateId } from '../../model/keys.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { ObjectStore } from '../../storage/objects/object-store.js';
import { DEFAULT_RESUMABLE_SETTINGS, type CommitObject, type ResumableContext, type ResumableSettings } from './resumable-context.js';
import { RunningHashes } from './running-hashes.js';
import { UploadCompletion, type CompletedUpload } from './upload-completion.js';
import { objectTooLarge, uploadNotFound } from './upload-errors.js';
import { isUploadId, newUploadId } from './upload-id.js';
import { committedSize, UploadSessions, type UploadHeader } from './upload-session.js';
import { UploadSweeper, type SweepReport } from './upload-sweeper.js';
import { UploadWriter, type WriteOptions, type WriteOutcome } from './upload-writer.js';

/** Parts an expected size is spread over at most, leaving the other half of the 10,000 numbers for takeovers. */
const MAX_PLANNED_PARTS = 5_000;
const MIB = 1024 * 1024;

/** What one engine instance needs. */
export interface ResumableUploadsOptions<R> {
  readonly objects: ObjectStore;
  readonly blobs: BlobStore;
  readonly coordinator: Coordinator;
  /** The commit point (resumable-context.ts). */
  readonly commit: CommitObject<R>;
  /** Lease holder name (e.g. the server's instance id). */
  readonly holder: string;
  readonly settings?: Partial<ResumableSettings>;
  readonly clock?: Clock;
  readonly random?: RandomSource;
  /** The data key of an upload (default `_objdata/<collection>/<id>/<uploadId>`). */
  readonly dataKey?: (header: UploadHeader, uploadId: string) => string;
}

/** What StartUpload returns. */
export interface StartedUpload {
  readonly uploadId: string;
  /** P: the client may size its writes to it (a write ending on a part boundary spills no tail). */
  readonly partSize: number;
  /** When the upload is abandoned unless completed, in ms since the epoch. */
  readonly expireTimeMs: number;
}

/** What QueryUploadStatus returns. */
export interface UploadStatus<R> {
  /** Bytes committed: the next write starts at or below this offset. */
  readonly committedSize: number;
  /** True once completed. */
  readonly complete: boolean;
  readonly expireTimeMs: number;
  /** The upload's part size P. */
  readonly partSize: number;
  /** The completed upload, when complete. */
  readonly completed?: CompletedUpload<R>;
}

/** The resumable uploads of one engine instance. */
export class ResumableUploads<R> {
  private readonly ctx: ResumableContext;
  private readonly completion: UploadCompletion<R>;
  private readonly writer: UploadWriter<R>;
  private readonly sweeper: UploadSweeper<R>;
  private readonly random: RandomSource;
  private readonly dataKey: (header: UploadHeader, uploadId: string) => string;

  constructor(options: ResumableUploadsOptions<R>) {
    const settings = { ...DEFAULT_RESUMABLE_SETTINGS, ...options.settings };
    this.ctx = {
      objects: options.objects,
      blobs: options.blobs,
      sessions: new UploadSessions(options.blobs),
      coordinator: options.coordinator,
      clock: options.clock ?? systemClock,
      hashes: new RunningHashes(),
      holder: options.holder,
      settings,
    };
    this.random = options.random ?? systemRandom;
    this.dataKey = options.dataKey ?? ((h, id) => `_objdata/${h.collection}/${h.id}/${id}`);
    this.completion = new UploadCompletion(this.ctx, options.commit);
    this.writer = new UploadWriter(this.ctx, this.completion);
    this.sweeper = new UploadSweeper(this.ctx, this.completion);
  }

  /** StartUpload: validates the header and writes the session (create-only). */
  async start(header: UploadHeader, signal?: AbortSignal): Promise<StartedUpload> {
    validateCollection(header.collection);
    validateId(header.id);
    const { settings, clock } = this.ctx;
    let partSize = settings.partSize;
    if (header.expectedSize !== undefined) {
      if (!Number.isSafeInteger(header.expectedSize) || header.expectedSize < 0)
        throw new DbError('invalid', 'INVALID_ARGUMENT', 'expected_size must be a non-negative integer', {
          field: 'expected_size',
          metadata: { field: 'expected_size' },
        });
      if (header.expectedSize > settings.maxBytes) throw objectTooLarge(header.expectedSize, settings.maxBytes);
      partSize = Math.max(partSize, Math.ceil(Math.ceil(header.expectedSize / MAX_PLANNED_PARTS) / MIB) * MIB);
    }
    if (header.expectedSha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(header.expectedSha256))
      throw new DbError('invalid', 'INVALID_ARGUMENT', 'expected_sha256 must be 64 hex digits', {
        field: 'expected_sha256',
        metadata: { field: 'expected_sha256' },
      });
    const uploadId = newUploadId(clock, this.random);
    const now = clock.now();
    const expireTimeMs = now + settings.maxAgeMs;
    await this.ctx.sessions.create(
      {
        rev: 0,
        uploadId,
        header,
        partSize,
        state: 'open',
        createTimeMs: now,
        expireTimeMs,
        dataKey: this.dataKey(header, uploadId),
        parts: [],
        nextPartNumber: 1,
      },
      signal,
    );
    return { uploadId, partSize, expireTimeMs };
  }

  /** WriteUpload (a stream of chunks) or WriteAt (one chunk) from `writeOffset`; see upload-writer.ts. */
  async write(
    uploadId: string,
    writeOffset: number,
    chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    options?: WriteOptions,
  ): Promise<WriteOutcome<R>> {
    checkId(uploadId);
    return this.writer.write(uploadId, writeOffset, toAsync(chunks), options);
  }

  /** QueryUploadStatus: the committed size (from storage: any instance answers the same). */
  async status(uploadId: string, signal?: AbortSignal): Promise<UploadStatus<R>> {
    checkId(uploadId);
    const found = await this.ctx.sessions.read(uploadId, signal);
    const s = found?.session;
    if (s === undefined || s.state === 'aborting' || this.ctx.clock.now() >= s.expireTimeMs) throw uploadNotFound(uploadId);
    const base = {
      committedSize: s.data?.size ?? committedSize(s),
      complete: s.state === 'completed',
      expireTimeMs: s.expireTimeMs,
      partSize: s.partSize,
    };
    if (s.state !== 'completed' || s.data === undefined) return base;
    return { ...base, completed: { result: s.result as R, size: s.data.size, sha256: s.data.sha256 } };
  }

  /** CompleteUpload: idempotent (a retry returns the recorded outcome). */
  async complete(
    uploadId: string,
    expected: { expectedSize?: number; expectedSha256?: string } = {},
    signal?: AbortSignal,
  ): Promise<CompletedUpload<R>> {
    checkId(uploadId);
    return this.completion.complete(uploadId, { ...expected, signal });
  }

  /** AbortUpload: removes the session and everything it stored. */
  async abort(uploadId: string, signal?: AbortSignal): Promise<void> {
    checkId(uploadId);
    return this.sweeper.abort(uploadId, signal);
  }

  /**
   * One sweep round (run it every SB_UPLOAD_SWEEP_MS on every server): under the
   * coordinator mutex `sweep:uploads`, so one server does each round; undefined
   * when another server holds it. (Two rounds at once would only repeat work:
   * every step is a CAS or idempotent.)
   */
  async sweep(signal?: AbortSignal): Promise<SweepReport | undefined> {
    return exclusiveRound(this.ctx.coordinator, SWEEP_MUTEXES.uploads, () => this.sweeper.sweep(signal), signal);
  }
}

/** An id that is not an upload id names no session (and must not reach a storage key). */
function checkId(uploadId: string): void {
  if (!isUploadId(uploadId)) throw uploadNotFound(uploadId);
}

async function* toAsync(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield* chunks;
}
