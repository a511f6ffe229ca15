/**
 * The composition root: config → adapters (storage, coordination) →
 * DocumentEngine → servers → listen. Logs one `"msg":"listening"` line with
 * the bound ports, then a banner line for people (startup/banner.ts); on
 * SIGTERM/SIGINT drains calls, closes the store and the coordinator, and exits
 * 0. A config error prints one line and exits 2; a start-up failure prints one
 * line naming the setting to change (startup/explain-failure.ts) and exits 1.
 */
import { setMaxListeners } from 'node:events';
import { ConfigError } from './config/parse-value.js';
import { HelpShown, loadConfig } from './config/load-config.js';
import type { Config } from './config/settings.js';
import type { Coordinator } from './coordination/coordinator.js';
import { LocalCoordinator } from './coordination/local/local-coordinator.js';
import { RedisCoordinator } from './coordination/redis/redis-coordinator.js';
import { RedisGuard, redisBreaker } from './coordination/redis/redis-guard.js';
import { LocalIndexStore } from './index/local/local-index-store.js';
import { RedisIndexStore } from './index/redis/redis-index-store.js';
import { Failpoints } from './common/failpoints.js';
import { systemClock, systemRandom } from './common/clock.js';
import { BreakerGatedHealth } from './common/breaker-health.js';
import { HealthMonitor, type SubsystemHealth } from './common/health-monitor.js';
import { removeProtoAccessor } from './common/proto-accessor.js';
import { DocumentEngine } from './engine/document-engine.js';
import { DbError } from './errors/db-error.js';
import { RecoverySweeper } from './txn/recovery-sweeper.js';
import type { IndexStore } from './index/index-store.js';
import { IndexAdmin } from './index/index-admin.js';
import { DriftMonitor, type DriftMonitorOptions } from './index/index-drift-monitor.js';
import { loadCollectionsConfig, type CollectionsConfig } from './index/collections-file.js';
import { loadIndexHashKeyFile, setIndexHashKey } from './index/value-hash.js';
import { checkIndexHashKey, indexHashKeyFingerprint } from './index/index-hash-key-check.js';
import { openExpiry, startExpiry } from './ttl/compose/open-expiry.js';
import { IndexWriteHooks } from './index/write-hooks.js';
import { PendingSweeper } from './index/pending-sweeper.js';
import { QueryEngine } from './query/query-engine.js';
import { DurableEpochStore } from './locks/durable-epoch-store.js';
import { FenceChecker } from './locks/fence-checker.js';
import { LockManager } from './locks/lock-manager.js';
import { createLogger, resolveLogFormat, type AppLogger } from './observability/logger.js';
import { packageVersion } from './observability/build-info.js';
import { bannerLine } from './startup/banner.js';
import { explainBind } from './startup/explain-failure.js';
import { quietSdkNodeWarning } from './startup/node-support.js';
import { openCoordinatorRetrying, openStoreRetrying } from './startup/open-backends.js';
import { reportStartupFailure } from './startup/report-failure.js';
import {
  countCoordinationLosses,
  registerBackendHealth,
  registerBreakerState,
  registerIndexDrift,
  registerIndexesNotReady,
} from './observability/metrics.js';
import { Telemetry } from './observability/telemetry.js';
import { RpcServer } from './rpc/server/rpc-server.js';
import { routeGrpcLogs } from './rpc/grpc-logs.js';
import { openServerTls } from './rpc/tls/open-server-tls.js';
import { redisConnectionOf } from './config/tls-files.js';
import { keepByteOrderMarks } from './rpc/convert/text-encoding.js';
import type { BlobStore } from './storage/blob-store.js';
import { openEncryption } from './storage/compose/open-encryption.js';
import { InstrumentedBlobStore } from './storage/instrumented-store.js';
import { storageProbe } from './storage/probe-store.js';
import { DurableTokenKeys } from './tokens/durable-token-keys.js';
import { staticTokenKeys, type TokenKeys } from './tokens/token-keys.js';
import { openServerFeed } from './streams/compose/server-feed.js';
import { registerFeedGauges } from './observability/feed-metrics.js';
import { openObjects } from './objects/compose/open-objects.js';
import { alsoEndFollowers, openLogs } from './logs/compose/open-logs.js';
import { openSecurity } from './open-security.js';
import { MetricsGate } from './observability/metrics-gate.js';
import type { Closer } from './common/closer.js';

/**
 * With Redis coordination: one circuit breaker for the Redis server, shared by
 * the coordinator's and the index store's connections (docs/operations.md,
 * "Redis unreachable"), its state on /metrics and in the log.
 */
function openRedisGuard(config: Config, telemetry: Telemetry, log: AppLogger): RedisGuard | undefined {
  if (config.coordination !== 'redis') return undefined;
  const breaker = redisBreaker({
    failureThreshold: config.redisBreakerFailures,
    coolDownMs: config.redisBreakerCooldownMs,
    clock: systemClock,
    onStateChange: (state, previous, cause) =>
      log[state === 'open' ? 'error' : 'info'](
        { state, previous, backend: 'redis', ...(cause !== undefined ? { err: cause } : {}) },
        'redis circuit breaker state changed',
      ),
  });
  registerBreakerState(telemetry.meter, { redis: breaker });
  return new RedisGuard({ breaker, instruments: telemetry.metrics.redis, tracer: telemetry.tracer });
}

async function openCoordinator(config: Config, guard: RedisGuard | undefined): Promise<Coordinator> {
  if (config.coordination === 'redis')
    return RedisCoordinator.connect({ ...redisConnectionOf(config), grantReplicas: config.redisGrantReplicas, guard });
  return new LocalCoordinator({ clock: systemClock });
}

async function openIndexes(config: Config, guard: RedisGuard | undefined): Promise<IndexStore> {
  if (config.coordination === 'redis') return RedisIndexStore.connect({ ...redisConnectionOf(config), guard: guard?.forClient('indexes') });
  return new LocalIndexStore({ clock: systemClock });
}

async function openTokenKeys(config: Config, store: BlobStore, log: AppLogger, closers: Closer[]): Promise<TokenKeys> {
  if (config.pageTokenSecret !== undefined) return staticTokenKeys(config.pageTokenSecret);
  const keys = await DurableTokenKeys.open(
    {
      store,
      rotateAfterMs: config.tokenKeyRotationMs,
      overlapMs: config.tokenKeyOverlapMs,
      refreshMs: config.tokenKeyRefreshMs,
      log,
      clock: systemClock,
      random: systemRandom,
    },
    AbortSignal.timeout(60_000),
  );
  closers.push({ name: 'token keyring', close: async () => keys.close() });
  return keys;
}

/**
 * Redis coordination: detect losses of Redis's data through the epoch kept in
 * storage (coordination/redis/redis-epoch.ts), and log each one.
 */
async function trackLosses(config: Config, coordinator: Coordinator, store: BlobStore, log: AppLogger): Promise<void> {
  if (!(coordinator instanceof RedisCoordinator)) return;
  coordinator.onLoss((loss) => log.warn(loss, 'coordination loss detected: Redis lost its data; leases granted before are lost'));
  const epoch = await coordinator.trackEpoch({
    store: new DurableEpochStore(store),
    checkIntervalMs: config.redisLossCheckMs,
    onCheckError: (err) => log.warn({ err }, 'coordination epoch check failed'),
  });
  log.info({ epoch }, 'coordination epoch');
}

/** Starts the index drift monitor (index/index-drift-monitor.ts) unless SB_INDEX_DRIFT_INTERVAL_MS is 0. */
function startDriftMonitor(
  config: Config,
  parts: Pick<DriftMonitorOptions, 'indexes' | 'store' | 'coordinator' | 'log' | 'collections'>,
  telemetry: Telemetry,
  closers: Closer[],
): void {
  if (config.indexDriftIntervalMs === 0) return;
  const { indexDriftIntervalMs: intervalMs, indexDriftSample: sample, indexDriftRepairThreshold: repairThreshold } = config;
  const repairs = telemetry.metrics.index.driftRepairs;
  const monitor = new DriftMonitor({ ...parts, clock: systemClock, random: systemRandom, intervalMs, sample, repairThreshold, repairs });
  registerIndexDrift(telemetry.meter, monitor);
  monitor.start();
  closers.push({ name: 'index drift monitor', close: () => monitor.close() });
}

async function closeAll(closers: Closer[], log: AppLogger): Promise<void> {
  for (const c of closers.reverse()) {
    try {
      await c.close();
    } catch (err) {
      log.error({ err }, `closing ${c.name} failed`);
    }
  }
}

async function main(): Promise<void> {
  // Before any request is decoded: a "__proto__" key must reach the engine's check, not vanish.
  removeProtoAccessor();
  let loaded;
  try {
    loaded = loadConfig({ version: packageVersion() });
  } catch (e) {
    if (e instanceof HelpShown) return;
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  const { config, warnings } = loaded;
  // Strings must arrive as sent: protobuf-es would drop a leading U+FEFF (rpc/convert/text-encoding.ts).
  keepByteOrderMarks();
  // One call's AbortSignal is shared by its parallel storage requests (a Commit of 100 writes, a BatchGet).
  setMaxListeners(1024);
  const logFormat = resolveLogFormat(config.logFormat, process.stdout.isTTY === true);
  const log = createLogger(config.logLevel, { format: logFormat });
  quietSdkNodeWarning(); // the README's Node.js support policy says what the SDK's warning would
  routeGrpcLogs(log); // grpc-js's own error lines would break the one-line start-up failures
  for (const w of warnings) log.warn(w);
  // Test-only fault injection (docs/transactions.md, crash tests); never set in production.
  const failpoints = Failpoints.fromSpec(process.env.SB_FAILPOINTS);
  if (process.env.SB_FAILPOINTS) {
    log.warn({ failpoints: process.env.SB_FAILPOINTS }, 'failpoints armed');
  }

  const closers: Closer[] = [];
  let shuttingDown = false;
  let server: RpcServer | undefined;
  let endWatches: (() => void) | undefined;
  const stop = async (reason: string, code: number): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ reason, graceMs: config.shutdownGraceMs }, 'shutting down');
    try {
      endWatches?.(); // watches never end by themselves: end them now (clients resume elsewhere)
      await server?.shutdown(config.shutdownGraceMs);
    } catch (err) {
      log.error({ err }, 'server shutdown failed');
    }
    await closeAll(closers, log);
    log.info('stopped');
    process.exit(code);
  };
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    void stop('unhandledRejection', 1);
  });
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    void stop('uncaughtException', 1);
  });
  process.once('SIGTERM', () => void stop('SIGTERM', 0));
  process.once('SIGINT', () => void stop('SIGINT', 0));

  try {
    const metricsGate = new MetricsGate(config.auth === 'on' && config.authMetrics === 'authenticated'); // opened by openAuth below
    const telemetry = await Telemetry.start({
      metrics: config.metrics ? { host: config.host, port: config.metricsPort, gate: metricsGate } : undefined,
      otlpEndpoint: config.otlpEndpoint,
      buildAttributes: { storage: config.storage, coordination: config.coordination },
    });
    closers.push({ name: 'telemetry', close: () => telemetry.shutdown() });
    if (telemetry.metricsError !== undefined)
      log.warn({ err: telemetry.metricsError, metricsPort: config.metricsPort }, 'metrics endpoint could not be bound: metrics are off');
    const redisGuard = openRedisGuard(config, telemetry, log);
    const coordinator = await openCoordinatorRetrying(config, log, () => openCoordinator(config, redisGuard));
    closers.push({ name: 'coordinator', close: () => coordinator.close() });
    const backend = await openStoreRetrying(config, coordinator, log, closers, telemetry);
    // Encryption at rest (docs/adr/0016): the outermost store layer, so everything below sees stored bytes.
    const encryption = await openEncryption(config, backend);
    if (encryption.summary !== undefined) log.info(encryption.summary, 'encryption at rest on');
    if (encryption.reload !== undefined) {
      const reload = encryption.reload;
      process.on('SIGHUP', () => {
        reload().then(
          (ring) => log.info(ring, 'encryption keyring reloaded'),
          (err: unknown) => log.error({ err }, 'encryption keyring reload failed: the previous keyring stays'),
        );
      });
    }
    // Health per backend subsystem (docs/observability.md): probes bypass the storage metrics.
    const backends = new HealthMonitor({
      probes: { storage: storageProbe(backend), coordination: (signal) => coordinator.ping(signal) },
      intervalMs: config.healthProbeIntervalMs,
      onProbeError: (subsystem, err) => log.warn({ err, subsystem }, 'health probe failed'),
    });
    closers.push({ name: 'health probes', close: () => backends.close() });
    // An open Redis breaker makes coordination NOT_SERVING at once, before the probes notice.
    const health: SubsystemHealth = redisGuard ? new BreakerGatedHealth(backends, { coordination: redisGuard.breaker }) : backends;
    health.subscribe((subsystem, up) => log[up ? 'info' : 'error']({ subsystem, up }, 'backend health changed'));
    registerBackendHealth(telemetry.meter, health);
    const store = new InstrumentedBlobStore(encryption.store, {
      backend: config.storage,
      instruments: telemetry.metrics.storage,
      tracer: telemetry.tracer,
      // The S3 adapter counts its own requests (one call here may be HEAD + PUT, or retried).
      requests: config.storage !== 's3',
    });
    countCoordinationLosses(coordinator, telemetry.metrics.coordination);
    await trackLosses(config, coordinator, store, log);
    // Hashed index values (docs/security.md, "Indexes"): the key is in place before any index is read or written.
    if (config.indexHashKeyFile !== undefined) {
      const key = await loadIndexHashKeyFile(config.indexHashKeyFile);
      const outcome = await checkIndexHashKey(store, key, config.indexHashKeyReplace, AbortSignal.timeout(60_000));
      log.info({ outcome, fingerprint: indexHashKeyFingerprint(key) }, 'index hash key checked against the store');
      setIndexHashKey(key);
    }
    const indexes = await openIndexes(config, redisGuard);
    closers.push({ name: 'indexes', close: () => indexes.close() });
    // Tokens must verify on every replica and survive restarts of any server and of Redis: a
    // configured secret, else the keyring kept in storage (tokens/durable-token-keys.ts).
    const tokenKeys = await openTokenKeys(config, store, log, closers);
    // The durable index definitions' keeper: restores what the index store loses (docs/operations.md "Redis lost").
    const admin = new IndexAdmin({
      indexes,
      store,
      log,
      clock: systemClock,
      coordinator,
      instruments: telemetry.metrics.index,
      definitionsRefreshMs: config.indexDefinitionsRefreshMs,
      build: { concurrency: config.indexBuildConcurrency },
    });
    registerIndexesNotReady(telemetry.meter, admin);
    const indexHooks = new IndexWriteHooks(indexes, { log, expected: admin, applyFailures: telemetry.metrics.index.applyFailures });
    // The change feed (docs/streams.md): in process, or in the coordinator's Redis (not Redis Cluster: no StreamService then).
    const feed = await openServerFeed(config, {
      store,
      ...(encryption.keyring === undefined ? {} : { keyring: encryption.keyring }), // the feed's bodies are sealed too (ADR 0016)
      ...(config.coordination === 'redis'
        ? {
            redis: {
              connection: redisConnectionOf(config),
              guard: redisGuard?.forClient('feed'),
              onLoss: (settle: () => void) => void coordinator.onLoss(() => settle()),
            },
          }
        : {}),
      inner: indexHooks,
      log,
      failpoints,
      // Called only once the engine below exists (by writes and sweeps).
      finishTransaction: (txid, signal): Promise<unknown> => engine.recoverTransaction(txid, signal),
      // Watch's initial snapshots list through the engine (docs/streams.md).
      snapshots: { list: (ctx, input) => engine.list(ctx, input), batchGet: (ctx, c, ids) => engine.batchGet(ctx, c, ids) },
    });
    if (feed !== undefined) {
      closers.push({ name: 'change feed', close: () => feed.close() });
      endWatches = () => feed.streams.close();
      registerFeedGauges(telemetry.meter, feed);
    }
    // Read before the engine: its default TTLs are the engine's; its indexes are applied below.
    const declared: CollectionsConfig | undefined =
      config.collectionsFile === undefined ? undefined : await loadCollectionsConfig(config.collectionsFile);
    // Document expiry (docs/streams.md): an in-process schedule, or with Redis one shared by every server.
    const expiry = await openExpiry(config, {
      store,
      log,
      meter: telemetry.meter,
      defaultTtlMs: declared?.defaultTtlMs,
      ...(redisGuard === undefined ? {} : { redis: { ...redisConnectionOf(config), guard: redisGuard.forClient('expiry') } }),
    });
    closers.push({ name: 'expiry', close: () => expiry.close() });
    const engine: DocumentEngine = new DocumentEngine({
      store,
      coordinator,
      clock: systemClock,
      random: systemRandom,
      failpoints,
      txnTimeoutMs: config.txnTimeoutMs,
      txnCleanupMaxQueued: config.txnCleanupMaxQueued,
      log,
      maxDocumentBytes: config.maxDocumentBytes,
      batchConcurrency: config.batchConcurrency,
      maxBatchWriteItems: config.maxBatchWriteItems,
      tokenKeys,
      hooks: feed?.hooks ?? indexHooks,
      fences: new FenceChecker(coordinator),
      expiry,
    });
    // Closed before the store and coordinator (closers run last opened first): pending cleanups finish first.
    closers.push({
      name: 'transaction cleanup',
      close: async () => {
        const drained = await engine.drainTransactionCleanup(config.txnCleanupDrainMs);
        if (drained.abandoned > 0) log.warn({ ...drained }, 'transaction cleanups left to recovery');
      },
    });
    const locks = new LockManager({ coordinator, clock: systemClock, random: systemRandom, instruments: telemetry.metrics.locks });
    const query = new QueryEngine({
      store,
      indexes,
      reader: engine.reader,
      fetchConcurrency: config.queryConcurrency,
      maxSortBuffer: config.queryMaxSortDocuments,
      tokenKeys,
      expected: admin,
      expiry: engine.expiry,
    });
    const logs = await openLogs(config, { store, coordinator, log, failpoints, logRetention: declared?.logRetention }, closers);
    endWatches = alsoEndFollowers(endWatches, logs);
    const sweeper = new RecoverySweeper((signal) => engine.recoverTransactions(signal), config.txnSweepIntervalMs, log);
    closers.push({ name: 'transaction recovery', close: () => sweeper.close() });
    const recovered = await sweeper.start();
    if (recovered !== undefined && recovered.live > 0)
      log.info({ live: recovered.live }, 'transactions in flight on other servers left to their owners');
    await feed?.start(); // after transaction recovery: what a crash left is resolved from storage
    await startExpiry(expiry, (collection, id, signal) => engine.purgeExpired(collection, id, signal), log);
    closers.push({ name: 'index builds', close: () => admin.close() });
    const restored = await admin.restore({ signal: AbortSignal.timeout(60_000) });
    if (restored.length > 0) log.info({ indexes: restored.map((i) => `${i.collection}.${i.name}:${i.state}`) }, 'indexes restored');
    admin.startReconciling(config.indexReconcileMs);
    startDriftMonitor(config, { indexes, store, coordinator, log, collections: () => admin.collectionsWithIndexes() }, telemetry, closers);
    // Writes whose server died between storage and index apply are repaired by any server (docs/adr/0008).
    const pendingSweeper = new PendingSweeper({
      indexes,
      store,
      collections: () => admin.collectionsWithIndexes(),
      thresholdMs: config.indexPendingAfterMs,
      intervalMs: config.indexPendingSweepMs,
      repairs: telemetry.metrics.index.repairs,
      log,
    });
    pendingSweeper.start();
    closers.push({ name: 'pending index sweeper', close: () => pendingSweeper.close() });
    // A detected Redis loss restores the index definitions at once, not at the next interval.
    coordinator.onLoss(() => admin.refreshDefinitions());
    if (declared !== undefined) {
      await admin.ensureIndexes(declared.indexes, { signal: AbortSignal.timeout(60_000) });
      log.info(
        { file: config.collectionsFile, indexes: declared.indexes.length, defaultTtls: declared.defaultTtlMs.size },
        'collections file applied',
      );
    }
    const objects = await openObjects(config, { store, tokenKeys, log, coordinator, failpoints, keyring: encryption.keyring }, closers); // ObjectService (docs/streams.md, "Objects")
    const tls = openServerTls(config, log);
    if (tls !== undefined) closers.push({ name: 'TLS certificate watcher', close: async () => tls.close() });
    const security = await openSecurity(
      config,
      { store, log, logs, ...(config.coordination === 'redis' ? { redis: redisConnectionOf(config) } : {}) },
      closers,
    );
    if (security !== undefined) metricsGate.set(security.metricsAllowed);
    server = new RpcServer({
      tls,
      ...security?.rpc,
      api: engine,
      objects,
      query,
      admin,
      ...(encryption.rotation !== undefined ? { keyRotation: encryption.rotation } : {}),
      locks,
      logs,
      ...(feed === undefined ? {} : { streams: feed.streams }),
      host: config.host,
      grpcPort: config.grpcPort,
      httpPort: config.httpPort,
      maxMessageBytes: config.maxMessageBytes,
      maxDocumentBytes: config.maxDocumentBytes,
      // Backend failures (their cause holds the S3 / Redis text clients never see) are warnings; anything else is a bug.
      logInternal: (err) =>
        err instanceof DbError ? log.warn({ err }, 'backend failure in a call') : log.error({ err }, 'unexpected error in a call'),
      logTransportError: (err, procedure) => log.warn({ err, procedure }, 'writing a response failed'),
      telemetry: { instruments: telemetry.metrics.rpc, tracer: telemetry.tracer },
      corsOrigins: (config.corsOrigins ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== ''),
      limits: {
        streamStallTimeoutMs: config.streamStallTimeoutMs,
        maxConcurrentStreams: config.maxConcurrentStreams,
        maxCallsInFlight: config.maxCallsInFlight,
        maxHoldsPerConnection: config.maxHoldsPerConnection,
        idleConnectionTimeoutMs: config.idleConnectionTimeoutMs,
        headersTimeoutMs: config.headersTimeoutMs,
        keepaliveTimeMs: config.keepaliveTimeMs,
        keepaliveTimeoutMs: config.keepaliveTimeoutMs,
        decodeOffloadBytes: config.decodeOffloadBytes,
        decodeWorkers: config.decodeWorkers,
        decodeMaxQueued: config.decodeMaxQueued,
      },
      backends: health,
    });
    const ports = await server.start().catch((err: unknown) => {
      throw explainBind(err, config);
    });
    backends.start();
    const tlsMode: 'off' | 'on' | 'mtls' = tls === undefined ? 'off' : tls.requestClientCertificate ? 'mtls' : 'on';
    log.info(
      {
        grpcPort: ports.grpcPort,
        httpPort: ports.httpPort,
        metricsPort: telemetry.metricsPort ?? null,
        tracing: telemetry.tracing,
        host: config.host,
        tls: tlsMode,
        storage: config.storage,
        coordination: config.coordination,
      },
      'listening',
    );
    const facts = { version: packageVersion(), node: process.version, ...ports, metricsPort: telemetry.metricsPort ?? null, tls: tlsMode };
    log.info({ version: facts.version, node: facts.node }, bannerLine(config, facts));
  } catch (err) {
    reportStartupFailure(err, log, logFormat);
    await closeAll(closers, log);
    process.exit(1);
  }
}

void main();
