/**
 * The resumable-upload session (ADR 0013 §3): one small JSON document per
 * upload at `_uploads/s/<uploadId>` on the document BlobStore, the durable
 * truth of what has been committed. Every change is a compare-and-swap on its
 * etag, so two processes never both move a session, and a writer that lost
 * its lease (another token is recorded) fails its next change.
 *
 * States: open → completing → completed | failed, and open → aborting (then
 * deleted). committed_size = the recorded parts' bytes + the tail's length.
 */
import { ConditionFailedError, type BlobStore } from '../../storage/blob-store.js';
import { UPLOAD_TAILS_PREFIX } from '../../format/bucket-layout.js';
import { DbError, type ErrorKind, type ErrorReason } from '../../errors/db-error.js';
import { uploadNotFound, type UploadStateName } from './upload-errors.js';

/** The prefix of session keys (a listing of it is oldest first: ids are UUIDv7). */
export const SESSION_PREFIX = '_uploads/s/';
/** The prefix of spilled tails: `_uploads/t/<uploadId>.<writerToken>.<endOffset>`. */
export const TAIL_PREFIX = UPLOAD_TAILS_PREFIX;

/** What the upload will publish, as given at start (passed through to the commit step). */
export interface UploadHeader {
  /** The object's collection. */
  readonly collection: string;
  /** The object's id. */
  readonly id: string;
  /** Its MIME type (the commit step applies the default). */
  readonly contentType?: string;
  /** User metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** The commit's condition: create-only (exists false), must exist (true), or an etag. */
  readonly precondition?: { readonly exists?: boolean; readonly etag?: string };
  /** The size the object must have, verified before the commit. */
  readonly expectedSize?: number;
  /** The lowercase hex SHA-256 the object must have, verified before the commit. */
  readonly expectedSha256?: string;
}

/** One full part, or the final part, committed to the multipart upload. */
export interface RecordedPart {
  /** Which part of the object (1-based): bytes [(index-1)·partSize, …). */
  readonly index: number;
  /** Its S3 part number (from the writer's reserved block; ascending with index). */
  readonly partNumber: number;
  /** Bytes in it. */
  readonly size: number;
  /** The store's etag of it (needed to complete). */
  readonly etag: string;
}

/** The writer that holds the session and its block of part numbers. */
export interface SessionWriter {
  /** Its lease's fencing token (decimal): changes are accepted only from the holder of this token. */
  readonly token: string;
  /** The next part number it may use. */
  readonly next: number;
  /** One past the last part number of its block. */
  readonly end: number;
  /** True once it ended its write cleanly (no upload of it can still land, so its block may be continued). */
  readonly ended: boolean;
}

/** Why a completion failed for good (re-thrown to every later CompleteUpload). */
export interface SessionFailure {
  readonly kind: ErrorKind;
  readonly reason: ErrorReason;
  readonly message: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** The session document. */
export interface UploadSession {
  /** Distinct per version (so a store whose etag hashes the body never sees A-B-A). */
  readonly rev: number;
  readonly uploadId: string;
  readonly header: UploadHeader;
  /** P: part k holds bytes [(k-1)·P, k·P). */
  readonly partSize: number;
  readonly state: UploadStateName;
  readonly createTimeMs: number;
  /** After this the session is abandoned: the sweeper aborts it (or deletes it when finished). */
  readonly expireTimeMs: number;
  /** Where the bytes are published (written once, by this upload only). */
  readonly dataKey: string;
  /** The store's multipart upload id, once the first part was sent. */
  readonly multipartId?: string;
  /** Committed parts, by index. */
  readonly parts: readonly RecordedPart[];
  /** The spilled partial part after the last recorded part. */
  readonly tail?: { readonly key: string; readonly length: number };
  readonly writer?: SessionWriter;
  /** The first part number not yet reserved by any writer. */
  readonly nextPartNumber: number;
  /** Set once the data key holds the whole object: its size and SHA-256. */
  readonly data?: { readonly size: number; readonly sha256: string };
  /** The commit's result (state completed). */
  readonly result?: unknown;
  /** Why it failed (state failed). */
  readonly failure?: SessionFailure;
}

/** A session with the etag of the stored version it was read from or written as. */
export interface VersionedSession {
  readonly session: UploadSession;
  readonly etag: string;
}

/** The bytes committed: parts plus tail (what QueryUploadStatus reports). */
export function committedSize(session: UploadSession): number {
  let size = session.tail?.length ?? 0;
  for (const p of session.parts) size += p.size;
  return size;
}

/** The offset where the tail (or the next part) starts: the recorded parts' bytes. */
export function partsSize(session: UploadSession): number {
  return committedSize(session) - (session.tail?.length ?? 0);
}

/** The storage key of a session. */
export function sessionKey(uploadId: string): string {
  return SESSION_PREFIX + uploadId;
}

/** A change of a session: its next version, or undefined to keep it as is; it throws to refuse the change. */
export type SessionChange = (session: UploadSession) => UploadSession | undefined;

/** Sessions on a BlobStore: read, create-only create, CAS update with retries, delete. */
export class UploadSessions {
  /** `maxAttempts`: CAS attempts of one update before 'aborted' CONCURRENT_MODIFICATION (default 20). */
  constructor(
    private readonly blobs: BlobStore,
    private readonly maxAttempts = 20,
  ) {}

  /** The session, or undefined when none is stored. */
  async read(uploadId: string, signal?: AbortSignal): Promise<VersionedSession | undefined> {
    const key = sessionKey(uploadId);
    const blob = await this.blobs.get(key, signal);
    return blob === undefined ? undefined : { session: decodeSession(key, blob.body), etag: blob.etag };
  }

  /** Writes a new session (create-only: an existing id is a bug, reported as 'internal'). */
  async create(session: UploadSession, signal?: AbortSignal): Promise<VersionedSession> {
    const key = sessionKey(session.uploadId);
    try {
      const meta = await this.blobs.put(key, encodeSession(session), { ifNoneMatch: true }, signal);
      return { session, etag: meta.etag };
    } catch (e) {
      if (e instanceof ConditionFailedError)
        throw new DbError('internal', 'INTERNAL_ERROR', `upload id ${session.uploadId} already used`, { cause: e });
      throw e;
    }
  }

  /**
   * Applies `change` to the current session and stores the result if the
   * session did not move meanwhile; on a lost race re-reads and applies it
   * again. `change` sees the freshest version; it throws to refuse (the error
   * propagates) or returns undefined to keep the session as is. `known` is
   * tried first, saving the read. A missing session is UPLOAD_NOT_FOUND.
   */
  async update(uploadId: string, change: SessionChange, known?: VersionedSession, signal?: AbortSignal): Promise<VersionedSession> {
    let current = known;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      current ??= await this.read(uploadId, signal);
      if (current === undefined) throw uploadNotFound(uploadId);
      const next = change(current.session);
      if (next === undefined) return current;
      const session = { ...next, rev: current.session.rev + 1 };
      try {
        const meta = await this.blobs.put(sessionKey(uploadId), encodeSession(session), { ifMatch: current.etag }, signal);
        return { session, etag: meta.etag };
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
        current = undefined;
      }
    }
    throw new DbError('aborted', 'CONCURRENT_MODIFICATION', `upload ${uploadId} kept changing during an update`, {
      metadata: { uploadId },
      retryDelayMs: 100,
    });
  }

  /** Deletes the session (idempotent). */
  async delete(uploadId: string, signal?: AbortSignal): Promise<void> {
    await this.blobs.delete(sessionKey(uploadId), undefined, signal);
  }
}

/** The stored form: `{"smarterbase":{"schemaVersion":1,"kind":"uploadSession"},"session":{…}}`. */
export function encodeSession(session: UploadSession): Uint8Array {
  return Buffer.from(JSON.stringify({ smarterbase: { schemaVersion: 1, kind: 'uploadSession' }, session }), 'utf8');
}

/** Decodes a stored session; a body of another shape is 'internal' INTERNAL_ERROR naming the key. */
export function decodeSession(key: string, body: Uint8Array): UploadSession {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (e) {
    throw corrupt(key, 'not JSON', e);
  }
  const envelope = parsed as { smarterbase?: { schemaVersion?: unknown; kind?: unknown }; session?: Partial<UploadSession> };
  const s = envelope?.session;
  if (envelope?.smarterbase?.kind !== 'uploadSession' || envelope.smarterbase.schemaVersion !== 1)
    throw corrupt(key, 'not an upload session');
  if (
    s === undefined ||
    typeof s.uploadId !== 'string' ||
    typeof s.partSize !== 'number' ||
    typeof s.state !== 'string' ||
    typeof s.dataKey !== 'string' ||
    typeof s.expireTimeMs !== 'number' ||
    typeof s.nextPartNumber !== 'number' ||
    !Array.isArray(s.parts)
  )
    throw corrupt(key, 'missing fields');
  return s as UploadSession;
}

function corrupt(key: string, what: string, cause?: unknown): DbError {
  return new DbError('internal', 'INTERNAL_ERROR', `corrupt upload session at ${key}: ${what}`, { metadata: { key }, cause });
}
