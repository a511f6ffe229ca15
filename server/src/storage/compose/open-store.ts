/**
 * Opens the object store the settings name, as the server composes it
 * (docs/storage-adapters.md): memory; filesystem; or S3 with its start-up
 * probe (conditional writes and read atomicity), read verification
 * (VerifiedReadsStore, docs/adr/0007), retries of transient failures
 * (RetryingBlobStore) and, when the endpoint's conditions cannot be trusted,
 * the coordination lock (LockedConditionsStore). What must be closed at
 * shutdown is pushed on `closers`. For S3 the storage request metrics are
 * counted in the adapter, once per request sent (request-meter.ts), except
 * the start-up probe's and the health probe's.
 */
import type * as s3Store from '../s3/s3-store.js';
import { s3MaxSockets } from '../../config/read-concurrency.js';
import type { Config } from '../../config/settings.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import { systemClock, systemRandom } from '../../common/clock.js';
import type { AppLogger } from '../../observability/logger.js';
import { registerConditionalWrites, singleCell } from '../../observability/metrics.js';
import type { Telemetry } from '../../observability/telemetry.js';
import { HEALTH_PROBE_KEY } from '../../format/bucket-layout.js';
import type { BlobStore } from '../blob-store.js';
import { FilesystemBlobStore } from '../filesystem/filesystem-store.js';
import { LockedConditionsStore } from '../locked-conditions.js';
import { MemoryBlobStore } from '../memory/memory-store.js';
import { probeConditionalWrites } from '../probe-conditional-writes.js';
import { decideReadVerification } from '../read-verification.js';
import { RequestMeter } from '../request-meter.js';
import { RetryingBlobStore } from '../retrying-store.js';
import { s3CaBundle } from '../../config/tls-files.js';
import { VerifiedReadsStore } from '../verified-reads.js';
import type { Closer } from '../../common/closer.js';

/** Something to close at shutdown (the server's one Closer shape). */
export type StoreCloser = Closer;

/** The store of `config.storage`, composed as the file comment says. */
export async function openStore(
  config: Config,
  coordinator: Coordinator,
  log: AppLogger,
  closers: StoreCloser[],
  telemetry: Telemetry,
): Promise<BlobStore> {
  if (config.storage === 'memory') {
    const store = new MemoryBlobStore();
    closers.push({ name: 'store', close: () => store.close() });
    return store;
  }
  if (config.storage === 'filesystem') {
    const store = await FilesystemBlobStore.open({ root: config.dataDir, listIndexEntries: config.fsListIndexEntries });
    closers.push({ name: 'store', close: () => store.close() });
    return store;
  }
  const meter = new RequestMeter(telemetry.metrics.storage, 's3');
  let counting = false; // from the end of the start-up probe on
  // Required here, not imported at the top: loading the AWS SDK is about a tenth of a server start's
  // CPU, wasted on memory or filesystem storage (a synchronous require, which jest's module registry serves too).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { S3BlobStore } = require('../s3/s3-store.js') as typeof s3Store;
  const s3 = new S3BlobStore({
    bucket: config.s3Bucket!,
    region: config.s3Region,
    endpoint: config.s3Endpoint,
    forcePathStyle: config.s3ForcePathStyle,
    prefix: config.s3Prefix,
    caBundle: s3CaBundle(config),
    timeoutMs: config.s3TimeoutMs,
    // Enough sockets for a few full read windows at once (docs/configuration.md, "Read windows").
    maxSockets: s3MaxSockets(config.batchConcurrency, config.queryConcurrency),
    // Retries are RetryingBlobStore's (below), on the injected clock: the SDK's own would multiply them.
    maxAttempts: 1,
    sse: { mode: config.s3Sse, kmsKeyId: config.s3SseKmsKeyId },
    onRequest: (op, outcome, seconds, key, signal) => {
      if (counting && key !== HEALTH_PROBE_KEY) meter.record(op, outcome, seconds, signal);
    },
  });
  closers.push({ name: 'store', close: () => s3.close() });
  if (config.s3CreateBucket) await s3.ensureBucket();
  let native = config.s3Conditional === 'native';
  // The probe also decides read verification (docs/adr/0007-reads-that-prove-their-version.md).
  const probe = config.s3Conditional === 'auto' || config.s3VerifyReads !== 'off' ? await probeConditionalWrites(s3) : undefined;
  counting = true;
  if (probe !== undefined) log.info({ native: probe.native, checks: probe.checks, detail: probe.detail }, 'conditional-write probe');
  if (probe !== undefined && config.s3Conditional === 'auto') {
    native = probe.native;
    if (!native && config.coordination === 'local') {
      log.warn(
        'the S3 endpoint does not enforce conditional writes and SB_COORDINATION=local: writes are safe only with a single replica; set SB_COORDINATION=redis for several',
      );
    }
  }
  log.info({ conditional: native ? 'native' : 'lock', coordination: config.coordination }, 's3 write conditions');
  registerConditionalWrites(telemetry.meter, {
    mode: native ? 'native' : 'lock',
    source: config.s3Conditional === 'auto' ? 'probe' : 'config',
    checks: probe?.checks ?? {},
  });
  const reads = decideReadVerification(config.s3VerifyReads, probe);
  log[reads.verify ? 'info' : 'warn']({ verify: reads.verify, proof: reads.proof, mode: config.s3VerifyReads }, 's3 read verification');
  const m = telemetry.metrics.storage;
  const counters = {
    mismatches: singleCell(m.readMismatches),
    giveUps: singleCell(m.readGiveUps),
    unverified: singleCell(m.readsUnverified),
  };
  const opts = { clock: systemClock, random: systemRandom, etagsAreMd5: reads.etagsAreMd5, counters };
  const verified = reads.verify ? new VerifiedReadsStore(s3, opts) : s3;
  // Transient failures (unavailable, throttled) get 3 attempts in all, never a failed condition; no retry starts past SB_S3_TIMEOUT_MS.
  const retrying = new RetryingBlobStore(verified, {
    clock: systemClock,
    random: systemRandom,
    maxAttempts: 3,
    budgetMs: config.s3TimeoutMs,
  });
  return native ? retrying : new LockedConditionsStore(retrying, coordinator, { clock: systemClock });
}
