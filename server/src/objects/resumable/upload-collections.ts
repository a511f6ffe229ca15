/**
 * The collection of each resumable upload, for authorising the calls that
 * name an upload only by its id (WriteUpload, WriteAt, QueryUploadStatus,
 * CompleteUpload, AbortUpload: docs/adr/0015): read from the upload's
 * session once, then remembered — a session's header never changes. The
 * memory is bounded; the oldest entries go first.
 */
import type { BlobStore } from '../../storage/blob-store.js';
import { isUploadId } from './upload-id.js';
import { UploadSessions } from './upload-session.js';

/** Entries remembered at most by default (about 1 MB). */
export const DEFAULT_REMEMBERED = 10_000;

/** Upload id → collection, from the stored sessions. */
export class UploadCollections {
  private readonly sessions: UploadSessions;
  private readonly known = new Map<string, string>();

  constructor(
    blobs: BlobStore,
    private readonly max = DEFAULT_REMEMBERED,
  ) {
    this.sessions = new UploadSessions(blobs);
  }

  /** The collection of upload `uploadId`, or undefined when no such upload is stored (or the id is malformed). */
  async of(uploadId: string, signal?: AbortSignal): Promise<string | undefined> {
    if (!isUploadId(uploadId)) return undefined;
    const hit = this.known.get(uploadId);
    if (hit !== undefined) return hit;
    const found = await this.sessions.read(uploadId, signal);
    if (found === undefined) return undefined;
    const name = found.session.header.collection;
    if (this.known.size >= this.max) this.known.delete(this.known.keys().next().value as string);
    this.known.set(uploadId, name);
    return name;
  }
}
