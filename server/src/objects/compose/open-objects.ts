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
 * lock mode: the pointer's conditional PUT is the only commit. Every server
 * runs the three sweeps (abandoned uploads, trash, orphan data), each round
 * under its own mutex.
 */
import type * as s3ObjectStore from '../../storage/s3/s3-object-store.js';
import type * as s3Store from '../../storage/s3/s3-store.js';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../common/clock.js';
import type { Config } from '../../config/settings.js';
import type { AppLogger } from '../../observability/logger.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { s3CaBundle } from '../../config/tls-files.js';
import { FilesystemObjectStore } from '../../storage/objects/filesystem/filesystem-object-store.js';
import { MemoryObjectStore } from '../../storage/objects/memory/memory-object-store.js';
import type { ObjectStore } from '../../storage/objects/object-store.js';
import type { TokenKeys } from '../../tokens/token-keys.js';
import { ObjectEngine } from '../object-engine.js';
import { SweepTimer } from '../sweep-timer.js';
import type { KeyringRef } from '../../storage/crypto/keyring.js';
import { EncryptingObjectStore } from '../../storage/crypto/encrypting-object-store.js';
import { CHUNK_BYTES } from '../../storage/crypto/sealed-chunks.js';
import type { Failpoints } from '../../common/failpoints.js';

/** The folder under SB_DATA_DIR that holds object data with filesystem storage. */
export const FS_OBJECTS_DIR = '.sb-objects';

/** Sockets of the object data client: enough for SB_MAX_TRANSFERS transfers and their deletes. */
const dataSockets = (config: Config): number => config.maxTransfers + 16;

type Closers = { name: string; close(): Promise<void> }[];

async function openData(config: Config, closers: Closers): Promise<ObjectStore> {
  if (config.storage === 'memory') return new MemoryObjectStore();
  if (config.storage === 'filesystem') return FilesystemObjectStore.open({ root: join(config.dataDir, FS_OBJECTS_DIR) });
  // Required here, not imported at the top: loading the AWS SDK is about a tenth of a server start's
  // CPU, wasted on memory or filesystem storage (a synchronous require, which jest's module registry serves too).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { S3BlobStore } = require('../../storage/s3/s3-store.js') as typeof s3Store;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { S3ObjectStore } = require('../../storage/s3/s3-object-store.js') as typeof s3ObjectStore;
  const client = new S3BlobStore({
    bucket: config.s3Bucket!,
    region: config.s3Region,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle,
    prefix: config.s3Prefix,
    caBundle: s3CaBundle(config),
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

/**
 * The data store as the engine sees it: sealing and opening object data when a
 * keyring is given. Parts of resumable uploads are sealed at their offset in
 * whole 64 KiB chunks, so the part size must be a multiple of 64 KiB.
 */
function sealedData(config: Config, stored: ObjectStore, keyring: KeyringRef | undefined): ObjectStore {
  if (keyring === undefined) return stored;
  if (config.objectPartBytes % CHUNK_BYTES !== 0)
    throw new Error(`SB_OBJECT_PART_BYTES (${config.objectPartBytes}) must be a multiple of ${CHUNK_BYTES} when encryption at rest is on`);
  return new EncryptingObjectStore(stored, { keyring, requireSealed: config.encryptionRequire === true });
}

/** The orphan scan's tick: it checks hourly (or at its interval when shorter) whether a scan is due. */
const ORPHAN_TICK_MS = 3_600_000;

/** The object engine, and what to close at shutdown (its data store, the sweep timers). */
export async function openObjects(
  config: Config,
  deps: {
    readonly store: BlobStore;
    readonly tokenKeys: TokenKeys;
    readonly log: AppLogger;
    readonly coordinator: Coordinator;
    readonly failpoints?: Failpoints;
    /** With encryption at rest on: object data is sealed in the chunked envelope (docs/adr/0016). */
    readonly keyring?: KeyringRef;
  },
  closers: Closers,
): Promise<ObjectEngine> {
  const stored = await openData(config, closers);
  closers.push({ name: 'object data store', close: () => stored.close() });
  const data = sealedData(config, stored, deps.keyring);
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
    onCleanupError: (err, key) => deps.log.warn({ err, key }, 'removing object garbage failed: left for a later sweep'),
    garbage: {
      graceMs: config.objectGraceMs,
      orphanMarginMs: config.objectOrphanMarginMs,
      orphanScanMs: config.objectOrphanScanMs,
    },
    failpoints: deps.failpoints,
  });
  // Every server ticks; each sweep's mutex lets one of them do each round (docs/streams.md, "Objects", "Resumable uploads").
  const timers = [
    new SweepTimer('upload sweep', (signal) => engine.sweepUploads(signal), config.uploadSweepMs, deps.log),
    new SweepTimer('trash sweep', (signal) => engine.sweepTrash(signal), config.objectTrashSweepMs, deps.log),
    new SweepTimer(
      'orphan scan',
      (signal) => engine.scanOrphans(signal),
      Math.min(config.objectOrphanScanMs, ORPHAN_TICK_MS),
      deps.log,
      () => true,
    ),
  ];
  for (const t of timers) {
    t.start();
    closers.push({ name: t.name, close: () => t.close() });
  }
  return engine;
}
