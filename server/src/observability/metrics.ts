/**
 * The metric catalogue: every instrument SmarterBase exports, its name,
 * unit, attributes and buckets, in one place. Built on @opentelemetry/api
 * only (no SDK), so any layer may record into it; observability/telemetry.ts
 * supplies the Meter. Prometheus names replace dots with underscores and add
 * `_total` to counters (`smarterbase.rpc.server.calls` →
 * `smarterbase_rpc_server_calls_total`). docs/observability.md mirrors this file.
 */
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import { CellCounter, type CounterCell } from './cell-counter.js';

/** Instrument names, as OpenTelemetry names them. */
export const METRIC_NAMES = {
  rpcCalls: 'smarterbase.rpc.server.calls',
  rpcDuration: 'smarterbase.rpc.server.duration.seconds',
  rpcActive: 'smarterbase.rpc.server.active_calls',
  rpcStorageRequests: 'smarterbase.rpc.server.storage_requests',
  storageOps: 'smarterbase.storage.operations',
  storageCalls: 'smarterbase.storage.calls',
  storageDuration: 'smarterbase.storage.duration.seconds',
  storageReadMismatches: 'smarterbase.storage.read_mismatches',
  storageReadGiveUps: 'smarterbase.storage.read_give_ups',
  storageReadsUnverified: 'smarterbase.storage.reads_unverified',
  conditionalNative: 'smarterbase.s3.conditional.native',
  conditionalCheck: 'smarterbase.s3.conditional.check',
  buildInfo: 'smarterbase.build.info',
  backendUp: 'smarterbase.backend.up',
  redisCommands: 'smarterbase.redis.commands',
  redisBreakerState: 'smarterbase.redis.breaker.state',
  redisBreakerRejected: 'smarterbase.redis.breaker.rejected',
  indexApplyFailures: 'smarterbase.index.apply_failures',
  indexRestores: 'smarterbase.index.restores',
  indexRebuildDocuments: 'smarterbase.index.rebuild_documents',
  indexRepairs: 'smarterbase.index.repairs',
  indexesNotReady: 'smarterbase.indexes_not_ready',
  indexDrift: 'smarterbase.index.drift',
  indexDriftRepairs: 'smarterbase.index.drift_repairs',
  lockGrants: 'smarterbase.lock.grants',
  lockLosses: 'smarterbase.lock.losses',
  coordinationLosses: 'smarterbase.coordination.losses',
  feedWatchers: 'smarterbase.feed.watchers',
  feedPending: 'smarterbase.feed.pending_revisions',
  ttlPurges: 'smarterbase.ttl.purges',
} as const;

/** Buckets of RPC durations, in seconds: 0.5 ms to 30 s. */
export const RPC_DURATION_BUCKETS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Buckets of storage operation durations, in seconds: 0.1 ms to 10 s (memory and filesystem are sub-millisecond). */
export const STORAGE_DURATION_BUCKETS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
];

/** Which server answered a call: the grpc-js port or the connect-node (HTTP) port. */
export type RpcTransport = 'grpc' | 'connect';

/** BlobStore operations that are measured. */
export type StorageOp = 'get' | 'head' | 'put' | 'delete' | 'list';

/** How a storage operation ended: ConditionFailedError is `condition_failed`, any other throw `error`. */
export type StorageOutcome = 'ok' | 'condition_failed' | 'error';

/** The instruments the RPC edge records into. */
export interface RpcInstruments {
  /** Finished calls; attributes rpc.system, rpc.service, rpc.method, rpc.grpc.status_code, transport. */
  readonly calls: CellCounter;
  /** Duration of finished calls in seconds (same attributes as calls). */
  readonly duration: Histogram;
  /** Calls being served; attributes rpc.service, rpc.method, transport. */
  readonly active: CellCounter;
  /**
   * Storage backend requests made by finished calls before they answered
   * (common/call-tally.ts); attributes rpc.service, rpc.method, transport.
   * Divided by the calls, the requests one call of a method costs.
   */
  readonly storageRequests: CellCounter;
}

/** The instruments storage wrappers record into. */
export interface StorageInstruments {
  /**
   * Finished requests to the storage backend, counted where they are sent (the
   * S3 adapter, once per HTTP request: a lock-mode HEAD + PUT is 2, each retry
   * attempt is 1; for memory and filesystem one per BlobStore call); attributes op, outcome, backend.
   */
  readonly operations: CellCounter;
  /** Duration of those requests in seconds (same attributes). */
  readonly duration: Histogram;
  /** Finished BlobStore calls as the engine makes them (before locks, retries and verification); attributes op, outcome, backend. */
  readonly calls: CellCounter;
  /** Reads whose etag the body did not prove, each re-read (storage/verified-reads.ts; no attributes). */
  readonly readMismatches: CellCounter;
  /** Reads that failed STORAGE_INCONSISTENT after their re-reads (no attributes). */
  readonly readGiveUps: CellCounter;
  /** Verified-store reads that carried no proof (no MD5 ETag, no digest: objects written before the digest) (no attributes). */
  readonly readsUnverified: CellCounter;
}

/** How a Redis command ended: answered, answered with an error reply (e.g. a Lua error), or failed (timeout, connection). */
export type RedisOutcome = 'ok' | 'reply_error' | 'failed';

/** The instruments the Redis adapters (coordination/redis, index/redis) record into. */
export interface RedisInstruments {
  /** Redis commands sent, by client (coordination, indexes), op and outcome. */
  readonly commands: CellCounter;
  /** Calls the circuit breaker refused without a round trip, by client and backend. */
  readonly rejected: CellCounter;
}

/** The instruments the index part (write hooks, IndexAdmin, builds) records into; attributes collection and index only (operator-defined names). */
export interface IndexInstruments {
  /** Index applies that failed after the document was durably written; attribute collection. */
  readonly applyFailures: CellCounter;
  /** Index definitions a reconcile restored to an index store that lacked them (no attributes). */
  readonly restores: CellCounter;
  /** Documents scanned by index builds; attributes collection, index. */
  readonly rebuildDocuments: CellCounter;
  /** Documents the drift monitor repaired; attribute collection. */
  readonly driftRepairs: CellCounter;
  /** Pending index records whose repair changed the index (index/pending-sweeper.ts); attribute collection. */
  readonly repairs: CellCounter;
}

/** Why a held lease was found lost: `not_current` (expired, taken over, or Redis lost its data), `unreachable` (no renewal answered before it expired). */
export type LockLossReason = 'not_current' | 'unreachable';

/** The instruments the lock service records into. */
export interface LockInstruments {
  /** Leases granted by acquire and hold (no attributes: lock names are client-defined). */
  readonly grants: CellCounter;
  /** Leases found lost on renewal; attribute reason (LockLossReason). */
  readonly losses: CellCounter;
}

/** The instruments of the coordination backend as a whole. */
export interface CoordinationInstruments {
  /** Losses of the coordination data detected (Coordinator.onLoss: Redis came back empty). */
  readonly losses: CellCounter;
}

/** Every recording instrument of the catalogue. */
export interface Metrics {
  readonly rpc: RpcInstruments;
  readonly storage: StorageInstruments;
  readonly redis: RedisInstruments;
  readonly index: IndexInstruments;
  readonly locks: LockInstruments;
  readonly coordination: CoordinationInstruments;
}

/**
 * Creates the catalogue's recording instruments on `meter`. Counters are
 * CellCounters (observable, cheap per event); histograms are SDK histograms.
 * Call once per meter.
 */
export function createMetrics(meter: Meter): Metrics {
  return {
    rpc: {
      calls: new CellCounter(meter, METRIC_NAMES.rpcCalls, {
        description: 'RPCs finished, by service, method, gRPC status code and transport.',
      }),
      duration: meter.createHistogram(METRIC_NAMES.rpcDuration, {
        description: 'RPC duration in seconds, from the handler being called to its last message or error.',
        unit: 's',
        advice: { explicitBucketBoundaries: [...RPC_DURATION_BUCKETS] },
      }),
      active: new CellCounter(meter, METRIC_NAMES.rpcActive, {
        description: 'RPCs being served now, by service, method and transport.',
        upDown: true,
      }),
      storageRequests: new CellCounter(meter, METRIC_NAMES.rpcStorageRequests, {
        description: 'Storage backend requests made by finished RPCs before they answered, by service, method and transport.',
      }),
    },
    storage: {
      operations: new CellCounter(meter, METRIC_NAMES.storageOps, {
        description: 'Requests sent to the storage backend and finished (each S3 request, retries included), by op, outcome and backend.',
      }),
      calls: new CellCounter(meter, METRIC_NAMES.storageCalls, {
        description: 'Storage calls the engine made and that finished, by op, outcome and backend (one call may be several requests).',
      }),
      duration: meter.createHistogram(METRIC_NAMES.storageDuration, {
        description: 'Storage backend request duration in seconds, by op, outcome and backend.',
        unit: 's',
        advice: { explicitBucketBoundaries: [...STORAGE_DURATION_BUCKETS] },
      }),
      readMismatches: new CellCounter(meter, METRIC_NAMES.storageReadMismatches, {
        description: 'Object reads whose body did not prove the etag it came with (torn read of a non-atomic store); each was re-read.',
      }),
      readGiveUps: new CellCounter(meter, METRIC_NAMES.storageReadGiveUps, {
        description: 'Object reads that failed UNAVAILABLE / STORAGE_INCONSISTENT after every re-read was torn.',
      }),
      readsUnverified: new CellCounter(meter, METRIC_NAMES.storageReadsUnverified, {
        description: 'Object reads of the verifying store that carried no proof (neither an MD5 ETag nor the sb-md5 digest).',
      }),
    },
    redis: {
      commands: new CellCounter(meter, METRIC_NAMES.redisCommands, {
        description: 'Redis commands sent, by client (coordination, indexes), op and outcome (ok, reply_error, failed).',
      }),
      rejected: new CellCounter(meter, METRIC_NAMES.redisBreakerRejected, {
        description: 'Redis calls the open circuit breaker refused at once (UNAVAILABLE, no round trip), by client and backend.',
      }),
    },
    index: {
      applyFailures: new CellCounter(meter, METRIC_NAMES.indexApplyFailures, {
        description:
          'Index updates that failed after the document write was durable (indexed queries may miss it until rewritten or rebuilt), by collection.',
      }),
      restores: new CellCounter(meter, METRIC_NAMES.indexRestores, {
        description: 'Index definitions restored from object storage to an index store that lacked them (e.g. Redis restarted empty).',
      }),
      rebuildDocuments: new CellCounter(meter, METRIC_NAMES.indexRebuildDocuments, {
        description: 'Documents scanned by index builds on this server, by collection and index.',
      }),
      driftRepairs: new CellCounter(meter, METRIC_NAMES.indexDriftRepairs, {
        description: 'Documents whose index entries the drift monitor repaired after a sample found them missing or stale, by collection.',
      }),
      repairs: new CellCounter(meter, METRIC_NAMES.indexRepairs, {
        description:
          'Writes left pending in the index (the writer died or its apply failed) that the pending sweeper re-applied from storage, by collection.',
      }),
    },
    locks: {
      grants: new CellCounter(meter, METRIC_NAMES.lockGrants, { description: 'Lock leases granted (Acquire and Hold).' }),
      losses: new CellCounter(meter, METRIC_NAMES.lockLosses, {
        description:
          'Lock leases found lost on renewal, by reason (not_current: expired, taken over or lost with Redis data; unreachable).',
      }),
    },
    coordination: {
      losses: new CellCounter(meter, METRIC_NAMES.coordinationLosses, {
        description: 'Losses of the coordination data detected (Redis came back without it); leases granted before are void.',
      }),
    },
  };
}

/** The one cell of a counter without attributes. */
export function singleCell(counter: CellCounter): CounterCell {
  return counter.cell('', {});
}

/** Something that reports coordination losses (a Coordinator). */
export interface LossSource {
  /** Calls `listener` on each detected loss; returns the unsubscribe function. */
  onLoss(listener: () => void): () => void;
}

/** Counts every loss `source` reports into `instruments.losses`; returns the unsubscribe function. */
export function countCoordinationLosses(source: LossSource, instruments: CoordinationInstruments): () => void {
  const cell = singleCell(instruments.losses);
  return source.onLoss(() => cell.add());
}

/** What the not-ready gauge reads (index/index-admin.ts IndexAdmin). */
export interface NotReadyIndexesView {
  /** Indexes in state BUILDING by collection, as this server last saw them. */
  notReadyIndexes(): ReadonlyMap<string, number>;
}

/** Registers `smarterbase.indexes_not_ready`: indexes BUILDING per collection (attribute collection). */
export function registerIndexesNotReady(meter: Meter, view: NotReadyIndexesView): void {
  meter
    .createObservableGauge(METRIC_NAMES.indexesNotReady, {
      description: 'Indexes not READY (BUILDING: being built or waiting for a build) per collection, as this server last saw them.',
    })
    .addCallback((r) => {
      for (const [collection, n] of view.notReadyIndexes()) r.observe(n, { collection });
    });
}

/** What the drift gauge reads (index/index-drift-monitor.ts DriftMonitor). */
export interface IndexDriftView {
  /** The last drift sample's missing and stale entries by collection. */
  lastDrift(): ReadonlyMap<string, { readonly missing: number; readonly stale: number }>;
}

/** Registers `smarterbase.index.drift`: the last drift sample's faults per collection (attributes collection, kind = missing | stale). */
export function registerIndexDrift(meter: Meter, view: IndexDriftView): void {
  meter
    .createObservableGauge(METRIC_NAMES.indexDrift, {
      description: 'Index entries the last drift sample found missing or stale, by collection and kind (missing, stale).',
    })
    .addCallback((r) => {
      for (const [collection, d] of view.lastDrift()) {
        r.observe(d.missing, { collection, kind: 'missing' });
        r.observe(d.stale, { collection, kind: 'stale' });
      }
    });
}

/** What the server knows about S3 conditional writes once storage is open. */
export interface ConditionalWritesState {
  /** The mode in use: the endpoint's own conditions, or the coordination lock. */
  readonly mode: 'native' | 'lock';
  /** Where the mode came from: the start-up probe, or SB_S3_CONDITIONAL=native|lock. */
  readonly source: 'probe' | 'config';
  /** The probe's checks by name (true = passed); empty when no probe ran. */
  readonly checks: Readonly<Record<string, boolean>>;
}

/**
 * Registers `smarterbase.s3.conditional.native` (1 when the mode in use is
 * native, else 0; attributes mode, source) and `smarterbase.s3.conditional.check`
 * (1/0 per probe check; attribute check, mode). Call once, with S3 storage only.
 */
export function registerConditionalWrites(meter: Meter, state: ConditionalWritesState): void {
  const native = meter.createObservableGauge(METRIC_NAMES.conditionalNative, {
    description:
      'S3 conditional writes: 1 when the endpoint enforces them itself (mode native), 0 when a coordination lock does (mode lock).',
  });
  native.addCallback((r) => r.observe(state.mode === 'native' ? 1 : 0, { mode: state.mode, source: state.source }));
  const check = meter.createObservableGauge(METRIC_NAMES.conditionalCheck, {
    description: 'Result of each start-up conditional-write probe check: 1 passed, 0 failed.',
  });
  check.addCallback((r) => {
    for (const [name, passed] of Object.entries(state.checks)) r.observe(passed ? 1 : 0, { check: name, mode: state.mode });
  });
}

/** Registers `smarterbase.build.info`: always 1, with the build's version, Node.js version and storage backend as attributes. */
export function registerBuildInfo(meter: Meter, info: Attributes): void {
  meter
    .createObservableGauge(METRIC_NAMES.buildInfo, { description: 'Always 1; the attributes describe the running build.' })
    .addCallback((r) => r.observe(1, info));
}

/** What the backend-health gauge reads (common/health-monitor.ts HealthMonitor). */
export interface BackendHealthView {
  /** The watched subsystems, e.g. storage, coordination. */
  readonly subsystems: readonly string[];
  /** True while the subsystem's backend answers its probe. */
  isUp(subsystem: string): boolean;
}

/**
 * Registers `smarterbase.backend.up`: 1 while the subsystem's backend answers
 * its health probe, 0 while it is unreachable; attribute subsystem
 * (storage, coordination). The health service reports the same state.
 */
export function registerBackendHealth(meter: Meter, health: BackendHealthView): void {
  meter
    .createObservableGauge(METRIC_NAMES.backendUp, {
      description: 'Backend reachability by subsystem (storage, coordination): 1 up, 0 unreachable, as the health probe last saw it.',
    })
    .addCallback((r) => {
      for (const subsystem of health.subsystems) r.observe(health.isUp(subsystem) ? 1 : 0, { subsystem });
    });
}

/** The breaker state gauge's values: 0 closed, 1 half-open, 2 open. */
export const BREAKER_STATE_VALUES = { closed: 0, 'half-open': 1, open: 2 } as const;

/** What the breaker gauge reads (common/circuit-breaker.ts CircuitBreaker). */
export interface BreakerView {
  /** The breaker's state now. */
  readonly state: keyof typeof BREAKER_STATE_VALUES;
}

/**
 * Registers `smarterbase.redis.breaker.state`: 0 closed, 1 half-open (a probe
 * may go through), 2 open (calls fail fast); attribute backend (e.g. redis).
 */
export function registerBreakerState(meter: Meter, breakers: Readonly<Record<string, BreakerView>>): void {
  meter
    .createObservableGauge(METRIC_NAMES.redisBreakerState, {
      description: 'Circuit breaker state per backend: 0 closed, 1 half-open, 2 open (calls fail fast without a round trip).',
    })
    .addCallback((r) => {
      for (const [backend, b] of Object.entries(breakers)) r.observe(BREAKER_STATE_VALUES[b.state], { backend });
    });
}
