/**
 * Builds ObjectService's engine for the configured backend (docs/streams.md,
 * "Objects"): pointers go through the documents' (wrapped) BlobStore, data
 * through an ObjectStore on the same backend: memory; filesystem under
 * `<SB_DATA_DIR>/.sb-objects` (the ObjectStore keeps its own temp and staging
 * folders, so it must not share the document store's root); S3 on the same
 * bucket and prefix, with an SDK client of its own so that long transfers
 * neither take the document reads' sockets nor die on their idle timeout (a
 * download waits for a slow reader up to SB_STREAM_STALL_TIMEOUT_MS).
 * Data keys are written once and unconditionally, so the data store needs no
 * lock mode: the pointer's conditional PUT is the only commit.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../common/clock.js';
import type { Config } from '../../config/settings.js';
import type { AppLogger } from '../../observability/logger.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { S3BlobStore } from '../../storage/s3/s3-store.js';
import { FilesystemObjectStore } from '../../storage/objects/filesystem/filesystem-object-store.js';
import { MemoryObjectStore } from '../../storage/objects/memory/memory-object-store.js';
import { S3ObjectStore } from '../../storage/objects/s3/s3-object-store.js';
import type { ObjectStore } from '../../storage/objects/object-store.js';
import type { TokenKeys } from '../../tokens/token-keys.js';
import { ObjectEngine } from '../object-engine.js';
import { UploadSweepTimer } from '../upload-sweep-timer.js';

/** The folder under SB_DATA_DIR that holds object data with filesystem storage. */
export const FS_OBJECTS_DIR = '.sb-objects';

/** Sockets of the object data client: enough for SB_MAX_TRANSFERS transfers and their deletes. */
const dataSockets = (config: Config): number => config.maxTransfers + 16;

type Closers = { name: string; close(): Promise<void> }[];

async function openData(config: Config, closers: Closers): Promise<ObjectStore> {
  if (config.storage === 'memory') return new MemoryObjectStore();
  if (config.storage === 'filesystem') return FilesystemObjectStore.open({ root: join(config.dataDir, FS_OBJECTS_DIR) });
  const client = new S3BlobStore({
    bucket: config.s3Bucket!,
    region: config.s3Region,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle,
    prefix: config.s3Prefix,
    timeoutMs: Math.max(config.s3TimeoutMs, config.streamStallTimeoutMs + 5_000),
    maxSockets: dataSockets(config),
    maxAttempts: 3,
  });
  closers.push({ name: 'object data S3 client', close: () => client.close() });
  return new S3ObjectStore({
    client: client.client,
    bucket: config.s3Bucket!,
    prefix: config.s3Prefix,
    timeoutMs: config.s3TimeoutMs,
    sse: { mode: config.s3Sse, kmsKeyId: config.s3SseKmsKeyId },
  });
}

/** The object engine, and what to close at shutdown (its data store, the upload sweep timer). */
export async function openObjects(
  config: Config,
  deps: { readonly store: BlobStore; readonly tokenKeys: TokenKeys; readonly log: AppLogger; readonly coordinator: Coordinator },
  closers: Closers,
): Promise<ObjectEngine> {
  const data = await openData(config, closers);
  closers.push({ name: 'object data store', close: () => data.close() });
  const engine = new ObjectEngine({
    store: deps.store,
    objects: data,
    clock: systemClock,
    tokenKeys: deps.tokenKeys,
    listConcurrency: config.batchConcurrency,
    limits: {
      maxBytes: config.objectMaxBytes,
      partBytes: config.objectPartBytes,
      chunkMaxBytes: config.objectChunkMaxBytes,
      downloadChunkBytes: config.objectDownloadChunkBytes,
      maxTransfers: config.maxTransfers,
    },
    coordinator: deps.coordinator,
    holder: `${hostname()}:${process.pid}`,
    resumable: { maxAgeMs: config.uploadMaxAgeMs, leaseMs: config.uploadLeaseMs },
    onCleanupError: (err, dataKey) => deps.log.warn({ err, dataKey }, 'removing object data failed: left as garbage'),
  });
  // Every server ticks; the sweep's mutex lets one of them do each round (docs/streams.md, "Resumable uploads").
  const sweeper = new UploadSweepTimer((signal) => engine.sweepUploads(signal), config.uploadSweepMs, deps.log);
  sweeper.start();
  closers.push({ name: 'upload sweep', close: () => sweeper.close() });
  return engine;
}
