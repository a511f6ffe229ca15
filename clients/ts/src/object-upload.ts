/**
 * Resumable uploads (ADR 0013 §3, §13): `db.objects.uploadResumable()`.
 * StartUpload opens a session any server can continue; the bytes go in one
 * WriteUpload stream (or WriteAt calls of at most 4 MiB on the `connect`
 * transport, which cannot stream from the client) ending with finish_write.
 * When a write fails with UNAVAILABLE, a dropped connection, UPLOAD_BUSY
 * (after its RetryInfo delay) or UPLOAD_OFFSET_MISMATCH, the helper asks
 * QueryUploadStatus for the committed size, seeks the source there and writes
 * again: the server skips bytes below its committed size, so resending is
 * harmless. Its own calls bypass the automatic retry (NO_AUTO_RETRY), so
 * attempts are counted here only.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Code, createContextValues, type Client } from '@connectrpc/connect';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { backoffDelayMs, sleep as defaultSleep } from './backoff.js';
import { SmarterBaseError, toSmarterBaseError } from './errors.js';
import type { UploadHeaderSchema } from './gen/smarterbase/v1/object_pb.js';
import type { ObjectService, WriteUploadRequestSchema } from './gen/smarterbase/v1/object_service_pb.js';
import { resolveRetryPolicy, type CallOptions, type RetryPolicy } from './options.js';
import { NO_AUTO_RETRY, isRetryableError } from './retry.js';
import { fromProtoObject, type ObjectInfo, type UploadOptions } from './object-types.js';

/** Largest data field the server accepts per message or WriteAt call. */
export const MAX_OBJECT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * What uploadResumable() reads: a file path, bytes, or a factory giving the
 * source's bytes from an offset (called again, with the committed size, on
 * every resume).
 */
export type ResumableSource = string | Uint8Array | ((offset: number) => AsyncIterable<Uint8Array>);

/** One progress report of a resumable upload. */
export interface UploadProgress {
  /** Bytes the server confirmed durable (QueryUploadStatus or a write's answer); never decreases. */
  readonly committedBytes: number;
  /** Highest object offset handed to the transport so far (resent bytes are not counted twice); never decreases. */
  readonly sentBytes: number;
  /** The source's size when known (file, bytes), else undefined. */
  readonly totalBytes?: number;
}

/** Injectable waits and randomness (for deterministic tests). */
export interface ResumableHooks {
  /** Uniform random number in [0, 1). Default Math.random. */
  readonly random?: () => number;
  /** Waits ms milliseconds unless the signal aborts. Default: a timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Called before each resume with its number (1 = first), the error and the delay. */
  readonly onResume?: (resume: number, error: SmarterBaseError, delayMs: number) => void;
}

/** Options of uploadResumable(): the header options of upload() plus the resume controls. */
export interface ResumableUploadOptions extends Omit<UploadOptions, 'onProgress'> {
  /** Continue this upload (e.g. persisted from onUploadId before a restart) instead of starting one; the header options are then ignored. */
  readonly uploadId?: string;
  /** Called once with the upload id, before any byte is sent, so a caller can persist it. */
  readonly onUploadId?: (uploadId: string) => void;
  /** Resumes in a row without the committed size moving forward before giving up (default 10). */
  readonly maxResumes?: number;
  /** Send WriteAt calls instead of one WriteUpload stream (default: true on the `connect` transport). */
  readonly useWriteAt?: boolean;
  /** Called after each message sent and each confirmed committed size. */
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Test and logging hooks. */
  readonly hooks?: ResumableHooks;
}

/** What a write attempt or a status query learned. */
interface Status {
  readonly committed: number;
  readonly object?: ObjectInfo;
}

/** One chunk of the source and whether it is the last one. */
interface Chunk {
  readonly data: Uint8Array;
  readonly last: boolean;
}

/** The source's size when it is a path or bytes. */
export async function sourceSize(source: ResumableSource): Promise<number | undefined> {
  if (typeof source === 'string') return (await stat(source)).size;
  if (source instanceof Uint8Array) return source.length;
  return undefined;
}

/** The source from `offset` in chunks of at most `size` bytes, the last one flagged (looked ahead by one). */
export async function* chunksFrom(source: ResumableSource, offset: number, size: number): AsyncGenerator<Chunk> {
  if (source instanceof Uint8Array) {
    if (offset >= source.length) return;
    for (let i = offset; i < source.length; i += size) yield { data: source.subarray(i, i + size), last: i + size >= source.length };
    return;
  }
  const blocks: AsyncIterable<Uint8Array> =
    typeof source === 'string' ? createReadStream(source, { start: offset, highWaterMark: size }) : source(offset);
  let held: Uint8Array | undefined;
  for await (const block of blocks) {
    for (let i = 0; i < block.length; i += size) {
      if (held !== undefined) yield { data: held, last: false };
      held = block.subarray(i, i + size);
    }
  }
  if (held !== undefined) yield { data: held, last: true };
}

/** The source of a resumable upload failed (its error is the cause); never resumed. */
export class SourceError extends Error {
  /** Wraps the source's error. */
  constructor(cause: unknown) {
    super(`the upload source failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'SourceError';
  }
}

/** chunksFrom, with the source's errors wrapped in SourceError. */
async function* sourceChunks(source: ResumableSource, offset: number, size: number): AsyncGenerator<Chunk> {
  try {
    yield* chunksFrom(source, offset, size);
  } catch (e) {
    throw new SourceError(e);
  }
}

/** True for the errors after which the helper queries the status and writes again. */
export function isResumableError(raw: unknown, err: SmarterBaseError): boolean {
  return isRetryableError(raw) || err.reason === 'UPLOAD_BUSY' || err.reason === 'UPLOAD_OFFSET_MISMATCH';
}

/** Runs one resumable upload over the generated ObjectService client. */
export class ResumableUpload {
  private committed = 0;
  private sent = 0;
  private total: number | undefined;
  private readonly ctx = createContextValues().set(NO_AUTO_RETRY, true);

  /** `opts` applies the client's deadline and signal to each call; `retry` gives the backoff. */
  constructor(
    private readonly rpc: Client<typeof ObjectService>,
    private readonly opts: (o: CallOptions | undefined) => { timeoutMs?: number; signal?: AbortSignal },
    private readonly retry: RetryPolicy | false | undefined,
    private readonly source: ResumableSource,
    private readonly o: ResumableUploadOptions,
  ) {}

  /** Starts (or continues) the upload and writes until the object is committed. */
  async run(header: (size: number | undefined) => MessageInitShape<typeof UploadHeaderSchema>): Promise<ObjectInfo> {
    this.total = await sourceSize(this.source);
    let uploadId = this.o.uploadId;
    if (uploadId === undefined) {
      const started = await this.call(() => this.rpc.startUpload({ header: header(this.total) }, this.callOpts()));
      uploadId = started.uploadId;
    }
    this.o.onUploadId?.(uploadId);
    return this.loop(uploadId, this.o.uploadId !== undefined);
  }

  /**
   * Writes from the committed size until the object commits; after a
   * resumable error waits (backoff, at least the RetryInfo delay) and asks the
   * status before writing again. Resumes in a row that commit nothing are
   * bounded by maxResumes.
   */
  private async loop(uploadId: string, needQuery: boolean): Promise<ObjectInfo> {
    const policy = resolveRetryPolicy(this.retry === false ? undefined : this.retry);
    const sleep = this.o.hooks?.sleep ?? defaultSleep;
    const maxResumes = this.o.maxResumes ?? 10;
    let fruitless = 0;
    let mark = -1; // the committed size when the last resume began
    let offset = 0;
    for (;;) {
      let raw: unknown;
      let written: Status | undefined;
      try {
        if (needQuery) {
          const st = await this.query(uploadId);
          if (st.object !== undefined) return st.object;
          offset = st.committed;
          needQuery = false;
          if (this.committed > mark) fruitless = 0;
        }
        written = await this.write(uploadId, offset);
      } catch (e) {
        raw = e;
      }
      if (written?.object !== undefined) return written.object;
      if (written !== undefined)
        throw new SmarterBaseError({ code: Code.Internal, message: 'the write ended without committing the object' });
      if (raw instanceof SourceError) throw raw;
      const err = toSmarterBaseError(raw);
      if (this.o.signal?.aborted || !isResumableError(raw, err) || fruitless >= maxResumes) throw err;
      fruitless++;
      mark = this.committed;
      const delay = backoffDelayMs(policy, fruitless, this.o.hooks?.random, err.retryDelayMs ?? 0);
      this.o.hooks?.onResume?.(fruitless, err, delay);
      await sleep(delay, this.o.signal);
      needQuery = true;
    }
  }

  private callOpts(): { timeoutMs?: number; signal?: AbortSignal; contextValues: ReturnType<typeof createContextValues> } {
    return { ...this.opts(this.o), contextValues: this.ctx };
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toSmarterBaseError(e);
    }
  }

  private async query(uploadId: string): Promise<Status> {
    const res = await this.rpc.queryUploadStatus({ uploadId }, this.callOpts());
    return this.learn(res);
  }

  /** Records a committed size (and the object when complete) from any answer. */
  private learn(res: { committedSize: bigint; complete: boolean; object?: Parameters<typeof fromProtoObject>[0] }): Status {
    const committed = Number(res.committedSize);
    this.committed = Math.max(this.committed, committed);
    this.report();
    return { committed, object: res.complete ? fromProtoObject(res.object) : undefined };
  }

  private report(): void {
    this.o.onProgress?.({ committedBytes: this.committed, sentBytes: this.sent, totalBytes: this.total });
  }

  private noteSent(end: number): void {
    if (end <= this.sent) return;
    this.sent = end;
    this.report();
  }

  private chunkBytes(): number {
    const dflt = this.o.useWriteAt ? MAX_OBJECT_CHUNK_BYTES : 1024 * 1024;
    return Math.min(MAX_OBJECT_CHUNK_BYTES, Math.max(1, this.o.chunkBytes ?? dflt));
  }

  private write(uploadId: string, offset: number): Promise<Status> {
    return this.o.useWriteAt ? this.writeAt(uploadId, offset) : this.writeStream(uploadId, offset);
  }

  /** One WriteUpload stream from `offset` to the source's end, with finish_write. */
  private async writeStream(uploadId: string, offset: number): Promise<Status> {
    let sourceError: { error: unknown } | undefined;
    const messages = this.requests(uploadId, offset);
    async function* guarded(): AsyncGenerator<MessageInitShape<typeof WriteUploadRequestSchema>> {
      try {
        yield* messages;
      } catch (error) {
        sourceError = { error }; // the transport reports it as its own error: keep the source's
        throw error;
      }
    }
    try {
      return this.learn(await this.rpc.writeUpload(guarded(), this.callOpts()));
    } catch (e) {
      throw sourceError !== undefined ? sourceError.error : e;
    }
  }

  /** The messages of one WriteUpload stream, noting the bytes handed over. */
  private async *requests(uploadId: string, offset: number): AsyncGenerator<MessageInitShape<typeof WriteUploadRequestSchema>> {
    let at = offset;
    let first = true;
    for await (const { data, last } of sourceChunks(this.source, offset, this.chunkBytes())) {
      yield first ? { uploadId, writeOffset: BigInt(offset), data, finishWrite: last } : { data, finishWrite: last };
      first = false;
      at += data.length;
      this.noteSent(at);
    }
    if (first) yield { uploadId, writeOffset: BigInt(offset), finishWrite: true };
  }

  /** WriteAt calls from `offset`, each continuing from the committed size the last one answered. */
  private async writeAt(uploadId: string, offset: number): Promise<Status> {
    const size = this.chunkBytes();
    let at = offset;
    for (;;) {
      let st: Status | undefined;
      let sentAny = false;
      for await (const { data, last } of sourceChunks(this.source, at, size)) {
        sentAny = true;
        const res = await this.rpc.writeAt({ uploadId, writeOffset: BigInt(at), data, finishWrite: last }, this.callOpts());
        this.noteSent(at + data.length);
        st = this.learn(res);
        if (st.object !== undefined) return st;
        if (st.committed <= at) return st; // nothing kept: run() reports the broken answer
        if (st.committed !== at + data.length) break; // the server kept less (or more): continue from its count
        at = st.committed;
      }
      if (!sentAny) return this.learn(await this.rpc.writeAt({ uploadId, writeOffset: BigInt(at), finishWrite: true }, this.callOpts()));
      if (st === undefined) throw new SmarterBaseError({ code: Code.Internal, message: 'no write was answered' });
      at = st.committed;
    }
  }
}
