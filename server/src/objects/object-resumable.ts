/**
 * Resumable uploads of ObjectService (docs/streams.md, "Resumable uploads";
 * ADR 0013 §3–§8): the object API's six calls over the resumable engine
 * (resumable/resumable-uploads.ts). What it adds to the engine: the header's
 * validation and defaults (the one-stream Upload's rules), the chunk limit,
 * the objects' data key, and the commit point, which is the object
 * pointer's conditional PUT made idempotent per data key
 * (ObjectPointers.commitOnce). The committed object is kept in the session
 * as JSON (RecordedObject), so a retried CompleteUpload answers the same.
 */
import { DbError, invalid } from '../errors/db-error.js';
import { objectDataKey } from '../format/bucket-layout.js';
import { DEFAULT_CONTENT_TYPE } from '../storage/objects/object-store.js';
import type { CallContext } from '../api/call-context.js';
import type {
  ObjectMeta,
  ObjectPrecondition,
  StartedObjectUpload,
  UploadExpectations,
  UploadHeaderInput,
  UploadProgress,
  UploadStatusInfo,
  UploadWriteMessage,
} from '../api/object-api.js';
import type { ObjectPointers } from './object-pointers.js';
import type { UploadDeps } from './object-upload.js';
import type { ResumableUploads, ResumableUploadsOptions } from './resumable/resumable-uploads.js';
import type { UploadHeader as SessionHeader } from './resumable/upload-session.js';
import type { CompletedUpload } from './resumable/upload-completion.js';
import { validateUploadHeader } from './upload-header.js';

/** ObjectMeta as a session records it (JSON: the times in ms since the epoch). */
export type RecordedObject = Omit<ObjectMeta, 'createTime' | 'updateTime'> & {
  readonly createTimeMs: number;
  readonly updateTimeMs: number;
};

/** What the resumable calls need from the object engine. */
export interface ObjectResumableDeps extends Pick<UploadDeps, 'objects' | 'onCleanupError'> {
  readonly pointers: ObjectPointers;
  /** SB_OBJECT_MAX_BYTES and SB_OBJECT_CHUNK_MAX_BYTES. */
  readonly limits: { readonly maxBytes: number; readonly chunkMaxBytes: number };
  /** Takes a transfer slot (SB_MAX_TRANSFERS) for a write; returns its release. */
  readonly admit: () => () => void;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

function toObjectPrecondition(p: SessionHeader['precondition']): ObjectPrecondition | undefined {
  if (p?.etag !== undefined) return { etag: p.etag };
  if (p?.exists !== undefined) return { exists: p.exists };
  return undefined;
}

function recorded(o: ObjectMeta): RecordedObject {
  const { createTime, updateTime, ...rest } = o;
  return { ...rest, createTimeMs: createTime.getTime(), updateTimeMs: updateTime.getTime() };
}

function objectOf(r: RecordedObject): ObjectMeta {
  const { createTimeMs, updateTimeMs, ...rest } = r;
  return { ...rest, createTime: new Date(createTimeMs), updateTime: new Date(updateTimeMs) };
}

/**
 * The commit point handed to the resumable engine: points the header's
 * (collection, id) at `dataKey` under the header's precondition, or returns
 * the object when the pointer already names it; the data of the version it
 * replaced is left to the trash sweeper (the commit marked it), as Upload does.
 */
export function objectCommit(deps: Omit<ObjectResumableDeps, 'limits' | 'admit'>): ResumableUploadsOptions<RecordedObject>['commit'] {
  return async (h, dataKey, size, sha256) => {
    const committed = await deps.pointers.commitOnce(
      h.collection,
      h.id,
      { data: dataKey, size, sha256, contentType: h.contentType ?? DEFAULT_CONTENT_TYPE, metadata: h.metadata ?? {} },
      toObjectPrecondition(h.precondition),
      AbortSignal.timeout(60_000),
    );
    return recorded(committed.object);
  };
}

/** The data key of a resumable upload: the objects' own, with the upload id as the version id. */
export const resumableDataKey = (h: SessionHeader, uploadId: string): string => objectDataKey(h.collection, h.id, uploadId);

/** See the file comment. */
export class ObjectResumable {
  constructor(
    private readonly deps: ObjectResumableDeps,
    private readonly uploads: ResumableUploads<RecordedObject>,
  ) {}

  async start(ctx: CallContext, input: UploadHeaderInput): Promise<StartedObjectUpload> {
    const h = validateUploadHeader(input, this.deps.limits.maxBytes);
    const started = await this.uploads.start(h, ctx.signal);
    return { uploadId: started.uploadId, partSizeBytes: started.partSize, expireTime: new Date(started.expireTimeMs) };
  }

  async write(ctx: CallContext, messages: AsyncIterable<UploadWriteMessage>): Promise<UploadProgress> {
    const release = this.deps.admit();
    try {
      const it = messages[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done === true || first.value.uploadId === '')
        throw invalid('INVALID_ARGUMENT', 'upload_id', 'the first WriteUpload message must carry upload_id');
      const { uploadId, writeOffset } = first.value;
      const end = { finished: false };
      const out = await this.uploads.write(uploadId, writeOffset, this.chunksOf(first.value, it, end), { signal: ctx.signal });
      if (!end.finished) return { committedSize: out.committedSize, complete: false };
      return progressOf(await this.uploads.complete(uploadId, {}, ctx.signal));
    } finally {
      release();
    }
  }

  async writeAt(ctx: CallContext, m: UploadWriteMessage): Promise<UploadProgress> {
    const release = this.deps.admit();
    try {
      const chunks = m.data === undefined || m.data.byteLength === 0 ? [] : [this.checkChunk(m.data)];
      const out = await this.uploads.write(m.uploadId, m.writeOffset, chunks, { finishWrite: m.finishWrite, signal: ctx.signal });
      return out.completed === undefined ? { committedSize: out.committedSize, complete: false } : progressOf(out.completed);
    } finally {
      release();
    }
  }

  async status(ctx: CallContext, uploadId: string): Promise<UploadStatusInfo> {
    const s = await this.uploads.status(uploadId, ctx.signal);
    return {
      committedSize: s.committedSize,
      complete: s.complete,
      ...(s.completed === undefined ? {} : { object: objectOf(s.completed.result) }),
      expireTime: new Date(s.expireTimeMs),
      partSizeBytes: s.partSize,
    };
  }

  async complete(ctx: CallContext, uploadId: string, expected: UploadExpectations): Promise<ObjectMeta> {
    const e: { expectedSize?: number; expectedSha256?: string } = {};
    if (expected.expectedSize !== undefined && expected.expectedSize > 0) e.expectedSize = expected.expectedSize;
    if (expected.expectedSha256 !== undefined && expected.expectedSha256 !== '') {
      if (!SHA256_RE.test(expected.expectedSha256))
        throw invalid('INVALID_ARGUMENT', 'expected_sha256', 'expected_sha256 must be 64 lowercase hex digits');
      e.expectedSha256 = expected.expectedSha256;
    }
    return objectOf((await this.uploads.complete(uploadId, e, ctx.signal)).result);
  }

  abort(ctx: CallContext, uploadId: string): Promise<void> {
    return this.uploads.abort(uploadId, ctx.signal);
  }

  /** One data message's bytes, refused above SB_OBJECT_CHUNK_MAX_BYTES. */
  private checkChunk(data: Uint8Array): Uint8Array {
    const max = this.deps.limits.chunkMaxBytes;
    if (data.byteLength > max)
      throw invalid('INVALID_ARGUMENT', 'data', `a data message may hold at most ${max} bytes, got ${data.byteLength}`);
    return data;
  }

  /**
   * The data of a WriteUpload stream: every message's bytes until the one with
   * finish_write (then `end.finished`, and the stream must end: another
   * message is UPLOAD_FINISHED) or the stream's end (a plain write).
   */
  private async *chunksOf(
    first: UploadWriteMessage,
    rest: AsyncIterator<UploadWriteMessage>,
    end: { finished: boolean },
  ): AsyncGenerator<Uint8Array, void, undefined> {
    let msg = first;
    let offset = first.writeOffset;
    for (;;) {
      if (msg !== first && msg.uploadId !== '' && msg.uploadId !== first.uploadId)
        throw invalid('INVALID_ARGUMENT', 'upload_id', 'every message of a WriteUpload stream must name the same upload');
      if (msg !== first && msg.writeOffset !== 0 && msg.writeOffset !== offset)
        throw invalid(
          'INVALID_ARGUMENT',
          'write_offset',
          `a later message's write_offset must be 0 or ${offset} (the data are contiguous)`,
        );
      if (msg.data !== undefined && msg.data.byteLength > 0) {
        offset += msg.data.byteLength;
        yield this.checkChunk(msg.data);
      }
      if (msg.finishWrite) {
        if ((await rest.next()).done !== true) throw dataAfterFinish(first.uploadId);
        end.finished = true;
        return;
      }
      const next = await rest.next();
      if (next.done === true) return;
      msg = next.value;
    }
  }
}

/** FAILED_PRECONDITION UPLOAD_FINISHED: a message after finish_write (the bytes before it stay written; nothing is committed). */
function dataAfterFinish(uploadId: string): DbError {
  return new DbError('failed_precondition', 'UPLOAD_FINISHED', 'a message came after finish_write: the upload was not completed', {
    metadata: { uploadId, state: 'finished' },
  });
}

function progressOf(c: CompletedUpload<RecordedObject>): UploadProgress {
  return { committedSize: c.size, complete: true, object: objectOf(c.result) };
}
