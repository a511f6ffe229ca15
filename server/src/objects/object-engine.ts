/**
 * The object engine (docs/streams.md "Objects", docs/adr/0013): the
 * ObjectApi over two ports, the documents' BlobStore for pointers and the
 * ObjectStore for data. Uploads and downloads count against
 * SB_MAX_TRANSFERS (more: RESOURCE_EXHAUSTED / SERVER_OVERLOADED). Stat,
 * delete and list are small calls, not transfers. Replaced and deleted data
 * is marked as trash and deleted by the trash sweep after the grace period;
 * the orphan scan removes data no pointer or marker names (ADR 0013 §8).
 */
import type { Clock } from '../common/clock.js';
import type { Failpoints } from '../common/failpoints.js';
import type { Coordinator } from '../coordination/coordinator.js';
import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { DbError } from '../errors/db-error.js';
import { validateCollection, validateExistingId, validateId } from '../model/keys.js';
import type { BlobStore } from '../storage/blob-store.js';
import type { ObjectStore } from '../storage/objects/object-store.js';
import { PageTokenCodec } from '../engine/page-token.js';
import type { TokenKeys } from '../tokens/token-keys.js';
import type { CallContext } from '../api/call-context.js';
import type {
  DownloadInput,
  DownloadItem,
  ListObjectsInput,
  ListObjectsResult,
  ObjectApi,
  ObjectMeta,
  StartedObjectUpload,
  UploadExpectations,
  UploadHeaderInput,
  UploadMessage,
  UploadProgress,
  UploadStatusInfo,
  UploadWriteMessage,
} from '../api/object-api.js';
import { runDownload } from './object-download.js';
import { runList } from './object-listing.js';
import { ObjectPointers, objectNotFound } from './object-pointers.js';
import { objectMetaOf } from './pointer-format.js';
import { runUpload, type UploadLimits } from './object-upload.js';
import { ObjectResumable, objectCommit, resumableDataKey, type RecordedObject } from './object-resumable.js';
import { DEFAULT_RESUMABLE_SETTINGS, type ResumableSettings } from './resumable/resumable-context.js';
import { ResumableUploads } from './resumable/resumable-uploads.js';
import type { SweepReport } from './resumable/upload-sweeper.js';
import { scanOrphansIfDue, type OrphanScanDeps, type OrphanScanReport } from './orphan-scan.js';
import { exclusiveRound, SWEEP_MUTEXES } from './sweep/sweep-mutex.js';
import { TrashMarker } from './trash-markers.js';
import { sweepTrash, type TrashSweepReport } from './trash-sweeper.js';

/** Limits of the object engine (the SB_OBJECT_* settings). */
export interface ObjectLimits extends UploadLimits {
  /** SB_OBJECT_DOWNLOAD_CHUNK_BYTES. */
  readonly downloadChunkBytes: number;
  /** SB_MAX_TRANSFERS: uploads and downloads served at once. */
  readonly maxTransfers: number;
}

/** The defaults of the settings table (5 GiB, 8 MiB parts, 4 MiB chunks, 1 MiB download items, 64 transfers). */
export const DEFAULT_OBJECT_LIMITS: ObjectLimits = {
  maxBytes: 5 * 1024 ** 3,
  partBytes: 8 * 1024 ** 2,
  chunkMaxBytes: 4 * 1024 ** 2,
  downloadChunkBytes: 1024 ** 2,
  maxTransfers: 64,
};

/** How long garbage waits (ADR 0013 §8). */
export interface GarbageSettings {
  /** SB_OBJECT_GRACE_MS: replaced and deleted data stays readable this long, in ms (default 15 min; 0: due at once). */
  readonly graceMs: number;
  /** SB_OBJECT_ORPHAN_MARGIN_MS: unreferenced data must be older than SB_UPLOAD_MAX_AGE_MS plus this to be an orphan (default 1 h). */
  readonly orphanMarginMs: number;
  /** SB_OBJECT_ORPHAN_SCAN_MS: a scan runs when the last one finished at least this long ago (default 24 h). */
  readonly orphanScanMs: number;
}

/** The defaults of the garbage settings. */
export const DEFAULT_GARBAGE_SETTINGS: GarbageSettings = { graceMs: 15 * 60_000, orphanMarginMs: 3_600_000, orphanScanMs: 86_400_000 };

/** What the engine is built from. */
export interface ObjectEngineOptions {
  /** The documents' BlobStore (pointers). */
  readonly store: BlobStore;
  /** The large-object store (data). */
  readonly objects: ObjectStore;
  readonly clock: Clock;
  /** The keys signing page tokens (the documents'). */
  readonly tokenKeys: TokenKeys;
  readonly limits?: Partial<ObjectLimits>;
  /** Pointer reads in flight per ListObjects page (default 16). */
  readonly listConcurrency?: number;
  /** Leases of resumable uploads' writers and the sweep mutex (default: in process). */
  readonly coordinator?: Coordinator;
  /** Who holds those leases (e.g. host and pid; default 'objects'). */
  readonly holder?: string;
  /** Resumable-upload settings: maxAgeMs (SB_UPLOAD_MAX_AGE_MS), leaseMs (SB_UPLOAD_LEASE_MS), busyWaitMs. */
  readonly resumable?: Partial<Pick<ResumableSettings, 'maxAgeMs' | 'leaseMs' | 'busyWaitMs'>>;
  /** Receives failures to delete garbage (data no pointer names, a trash marker): the key, left for a later sweep or scan. */
  readonly onCleanupError?: (err: unknown, key: string) => void;
  /** The grace period and the orphan scan's margin and interval. */
  readonly garbage?: Partial<GarbageSettings>;
  /** Crash-test failpoints (objects.after-trash-marker). */
  readonly failpoints?: Failpoints;
}

/** See the file comment. */
export class ObjectEngine implements ObjectApi {
  private readonly pointers: ObjectPointers;
  private readonly limits: ObjectLimits;
  private readonly tokens: PageTokenCodec;
  private readonly uploads: ResumableUploads<RecordedObject>;
  private readonly resumable: ObjectResumable;
  private readonly coordinator: Coordinator;
  private readonly garbage: GarbageSettings;
  private transfers = 0;

  constructor(private readonly o: ObjectEngineOptions) {
    this.garbage = { ...DEFAULT_GARBAGE_SETTINGS, ...o.garbage };
    const trash = new TrashMarker({
      blobs: o.store,
      clock: o.clock,
      graceMs: this.garbage.graceMs,
      failpoints: o.failpoints,
      onCleanupError: o.onCleanupError,
    });
    this.pointers = new ObjectPointers(o.store, o.clock, trash);
    this.coordinator = o.coordinator ?? new LocalCoordinator({ clock: o.clock });
    this.limits = { ...DEFAULT_OBJECT_LIMITS, ...o.limits };
    this.tokens = new PageTokenCodec(o.tokenKeys);
    const deps = { pointers: this.pointers, objects: o.objects, onCleanupError: o.onCleanupError };
    this.uploads = new ResumableUploads<RecordedObject>({
      objects: o.objects,
      blobs: o.store,
      coordinator: this.coordinator,
      commit: objectCommit(deps),
      holder: o.holder ?? 'objects',
      clock: o.clock,
      dataKey: resumableDataKey,
      settings: { ...o.resumable, partSize: this.limits.partBytes, maxBytes: this.limits.maxBytes },
    });
    this.resumable = new ObjectResumable({ ...deps, limits: this.limits, admit: () => this.admit() }, this.uploads);
  }

  /** Uploads and downloads in progress. */
  get activeTransfers(): number {
    return this.transfers;
  }

  async upload(ctx: CallContext, messages: AsyncIterable<UploadMessage>): Promise<ObjectMeta> {
    const release = this.admit();
    try {
      return await runUpload(
        { pointers: this.pointers, objects: this.o.objects, limits: this.limits, onCleanupError: this.o.onCleanupError },
        ctx,
        messages,
      );
    } finally {
      release();
    }
  }

  async *download(ctx: CallContext, input: DownloadInput): AsyncGenerator<DownloadItem, void, undefined> {
    const release = this.admit();
    try {
      yield* runDownload({ pointers: this.pointers, objects: this.o.objects, chunkBytes: this.limits.downloadChunkBytes }, ctx, input);
    } finally {
      release();
    }
  }

  async stat(ctx: CallContext, collection: string, id: string): Promise<ObjectMeta> {
    validateCollection(collection);
    validateId(id);
    const read = await this.pointers.read(collection, id, ctx.signal);
    if (read === undefined) throw objectNotFound(collection, id);
    return objectMetaOf(collection, id, read.etag, read.pointer);
  }

  async delete(ctx: CallContext, collection: string, id: string, etag?: string): Promise<boolean> {
    validateCollection(collection);
    validateExistingId(id);
    // The data stays for the grace period: remove() left a trash marker for it.
    const removed = await this.pointers.remove(collection, id, etag === '' ? undefined : etag, ctx.signal);
    return removed.deleted;
  }

  list(ctx: CallContext, input: ListObjectsInput): Promise<ListObjectsResult> {
    return runList(
      { store: this.o.store, pointers: this.pointers, tokens: this.tokens, concurrency: this.o.listConcurrency ?? 16 },
      ctx,
      input,
    );
  }

  startUpload(ctx: CallContext, header: UploadHeaderInput): Promise<StartedObjectUpload> {
    return this.resumable.start(ctx, header);
  }

  writeUpload(ctx: CallContext, messages: AsyncIterable<UploadWriteMessage>): Promise<UploadProgress> {
    return this.resumable.write(ctx, messages);
  }

  writeAt(ctx: CallContext, message: UploadWriteMessage): Promise<UploadProgress> {
    return this.resumable.writeAt(ctx, message);
  }

  uploadStatus(ctx: CallContext, uploadId: string): Promise<UploadStatusInfo> {
    return this.resumable.status(ctx, uploadId);
  }

  completeUpload(ctx: CallContext, uploadId: string, expected: UploadExpectations): Promise<ObjectMeta> {
    return this.resumable.complete(ctx, uploadId, expected);
  }

  abortUpload(ctx: CallContext, uploadId: string): Promise<void> {
    return this.resumable.abort(ctx, uploadId);
  }

  /** One abandoned-upload sweep round (every SB_UPLOAD_SWEEP_MS); undefined when another server runs it. */
  sweepUploads(signal?: AbortSignal): Promise<SweepReport | undefined> {
    return this.uploads.sweep(signal);
  }

  /** One trash sweep round (every SB_OBJECT_TRASH_SWEEP_MS): due markers' data deleted; undefined when another server runs it. */
  sweepTrash(signal?: AbortSignal): Promise<TrashSweepReport | undefined> {
    const deps = {
      blobs: this.o.store,
      objects: this.o.objects,
      readPointer: this.readPointer,
      clock: this.o.clock,
      onError: this.o.onCleanupError,
    };
    return exclusiveRound(this.coordinator, SWEEP_MUTEXES.trash, () => sweepTrash(deps, signal), signal);
  }

  /** An orphan data scan if one is due (SB_OBJECT_ORPHAN_SCAN_MS since the last); undefined when not due or another server runs it. */
  scanOrphans(signal?: AbortSignal): Promise<OrphanScanReport | undefined> {
    const deps: OrphanScanDeps = {
      blobs: this.o.store,
      objects: this.o.objects,
      readPointer: this.readPointer,
      clock: this.o.clock,
      minAgeMs: (this.o.resumable?.maxAgeMs ?? DEFAULT_RESUMABLE_SETTINGS.maxAgeMs) + this.garbage.orphanMarginMs,
    };
    return exclusiveRound(this.coordinator, SWEEP_MUTEXES.orphans, () => scanOrphansIfDue(deps, this.garbage.orphanScanMs, signal), signal);
  }

  private readonly readPointer = (collection: string, id: string, signal?: AbortSignal) => this.pointers.read(collection, id, signal);

  /** Takes a transfer slot (RESOURCE_EXHAUSTED SERVER_OVERLOADED when none is free); returns its release. */
  private admit(): () => void {
    if (this.transfers >= this.limits.maxTransfers) {
      throw new DbError(
        'resource_exhausted',
        'SERVER_OVERLOADED',
        `this server already serves ${this.limits.maxTransfers} object transfers`,
        {
          metadata: { limit: String(this.limits.maxTransfers) },
          retryDelayMs: 1000,
        },
      );
    }
    this.transfers++;
    let released = false;
    return () => {
      if (!released) this.transfers--;
      released = true;
    };
  }
}
