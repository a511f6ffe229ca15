/**
 * Reads and conditional writes of object pointers (docs/adr/0013 §4, §5)
 * through the documents' BlobStore, whose wrappers give every adapter
 * conditional PUTs (S3 native or lock mode, in-process locks) and verified
 * reads. The pointer PUT is an upload's one commit point; the pointer
 * DELETE is a delete's. Before either moves a pointer away from older data,
 * a trash marker for that data is written (trash-markers.ts), so the data is
 * deleted after the grace period by the trash sweeper, never here; a move
 * that loses its condition removes its marker again. Both return the data
 * key they made unreferenced (for reports and tests).
 */
import { v4 as uuidv4 } from 'uuid';
import type { Clock } from '../common/clock.js';
import { DbError } from '../errors/db-error.js';
import { objectKey } from '../format/bucket-layout.js';
import { ConditionFailedError, type BlobStore } from '../storage/blob-store.js';
import type { ObjectMeta, ObjectPrecondition } from '../api/object-api.js';
import { decodePointer, encodePointer, objectMetaOf, type ObjectPointer } from './pointer-format.js';
import type { TrashMarks } from './trash-markers.js';

/** A pointer as read, with its store etag (the object's etag). */
export interface PointerRead {
  readonly etag: string;
  readonly pointer: ObjectPointer;
}

/** What a committed upload stored: the fields of the new pointer that the data decides. */
export interface CommittedData {
  readonly data: string;
  readonly size: number;
  readonly sha256: string;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** A successful commit: the new object, and the data key of the version it replaced (if any). */
export interface CommitResult {
  readonly object: ObjectMeta;
  readonly replacedData?: string;
}

/** Attempts of an unconditional (or exists=true) commit or delete that keeps losing races. */
const MAX_ATTEMPTS = 16;

/** NOT_FOUND OBJECT_NOT_FOUND. */
export function objectNotFound(collection: string, id: string): DbError {
  return new DbError('not_found', 'OBJECT_NOT_FOUND', `object ${collection}/${id} not found`, { metadata: { collection, id } });
}

/** ABORTED ETAG_MISMATCH: the object is not at the expected etag. */
export function objectEtagMismatch(collection: string, id: string, expected: string, current: string): DbError {
  return new DbError('aborted', 'ETAG_MISMATCH', `object ${collection}/${id} has changed`, {
    metadata: { collection, id, expectedEtag: expected, currentEtag: current },
  });
}

/** ALREADY_EXISTS OBJECT_ALREADY_EXISTS. */
export function objectExists(collection: string, id: string, current: string): DbError {
  return new DbError('already_exists', 'OBJECT_ALREADY_EXISTS', `object ${collection}/${id} already exists`, {
    metadata: { collection, id, currentEtag: current },
  });
}

function contention(collection: string, id: string): DbError {
  return new DbError('aborted', 'CONCURRENT_MODIFICATION', `too much contention writing object ${collection}/${id}`, {
    metadata: { collection, id },
    retryDelayMs: 50,
  });
}

/** See the file comment. */
export class ObjectPointers {
  constructor(
    private readonly store: BlobStore,
    private readonly clock: Clock,
    /** Where moves away from older data leave their trash markers (none: the old data is left as garbage). */
    private readonly trash?: TrashMarks,
  ) {}

  /** The pointer of (collection, id), or undefined when there is no object. */
  async read(collection: string, id: string, signal?: AbortSignal): Promise<PointerRead | undefined> {
    const key = objectKey(collection, id);
    const blob = await this.store.get(key, signal);
    return blob === undefined ? undefined : { etag: blob.etag, pointer: decodePointer(blob.body, key) };
  }

  /**
   * Points (collection, id) at `data` if `precondition` holds (see
   * UploadHeader.precondition); without one, a read-modify-write loop on the
   * pointer's etag keeps `version` exact.
   */
  async commit(
    collection: string,
    id: string,
    data: CommittedData,
    precondition: ObjectPrecondition | undefined,
    signal?: AbortSignal,
  ): Promise<CommitResult> {
    const key = objectKey(collection, id);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current =
        precondition !== undefined && 'exists' in precondition && !precondition.exists
          ? undefined
          : await this.read(collection, id, signal);
      if (precondition !== undefined && 'etag' in precondition) {
        if (current === undefined) throw objectNotFound(collection, id);
        if (current.etag !== precondition.etag) throw objectEtagMismatch(collection, id, precondition.etag, current.etag);
      }
      if (current === undefined && precondition !== undefined && 'exists' in precondition && precondition.exists)
        throw objectNotFound(collection, id);
      const now = this.clock.date();
      const pointer: ObjectPointer = {
        ...data,
        version: (current?.pointer.version ?? 0) + 1,
        createTime: current?.pointer.createTime ?? now,
        updateTime: now,
        writeId: uuidv4(),
      };
      const marker = current === undefined ? undefined : await this.trash?.mark(collection, id, current.pointer.data, signal);
      try {
        const meta = await this.store.put(
          key,
          encodePointer(pointer),
          current === undefined ? { ifNoneMatch: true } : { ifMatch: current.etag },
          signal,
        );
        return {
          object: objectMetaOf(collection, id, meta.etag, pointer),
          ...(current === undefined ? {} : { replacedData: current.pointer.data }),
        };
      } catch (e) {
        // An unknown outcome keeps the marker (the move may have landed); a lost condition certainly did not move.
        if (!(e instanceof ConditionFailedError)) throw e;
        if (marker !== undefined) await this.trash?.unmark(marker);
        if (precondition !== undefined && 'exists' in precondition && !precondition.exists) {
          const now = await this.read(collection, id, signal);
          throw objectExists(collection, id, now?.etag ?? e.currentEtag ?? '');
        }
        if (precondition !== undefined && 'etag' in precondition) {
          const now = await this.read(collection, id, signal);
          if (now === undefined) throw objectNotFound(collection, id);
          throw objectEtagMismatch(collection, id, precondition.etag, now.etag);
        }
      }
    }
    throw contention(collection, id);
  }

  /**
   * commit() made idempotent per data key, for a step that may run again
   * after a crash (a resumable upload's completion): when the pointer already
   * names `data.data`, that object is returned and nothing is written, also
   * when the commit's own condition lost to that very pointer (an earlier
   * attempt of this commit landed but its answer was lost).
   */
  async commitOnce(
    collection: string,
    id: string,
    data: CommittedData,
    precondition: ObjectPrecondition | undefined,
    signal?: AbortSignal,
  ): Promise<CommitResult> {
    const named = async (): Promise<CommitResult | undefined> => {
      const current = await this.read(collection, id, signal);
      return current?.pointer.data === data.data ? { object: objectMetaOf(collection, id, current.etag, current.pointer) } : undefined;
    };
    const before = await named();
    if (before !== undefined) return before;
    try {
      return await this.commit(collection, id, data, precondition, signal);
    } catch (e) {
      if (!(e instanceof DbError) || (e.kind !== 'already_exists' && e.kind !== 'aborted')) throw e;
      const after = await named();
      if (after !== undefined) return after;
      throw e;
    }
  }

  /**
   * Deletes the pointer (ADR 0002's Delete rules): without `etag`, idempotent
   * (deleted false when none); with it, only that version (NOT_FOUND when
   * missing, ETAG_MISMATCH when stale). Returns the data key it unreferenced.
   */
  async remove(
    collection: string,
    id: string,
    etag: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ deleted: boolean; data?: string }> {
    const key = objectKey(collection, id);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.read(collection, id, signal);
      if (current === undefined) {
        if (etag !== undefined) throw objectNotFound(collection, id);
        return { deleted: false };
      }
      if (etag !== undefined && current.etag !== etag) throw objectEtagMismatch(collection, id, etag, current.etag);
      const marker = await this.trash?.mark(collection, id, current.pointer.data, signal);
      try {
        await this.store.delete(key, { ifMatch: current.etag }, signal);
        return { deleted: true, data: current.pointer.data };
      } catch (e) {
        if (!(e instanceof ConditionFailedError)) throw e;
        if (marker !== undefined) await this.trash?.unmark(marker);
      }
    }
    throw contention(collection, id);
  }
}
