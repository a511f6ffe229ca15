/**
 * What the parts of the resumable-upload engine share: their ports, the
 * process-local running hashes, and the settings (ADR 0013 §14), with their
 * defaults in one place.
 */
import type { Clock } from '../../common/clock.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import type { BlobStore } from '../../storage/blob-store.js';
import type { ObjectStore } from '../../storage/objects/object-store.js';
import type { RunningHashes } from './running-hashes.js';
import type { UploadHeader, UploadSessions } from './upload-session.js';

/** Settings of resumable uploads. */
export interface ResumableSettings {
  /** Default part size P in bytes (SB_OBJECT_PART_BYTES, 8 MiB; ≥ 5 MiB except in tests of the memory store). */
  readonly partSize: number;
  /** Largest object in bytes (SB_OBJECT_MAX_BYTES, 5 GiB). */
  readonly maxBytes: number;
  /** Lease of a writer, renewed every third of it, in ms (SB_UPLOAD_LEASE_MS, 30 s). */
  readonly leaseMs: number;
  /** How long a second writer waits for the lease before UPLOAD_BUSY, in ms (5 s). */
  readonly busyWaitMs: number;
  /** Age after which a session is abandoned, in ms (SB_UPLOAD_MAX_AGE_MS, 24 h). */
  readonly maxAgeMs: number;
  /** Part numbers a writer reserves at once (64: 10,000 numbers hold 5,000 parts plus ≥ 78 takeovers). */
  readonly partBlock: number;
}

/** The defaults of ResumableSettings. */
export const DEFAULT_RESUMABLE_SETTINGS: ResumableSettings = {
  partSize: 8 * 1024 * 1024,
  maxBytes: 5 * 1024 * 1024 * 1024,
  leaseMs: 30_000,
  busyWaitMs: 5_000,
  maxAgeMs: 24 * 60 * 60 * 1000,
  partBlock: 64,
};

/**
 * The commit point, received from the caller (the object pointer's
 * conditional PUT, ADR 0013 §4.4): publishes `dataKey` (size bytes, SHA-256
 * `sha256`) as the object the header names, under the header's precondition,
 * and returns what the upload's callers receive (kept in the session, so it
 * must be JSON). It must be idempotent for one dataKey: when the pointer
 * already names `dataKey` (a retry after a crash), it returns that object.
 * A DbError of kind already_exists, aborted, not_found, invalid or
 * failed_precondition is final (the data is deleted, the session failed);
 * any other error leaves the session completing for a retry.
 */
export type CommitObject<R> = (header: UploadHeader, dataKey: string, size: number, sha256: string) => Promise<R>;

/** The ports and state the writer, the completion and the sweeper share (one per engine instance). */
export interface ResumableContext {
  /** Bytes: multipart uploads, the data key. */
  readonly objects: ObjectStore;
  /** Sessions and tails (small, conditional). */
  readonly blobs: BlobStore;
  /** Session reads and CAS updates over `blobs`. */
  readonly sessions: UploadSessions;
  /** Leases `upload:<id>` (one writer per session). */
  readonly coordinator: Coordinator;
  /** Time of expiry, lease renewal and waits. */
  readonly clock: Clock;
  /** SHA-256 states of the sessions this process received in order. */
  readonly hashes: RunningHashes;
  /** Who holds leases (logs and LeaseState.holder). */
  readonly holder: string;
  /** The settings. */
  readonly settings: ResumableSettings;
}
