/**
 * The table of every setting: its Config key (also its YAML key), its
 * environment variable, its CLI flag, how its value is parsed and its
 * default. docs/configuration.md mirrors this table.
 */
import { defaultReadWindow } from './read-concurrency.js';

/** How a setting's text is parsed. */
export type SettingKind =
  | { readonly type: 'port' }
  | { readonly type: 'int'; readonly min: number; readonly max: number }
  | { readonly type: 'enum'; readonly choices: readonly string[] }
  | { readonly type: 'string' }
  | { readonly type: 'bool' };

/** One setting. */
export interface Setting {
  /** The Config key and the YAML file key (camelCase). */
  readonly key: keyof Config;
  /** The environment variable. */
  readonly env: string;
  /** The CLI flag, with its leading dashes. */
  readonly flag: string;
  readonly kind: SettingKind;
  /** The default; undefined = unset (or derivedDefault when given). */
  readonly default?: string | number | boolean;
  /** A default computed at load time from the machine, when `default` is undefined: how the docs say it, and the value. */
  readonly derivedDefault?: { readonly text: string; readonly value: () => number };
  /** One line for --help and the docs. */
  readonly description: string;
}

/** Storage backends. */
export type StorageKind = 'filesystem' | 'memory' | 's3';
/** How S3 conditional writes are enforced: probe, trust the endpoint, or lock around them. */
export type S3ConditionalMode = 'auto' | 'native' | 'lock';
/** Whether S3 reads are verified (storage/verified-reads.ts): where the store offers a proof, always, or never. */
export type S3VerifyReadsMode = 'auto' | 'on' | 'off';
/** Whether a TLS port with a client CA requires a client certificate or also accepts calls without one. */
export type TlsClientAuth = 'require' | 'optional';
/** Coordination backends. */
export type CoordinationKind = 'local' | 'redis';
/** Whether calls are authenticated (docs/adr/0015). */
export type AuthMode = 'off' | 'on';
/** Whether an auxiliary endpoint (reflection, metrics) needs a caller when auth is on. */
export type AuthGate = 'open' | 'authenticated';
/** How log lines are written: pretty when stdout is a terminal, else JSON (auto), or always one of them. */
export type LogFormat = 'auto' | 'json' | 'pretty';
/** pino log levels. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The server's configuration: parsed, validated and frozen. */
export interface Config {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly host: string;
  /** PEM certificate (chain allowed) both ports serve TLS with; unset = plaintext (docs/security.md, "TLS"). */
  readonly tlsCertFile?: string;
  /** PEM private key of tlsCertFile. */
  readonly tlsKeyFile?: string;
  /** PEM CA bundle that client certificates must chain to (mTLS); unset = no client certificates asked. */
  readonly tlsClientCaFile?: string;
  /** With tlsClientCaFile: 'require' a verified client certificate (the default then), or accept none ('optional'). */
  readonly tlsClientAuth?: TlsClientAuth;
  /** How often the certificate files are checked for a new pair, in ms. */
  readonly tlsReloadMs: number;
  /** Allow plaintext on a non-loopback host (TLS terminated by a sidecar or mesh); logged as a warning. */
  readonly allowPlaintext: boolean;
  readonly storage: StorageKind;
  readonly dataDir: string;
  /** Directory entry names the filesystem store's listing index keeps in memory; 0 turns it off. */
  readonly fsListIndexEntries: number;
  readonly s3Endpoint?: string;
  readonly s3Bucket?: string;
  readonly s3Region?: string;
  readonly s3Prefix?: string;
  readonly s3ForcePathStyle: boolean;
  readonly s3CreateBucket: boolean;
  readonly s3Conditional: S3ConditionalMode;
  /** PEM CA bundle that an https S3 endpoint's certificate must chain to, besides the system CAs. */
  readonly s3CaFile?: string;
  /** Whether every S3 get must prove its etag with its body (docs/adr/0007-reads-that-prove-their-version.md). */
  readonly s3VerifyReads: S3VerifyReadsMode;
  /** Server-side limit of one S3 attempt, in ms; no retry starts after it (storage/retrying-store.ts). */
  readonly s3TimeoutMs: number;
  /** Server-side encryption asked of S3 on every object write (docs/adr/0016); unset = none. */
  readonly s3Sse?: 'AES256' | 'aws:kms';
  /** The KMS key of SSE-KMS (with s3Sse 'aws:kms'); unset = the bucket's default key. */
  readonly s3SseKmsKeyId?: string;
  /** JSON keyring of encryption at rest (docs/adr/0016); unset = bodies stored in clear. */
  readonly encryptionKeyringFile?: string;
  /** Refuse clear bodies under the encrypted prefixes (DECRYPTION_FAILED): for stores fully encrypted by RotateKeys. */
  readonly encryptionRequire: boolean;
  /** Key file (32+ bytes, raw or base64) of hashed equality-index values (index/value-hash.ts); unset = hashValues indexes refused. */
  readonly indexHashKeyFile?: string;
  /** Let this start replace the stored fingerprint of the index hash key (index/index-hash-key-check.ts). */
  readonly indexHashKeyReplace: boolean;
  readonly coordination: CoordinationKind;
  readonly redisUrl?: string;
  /** Redis is a Redis Cluster: redisUrl lists seed nodes separated by commas. */
  readonly redisCluster: boolean;
  /** PEM CA bundle that a rediss:// server's certificate must chain to, besides the system CAs. */
  readonly redisCaFile?: string;
  /** PEM client certificate presented to a rediss:// server that asks for one. */
  readonly redisCertFile?: string;
  /** PEM private key of redisCertFile. */
  readonly redisKeyFile?: string;
  /** Replicas that must acknowledge a lease grant (WAIT) before it is returned; 0 = no WAIT. */
  readonly redisGrantReplicas: number;
  /** Server-side limit of one Redis command, and of connecting to Redis, in ms. */
  readonly redisTimeoutMs: number;
  /** How often each server checks Redis's epoch marker for a loss of its data (besides every reconnect), in ms. */
  readonly redisLossCheckMs: number;
  /** Consecutive failed Redis commands (timeouts, lost connections) that open the circuit breaker. */
  readonly redisBreakerFailures: number;
  /** How long the open Redis breaker fails calls fast before one probe command goes through, in ms. */
  readonly redisBreakerCooldownMs: number;
  /** How often storage and coordination are probed for the health service, in ms. */
  readonly healthProbeIntervalMs: number;
  /** Largest encoded document, in bytes. */
  readonly maxDocumentBytes: number;
  /** Largest gRPC / Connect message received or sent, in bytes. */
  readonly maxMessageBytes: number;
  /** Parallel blob reads of BatchGet and List, and parallel items of BatchWrite, BatchDelete and BatchExists. */
  readonly batchConcurrency: number;
  /** The most items of one BatchWrite or BatchDelete. */
  readonly maxBatchWriteItems: number;
  /** A fixed HMAC secret of page and resume tokens, instead of the durable keyring in storage. */
  readonly pageTokenSecret?: string;
  /** How often the durable token key rotates, in ms; 0 = never. */
  readonly tokenKeyRotationMs: number;
  /** How long tokens of a replaced token key keep working, in ms. */
  readonly tokenKeyOverlapMs: number;
  /** How often each server reloads the token keyring, in ms. */
  readonly tokenKeyRefreshMs: number;
  /** How long shutdown lets in-flight calls finish, in ms. */
  readonly shutdownGraceMs: number;
  /** How long a server stream waits for a client that reads nothing before it is reset, in ms. */
  readonly streamStallTimeoutMs: number;
  /** Most concurrent calls (HTTP/2 streams) on one connection. */
  readonly maxConcurrentStreams: number;
  /** Most calls being served at once by this server, both ports together (health checks aside). */
  readonly maxCallsInFlight: number;
  /** Most LockService.Hold streams open on one connection. */
  readonly maxHoldsPerConnection: number;
  /** A connection with no call for this long is closed, in ms. */
  readonly idleConnectionTimeoutMs: number;
  /** How long a new connection may take to send its first request headers, in ms. */
  readonly headersTimeoutMs: number;
  /** Comma-separated origins allowed to call the HTTP port from a browser ('*' = any); unset = none. */
  readonly corsOrigins?: string;
  /** Interval of the server's keepalive pings on idle HTTP/2 connections, in ms. */
  readonly keepaliveTimeMs: number;
  /** How long a keepalive ping may go unanswered before the connection is closed, in ms. */
  readonly keepaliveTimeoutMs: number;
  /** Request messages larger than this many bytes are decoded in a worker thread; 0 = all on the event loop. */
  readonly decodeOffloadBytes: number;
  /** Worker threads that decode large requests. */
  readonly decodeWorkers: number;
  /** Large requests that may wait for a decode worker. */
  readonly decodeMaxQueued: number;
  readonly logLevel: LogLevel;
  /** auto: human-readable lines on a terminal, JSON lines otherwise; json or pretty: always that. */
  readonly logFormat: LogFormat;
  /** How long start-up keeps retrying an unreachable S3 or Redis before it fails, in ms; 0 = fail at once. */
  readonly startupRetryMs: number;
  /** Largest object ObjectService stores, in bytes. */
  readonly objectMaxBytes: number;
  /** Part size of object uploads (and their single-PUT threshold), in bytes. */
  readonly objectPartBytes: number;
  /** Largest data message of an Upload, in bytes. */
  readonly objectChunkMaxBytes: number;
  /** Most bytes per Download data message. */
  readonly objectDownloadChunkBytes: number;
  /** Uploads and downloads one server serves at once. */
  readonly maxTransfers: number;
  /** Age after which an unfinished resumable upload is aborted, in ms. */
  readonly uploadMaxAgeMs: number;
  /** Lease of a resumable upload's writer, in ms. */
  readonly uploadLeaseMs: number;
  /** How often every server runs the abandoned-upload sweep, in ms. */
  readonly uploadSweepMs: number;
  /** How long replaced and deleted object data stays readable before the trash sweep deletes it, in ms. */
  readonly objectGraceMs: number;
  /** How often every server runs the trash sweep, in ms. */
  readonly objectTrashSweepMs: number;
  /** How long after the last orphan data scan the next one runs, in ms. */
  readonly objectOrphanScanMs: number;
  /** Age beyond SB_UPLOAD_MAX_AGE_MS before unreferenced data counts as an orphan, in ms. */
  readonly objectOrphanMarginMs: number;
  /** Authentication and authorisation of calls (docs/security.md): off, or on (every call but Health needs a principal). */
  readonly auth: AuthMode;
  /** The access cache's staleness bound, in ms: a revoked key or changed role is seen by every server within it. */
  readonly authCacheMs: number;
  /** With auth on: whether gRPC reflection needs a caller. */
  readonly authReflection: AuthGate;
  /** With auth on: whether /metrics needs a caller. */
  readonly authMetrics: AuthGate;
  /** File holding the first admin key (sbk_…), stored hashed at start-up when its id is unknown; unset = none. */
  readonly authBootstrapKeyFile?: string;
  /** With auth on: a JWKS file of an identity provider whose JWTs are accepted as bearer tokens (docs/security.md, "JWT"); unset = API keys only. */
  readonly authJwksFile?: string;
  /** Required `iss` of accepted JWTs; unset = unchecked. */
  readonly authJwtIssuer?: string;
  /** Required `aud` of accepted JWTs; unset = unchecked. */
  readonly authJwtAudience?: string;
  /** The JWT claim naming the principal. */
  readonly authJwtPrincipalClaim: string;
  /** A JWT claim listing role names, added to the principal's stored roles; unset = none. */
  readonly authJwtRolesClaim?: string;
  /** With auth on: a SmarterBase log that audit records are also appended to (docs/security.md, "Audit"); unset = log lines only. */
  readonly auditLog?: string;
  /** Serve Prometheus metrics on metricsPort. */
  readonly metrics: boolean;
  /** Port of the Prometheus /metrics endpoint; 0 picks a free port. */
  readonly metricsPort: number;
  /** OTLP/HTTP base URL that spans are exported to; unset = tracing off. */
  readonly otlpEndpoint?: string;
  /** Path of the YAML collections file declaring indexes, loaded at start-up; unset = none. */
  readonly collectionsFile?: string;
  /** Parallel document fetches of one query (QueryService.Query). */
  readonly queryConcurrency: number;
  /** The most documents one query sorts in memory (no ordered index for its order_by). */
  readonly queryMaxSortDocuments: number;
  /** A transaction's time limit, in ms: its mutex lease and intent expiry (docs/transactions.md). */
  readonly txnTimeoutMs: number;
  /** How often the server reconciles the index store with the durable index definitions, in ms (docs/operations.md). */
  readonly indexReconcileMs: number;
  /** Age from which a pending index record is repaired, in ms (index/pending-sweeper.ts, docs/adr/0008). */
  readonly indexPendingAfterMs: number;
  /** Pause between sweeps of pending index records, in ms. */
  readonly indexPendingSweepMs: number;
  /** How often the reconcile reads the durable index definitions from storage again, in ms (docs/operations.md). */
  readonly indexDefinitionsRefreshMs: number;
  /** Documents an index build fetches and applies at once. */
  readonly indexBuildConcurrency: number;
  /** How often the server looks for transactions of dead servers to finish, in ms. */
  readonly txnSweepIntervalMs: number;
  /** The most Commit cleanups (intent delete, request record) pending after their answers; 0: before the answer (docs/adr/0011). */
  readonly txnCleanupMaxQueued: number;
  /** How long shutdown waits for pending Commit cleanups, in ms; the rest is left to recovery. */
  readonly txnCleanupDrainMs: number;
  /** How often the index drift monitor samples each collection with indexes, in ms; 0 turns it off. */
  readonly indexDriftIntervalMs: number;
  /** Documents (and index entries) the drift monitor samples per collection per run. */
  readonly indexDriftSample: number;
  /** Faults a drift sample must exceed before the monitor repairs them (0: repair any). */
  readonly indexDriftRepairThreshold: number;
  /** Calls per second per authenticated principal across the servers, 0 = unlimited (docs/security.md, "Limits"). */
  readonly rateLimitPerSec: number;
  /** A principal's bucket size, 0 = twice rateLimitPerSec. */
  readonly rateLimitBurst: number;
  /** Streaming calls per principal on one server, 0 = unlimited. */
  readonly maxStreamsPerPrincipal: number;
  /** Where the embedded change feed keeps its journal; unset: `<dataDir>/.feed` with filesystem storage, memory otherwise (docs/streams.md). */
  readonly feedDir?: string;
  /** Released feed events kept per collection (the oldest are dropped beyond it). */
  readonly feedRetainCount: number;
  /** How long released feed events are kept, in ms. */
  readonly feedRetainMs: number;
  /** Age from which the feed sweeper resolves a revision its writer did not, in ms. */
  readonly feedPendingAfterMs: number;
  /** How often the feed sweeper looks for such revisions, in ms. */
  readonly feedSweepMs: number;
  /** Watches one server serves at once. */
  readonly maxWatchers: number;
  /** How often the expiry purger takes due documents, in ms (docs/streams.md, "Document expiry (TTL)"). */
  readonly ttlSweepMs: number;
  /** How long a server's claim on due expiries lasts in the shared schedule, in ms (Redis coordination). */
  readonly ttlClaimMs: number;
  /** SB_TTL_REBUILD_SETTLE_MS: with Redis, how long a lost schedule waits before it is rebuilt from storage. */
  readonly ttlRebuildSettleMs: number;
  /** Most lines one log chunk (one batch of appends) holds. */
  readonly logBatchMaxLines: number;
  /** Most line bytes one log chunk holds. */
  readonly logBatchMaxBytes: number;
  /** Longest appended log line in bytes; unset = maxDocumentBytes. */
  readonly logMaxLineBytes?: number;
  /** How long an append's request id is remembered, in ms. */
  readonly logRequestIdWindowMs: number;
  /** How often a log follower at the tail looks for lines appended through other servers, in ms. */
  readonly logFollowPollMs: number;
  /** Roll a log's chunks into a segment once they hold this many bytes (also a segment's size cap). */
  readonly logSegmentBytes: number;
  /** Roll a log's chunks into a segment once the oldest is this old, in ms. */
  readonly logSegmentMaxAgeMs: number;
  /** Default retention of a log by age, in ms (unset: forever; the collections file's logs.<name>.retainFor overrides). */
  readonly logRetainMs?: number;
  /** Default retention of a log by segment bytes (unset: no limit; logs.<name>.retainBytes overrides). */
  readonly logRetainBytes?: number;
}

const MiB = 1024 * 1024;

/** The read windows' default: 16 per available CPU, 32 at least, 256 at most (config/read-concurrency.ts says why). */
const READ_WINDOW_DEFAULT = { text: '16 × CPUs, 32–256', value: () => defaultReadWindow() } as const;

/** Every setting, in documentation order (one row per setting: a table, kept as one; Prettier leaves it). */
// prettier-ignore
export const SETTINGS: readonly Setting[] = [
  { key: 'grpcPort', env: 'SB_GRPC_PORT', flag: '--grpc-port', kind: { type: 'port' }, default: 50051, description: 'gRPC port (grpc-js: DocumentService, Health, Reflection); 0 picks a free port.' },
  { key: 'httpPort', env: 'SB_HTTP_PORT', flag: '--http-port', kind: { type: 'port' }, default: 8080, description: 'HTTP port (Connect JSON/binary and gRPC-Web over HTTP/1.1, gRPC over h2c); 0 picks a free port.' },
  { key: 'host', env: 'SB_HOST', flag: '--host', kind: { type: 'string' }, default: '127.0.0.1', description: 'Interface both ports bind to (0.0.0.0 for all).' },
  { key: 'tlsCertFile', env: 'SB_TLS_CERT_FILE', flag: '--tls-cert-file', kind: { type: 'string' }, description: 'PEM certificate (a chain allowed) that both ports serve TLS with; with SB_TLS_KEY_FILE. Reloaded without a restart when the files change. Unset: plaintext.' },
  { key: 'tlsKeyFile', env: 'SB_TLS_KEY_FILE', flag: '--tls-key-file', kind: { type: 'string' }, description: 'PEM private key of SB_TLS_CERT_FILE.' },
  { key: 'tlsClientCaFile', env: 'SB_TLS_CLIENT_CA_FILE', flag: '--tls-client-ca-file', kind: { type: 'string' }, description: 'PEM CA bundle that client certificates must chain to (mTLS on both ports); needs SB_TLS_CERT_FILE. Unset: no client certificate is asked for.' },
  { key: 'tlsClientAuth', env: 'SB_TLS_CLIENT_AUTH', flag: '--tls-client-auth', kind: { type: 'enum', choices: ['require', 'optional'] }, description: 'With SB_TLS_CLIENT_CA_FILE: require (the default then) refuses connections without a verified client certificate; optional also accepts connections without one (callers with API keys), but still refuses a certificate that does not verify.' },
  { key: 'tlsReloadMs', env: 'SB_TLS_RELOAD_MS', flag: '--tls-reload-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 5000, description: 'How often the TLS certificate, key and client CA files are read for a change, in ms; a new pair that does not load is logged and the old one kept.' },
  { key: 'allowPlaintext', env: 'SB_ALLOW_PLAINTEXT', flag: '--allow-plaintext', kind: { type: 'bool' }, default: false, description: 'Allow plaintext ports on a non-loopback SB_HOST (a sidecar or mesh terminates TLS); logged as a warning. Without it such a start-up is refused.' },
  { key: 'storage', env: 'SB_STORAGE', flag: '--storage', kind: { type: 'enum', choices: ['filesystem', 'memory', 's3'] }, default: 'filesystem', description: 'Where documents live.' },
  { key: 'dataDir', env: 'SB_DATA_DIR', flag: '--data-dir', kind: { type: 'string' }, default: './data', description: 'Root directory of filesystem storage.' },
  { key: 'fsListIndexEntries', env: 'SB_FS_LIST_INDEX_ENTRIES', flag: '--fs-list-index-entries', kind: { type: 'int', min: 0, max: 100_000_000 }, default: 2_000_000, description: 'Directory entry names the filesystem store keeps sorted in memory for listing (~100 bytes each); a directory with more is read and sorted from disk for every List page; 0 turns the index off.' },
  { key: 's3Endpoint', env: 'SB_S3_ENDPOINT', flag: '--s3-endpoint', kind: { type: 'string' }, description: 'S3-compatible endpoint URL (unset = AWS).' },
  { key: 's3Bucket', env: 'SB_S3_BUCKET', flag: '--s3-bucket', kind: { type: 'string' }, description: 'Bucket; required when storage is s3.' },
  { key: 's3Region', env: 'SB_S3_REGION', flag: '--s3-region', kind: { type: 'string' }, description: 'Region (unset = the SDK default chain, else us-east-1).' },
  { key: 's3Prefix', env: 'SB_S3_PREFIX', flag: '--s3-prefix', kind: { type: 'string' }, description: 'Key prefix inside the bucket.' },
  { key: 's3ForcePathStyle', env: 'SB_S3_FORCE_PATH_STYLE', flag: '--s3-force-path-style', kind: { type: 'bool' }, default: false, description: 'Path-style URLs (MinIO, gofakes3).' },
  { key: 's3CreateBucket', env: 'SB_S3_CREATE_BUCKET', flag: '--s3-create-bucket', kind: { type: 'bool' }, default: false, description: 'Create the bucket at start-up when missing.' },
  { key: 's3Conditional', env: 'SB_S3_CONDITIONAL', flag: '--s3-conditional', kind: { type: 'enum', choices: ['auto', 'native', 'lock'] }, default: 'auto', description: 'auto: probe the endpoint at start-up; native: trust its If-Match/If-None-Match; lock: wrap writes in a coordination lock.' },
  { key: 's3CaFile', env: 'SB_S3_CA_FILE', flag: '--s3-ca-file', kind: { type: 'string' }, description: 'PEM CA bundle trusted for an https SB_S3_ENDPOINT, besides the system CAs (a private CA).' },
  { key: 's3VerifyReads', env: 'SB_S3_VERIFY_READS', flag: '--s3-verify-reads', kind: { type: 'enum', choices: ['auto', 'on', 'off'] }, default: 'auto', description: 'auto: every S3 read proves its etag with md5(body) when the start-up probe finds MD5 ETags or the sb-md5 metadata digest; on: the same, and start-up fails when it finds neither; off: reads are not verified (refused at start-up when the probe finds non-atomic reads).' },
  { key: 's3TimeoutMs', env: 'SB_S3_TIMEOUT_MS', flag: '--s3-timeout-ms', kind: { type: 'int', min: 100, max: 600_000 }, default: 10000, description: 'Server-side limit of one S3 attempt, in ms; an attempt unanswered by then fails UNAVAILABLE, and no retry of a call starts after this much time.' },
  { key: 's3Sse', env: 'SB_S3_SSE', flag: '--s3-sse', kind: { type: 'enum', choices: ['AES256', 'aws:kms'] }, description: 'Server-side encryption S3 applies to every object SmarterBase writes (documents and object data: PutObject, CreateMultipartUpload, CopyObject): AES256 (SSE-S3) or aws:kms (SSE-KMS); unset = the bucket default. An alternative, or an addition, to SB_ENCRYPTION_KEYRING_FILE (docs/security.md).' },
  { key: 's3SseKmsKeyId', env: 'SB_S3_SSE_KMS_KEY_ID', flag: '--s3-sse-kms-key-id', kind: { type: 'string' }, description: 'With SB_S3_SSE=aws:kms: the KMS key id or ARN; unset = the account\'s default aws/s3 key.' },
  { key: 'encryptionKeyringFile', env: 'SB_ENCRYPTION_KEYRING_FILE', flag: '--encryption-keyring-file', kind: { type: 'string' }, description: 'JSON keyring {"primary":"<id>","keys":{"<id>":"<base64 of 32 bytes>",…}} of encryption at rest: document bodies, transaction intents and log chunks/segments are stored AES-256-GCM-sealed under a fresh data key wrapped by the primary key, and the change feed seals the document data it keeps in Redis or its journal (docs/security.md). Read at start-up and on SIGHUP. Unset = stored in clear.' },
  { key: 'encryptionRequire', env: 'SB_ENCRYPTION_REQUIRE', flag: '--encryption-require', kind: { type: 'bool' }, default: false, description: 'With SB_ENCRYPTION_KEYRING_FILE: a document, intent or log object stored in clear is refused (DATA_LOSS / DECRYPTION_FAILED) instead of read as a legacy body, so nobody who can write to the bucket can plant clear documents. Turn it on once RotateKeys has sealed every body (failed 0).' },
  { key: 'indexHashKeyFile', env: 'SB_INDEX_HASH_KEY_FILE', flag: '--index-hash-key-file', kind: { type: 'string' }, description: 'Key of hashed index values: a file of 32+ random bytes, raw or base64 text (openssl rand -base64 32 > key). Equality/unique indexes created with hashValues store HMAC-SHA-256 of their values under it, so Redis holds no such value in clear (docs/security.md, "Indexes"). Read at start-up. Unset = CreateIndex with hashValues answers FAILED_PRECONDITION and existing hashed indexes are unusable. Every server of a store must use the same key: the store keeps its fingerprint (_meta/index-hash-key) and a server with another key refuses to start. A new key: SB_INDEX_HASH_KEY_REPLACE=true once, then RebuildIndexes of every hashed index.' },
  { key: 'indexHashKeyReplace', env: 'SB_INDEX_HASH_KEY_REPLACE', flag: '--index-hash-key-replace', kind: { type: 'bool' }, default: false, description: 'Let this start replace the stored fingerprint of the index hash key with its own key (changing keys on purpose); RebuildIndexes of every hashed index must follow. Without it, a server whose SB_INDEX_HASH_KEY_FILE is not the key the store records refuses to start.' },
  { key: 'coordination', env: 'SB_COORDINATION', flag: '--coordination', kind: { type: 'enum', choices: ['local', 'redis'] }, default: 'local', description: 'local: in-process (one replica); redis: shared by all replicas.' },
  { key: 'redisUrl', env: 'SB_REDIS_URL', flag: '--redis-url', kind: { type: 'string' }, description: 'Redis URL; required when coordination is redis.' },
  { key: 'redisCluster', env: 'SB_REDIS_CLUSTER', flag: '--redis-cluster', kind: { type: 'bool' }, default: false, description: 'Redis is a Redis Cluster: SB_REDIS_URL lists one or more seed nodes separated by commas; every script touches one slot and the epoch marker is kept per slot.' },
  { key: 'redisCaFile', env: 'SB_REDIS_CA_FILE', flag: '--redis-ca-file', kind: { type: 'string' }, description: 'PEM CA bundle trusted for a rediss:// SB_REDIS_URL, besides the system CAs; applies to every Redis connection.' },
  { key: 'redisCertFile', env: 'SB_REDIS_CERT_FILE', flag: '--redis-cert-file', kind: { type: 'string' }, description: 'PEM client certificate for a rediss:// server that requires one (tls-auth-clients); with SB_REDIS_KEY_FILE.' },
  { key: 'redisKeyFile', env: 'SB_REDIS_KEY_FILE', flag: '--redis-key-file', kind: { type: 'string' }, description: 'PEM private key of SB_REDIS_CERT_FILE.' },
  { key: 'redisGrantReplicas', env: 'SB_REDIS_GRANT_REPLICAS', flag: '--redis-grant-replicas', kind: { type: 'int', min: 0, max: 16 }, default: 0, description: 'Replicas that must acknowledge a lease grant, and a mutex grant (S3 lock mode, transactions), (Redis WAIT, up to half of SB_REDIS_TIMEOUT_MS) before it is returned; fewer → the grant is given back and Acquire (or the write) fails UNAVAILABLE. 1 with one replica per master: a failover keeps every token handed out and no stale lock-mode etag memo. 0: no WAIT.' },
  { key: 'redisTimeoutMs', env: 'SB_REDIS_TIMEOUT_MS', flag: '--redis-timeout-ms', kind: { type: 'int', min: 50, max: 600_000 }, default: 2000, description: 'Server-side limit of one Redis command and of connecting to Redis, in ms; a command unanswered by then fails UNAVAILABLE.' },
  { key: 'redisLossCheckMs', env: 'SB_REDIS_LOSS_CHECK_MS', flag: '--redis-loss-check-ms', kind: { type: 'int', min: 100, max: 600_000 }, default: 2000, description: 'How often each server checks the Redis epoch marker for a loss of Redis data (besides every reconnect), in ms; a loss ends every lease and moves fencing tokens to a new epoch.' },
  { key: 'redisBreakerFailures', env: 'SB_REDIS_BREAKER_FAILURES', flag: '--redis-breaker-failures', kind: { type: 'int', min: 1, max: 10_000 }, default: 5, description: 'Consecutive failed Redis commands (timeouts, lost connections; not error replies) that open the circuit breaker; while open, Redis calls fail UNAVAILABLE at once.' },
  { key: 'redisBreakerCooldownMs', env: 'SB_REDIS_BREAKER_COOLDOWN_MS', flag: '--redis-breaker-cooldown-ms', kind: { type: 'int', min: 10, max: 600_000 }, default: 1000, description: 'How long the open Redis circuit breaker fails calls fast before one probe command goes through (its success closes the breaker), in ms.' },
  { key: 'healthProbeIntervalMs', env: 'SB_HEALTH_PROBE_INTERVAL_MS', flag: '--health-probe-interval-ms', kind: { type: 'int', min: 100, max: 600_000 }, default: 5000, description: 'How often storage and coordination are probed for the health service (smarterbase.storage, smarterbase.coordination), in ms.' },
  { key: 'maxDocumentBytes', env: 'SB_MAX_DOCUMENT_BYTES', flag: '--max-document-bytes', kind: { type: 'int', min: 1, max: 64 * MiB }, default: MiB, description: 'Largest encoded document, in bytes; must be below max-message-bytes.' },
  { key: 'maxMessageBytes', env: 'SB_MAX_MESSAGE_BYTES', flag: '--max-message-bytes', kind: { type: 'int', min: 1024, max: 256 * MiB }, default: 5 * MiB, description: 'Largest request or response message, in bytes (the default leaves room for a Commit with 4 MiB of documents).' },
  { key: 'batchConcurrency', env: 'SB_BATCH_CONCURRENCY', flag: '--batch-concurrency', kind: { type: 'int', min: 1, max: 1024 }, derivedDefault: READ_WINDOW_DEFAULT, description: 'Parallel blob reads of BatchGet and List, and parallel items of BatchWrite, BatchDelete and BatchExists (a window hiding storage latency: config/read-concurrency.ts).' },
  { key: 'maxBatchWriteItems', env: 'SB_MAX_BATCH_WRITE_ITEMS', flag: '--max-batch-write-items', kind: { type: 'int', min: 1, max: 10000 }, default: 500, description: 'The most items of one BatchWrite or BatchDelete (more is INVALID_ARGUMENT).' },
  { key: 'pageTokenSecret', env: 'SB_PAGE_TOKEN_SECRET', flag: '--page-token-secret', kind: { type: 'string' }, description: 'Fixed HMAC secret of List page tokens and Query resume tokens, overriding the durable keyring in storage; set the same value on every replica (unset = keyring at _meta/token-keys).' },
  { key: 'tokenKeyRotationMs', env: 'SB_TOKEN_KEY_ROTATION_MS', flag: '--token-key-rotation-ms', kind: { type: 'int', min: 0, max: 31_536_000_000 }, default: 2_592_000_000, description: 'How often the durable token key rotates, in ms (default 30 days; 0 = never).' },
  { key: 'tokenKeyOverlapMs', env: 'SB_TOKEN_KEY_OVERLAP_MS', flag: '--token-key-overlap-ms', kind: { type: 'int', min: 60_000, max: 31_536_000_000 }, default: 604_800_000, description: 'How long page and resume tokens of a replaced token key keep working, in ms (default 7 days).' },
  { key: 'tokenKeyRefreshMs', env: 'SB_TOKEN_KEY_REFRESH_MS', flag: '--token-key-refresh-ms', kind: { type: 'int', min: 1000, max: 3_600_000 }, default: 60_000, description: 'How often each server reloads the token keyring, in ms; a new key starts signing 3 times this after its creation.' },
  { key: 'shutdownGraceMs', env: 'SB_SHUTDOWN_GRACE_MS', flag: '--shutdown-grace-ms', kind: { type: 'int', min: 0, max: 3_600_000 }, default: 10000, description: 'How long shutdown lets in-flight calls finish, in ms.' },
  { key: 'streamStallTimeoutMs', env: 'SB_STREAM_STALL_TIMEOUT_MS', flag: '--stream-stall-timeout-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 30000, description: 'A server stream whose client reads nothing for this long is reset (the client sees CANCELLED), in ms.' },
  { key: 'maxConcurrentStreams', env: 'SB_MAX_CONCURRENT_STREAMS', flag: '--max-concurrent-streams', kind: { type: 'int', min: 1, max: 100_000 }, default: 100, description: 'Most concurrent calls (HTTP/2 streams) one connection may open, on both ports; more wait at the client (HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS).' },
  { key: 'maxCallsInFlight', env: 'SB_MAX_CALLS_IN_FLIGHT', flag: '--max-calls-in-flight', kind: { type: 'int', min: 1, max: 1_000_000 }, default: 2000, description: 'Most calls this server serves at once, both ports together (health checks aside); more are RESOURCE_EXHAUSTED / SERVER_OVERLOADED with RetryInfo.' },
  { key: 'maxHoldsPerConnection', env: 'SB_MAX_HOLDS_PER_CONNECTION', flag: '--max-holds-per-connection', kind: { type: 'int', min: 1, max: 100_000 }, default: 64, description: 'Most LockService.Hold streams open on one connection; more are RESOURCE_EXHAUSTED / TOO_MANY_STREAMS.' },
  { key: 'idleConnectionTimeoutMs', env: 'SB_IDLE_CONNECTION_TIMEOUT_MS', flag: '--idle-connection-timeout-ms', kind: { type: 'int', min: 1000, max: 86_400_000 }, default: 300000, description: 'A connection with no call in flight for this long is closed (HTTP/2 GOAWAY, HTTP/1.1 close), in ms.' },
  { key: 'headersTimeoutMs', env: 'SB_HEADERS_TIMEOUT_MS', flag: '--headers-timeout-ms', kind: { type: 'int', min: 100, max: 600_000 }, default: 10000, description: 'A new connection that has not sent its first request headers (or HTTP/2 preface) within this time is closed, in ms.' },
  { key: 'corsOrigins', env: 'SB_CORS_ORIGINS', flag: '--cors-origins', kind: { type: 'string' }, description: 'Comma-separated origins (e.g. https://app.example.com) allowed to call the HTTP port from a browser; * allows any; unset = no CORS (preflights get no CORS headers).' },
  { key: 'keepaliveTimeMs', env: 'SB_KEEPALIVE_TIME_MS', flag: '--keepalive-time-ms', kind: { type: 'int', min: 1000, max: 86_400_000 }, default: 60000, description: 'The server pings an HTTP/2 connection after this long without activity, in ms.' },
  { key: 'keepaliveTimeoutMs', env: 'SB_KEEPALIVE_TIMEOUT_MS', flag: '--keepalive-timeout-ms', kind: { type: 'int', min: 100, max: 600_000 }, default: 20000, description: 'A keepalive ping unanswered for this long closes the connection, in ms.' },
  { key: 'decodeOffloadBytes', env: 'SB_DECODE_OFFLOAD_BYTES', flag: '--decode-offload-bytes', kind: { type: 'int', min: 0, max: 256 * MiB }, default: 65536, description: 'Request messages larger than this many bytes are decoded, and their documents sized, in a worker thread instead of on the event loop; 0 decodes all on the event loop.' },
  { key: 'decodeWorkers', env: 'SB_DECODE_WORKERS', flag: '--decode-workers', kind: { type: 'int', min: 1, max: 64 }, default: 1, description: 'Worker threads that decode large request messages (each can keep a core busy: leave the event loop one).' },
  { key: 'decodeMaxQueued', env: 'SB_DECODE_MAX_QUEUED', flag: '--decode-max-queued', kind: { type: 'int', min: 1, max: 100_000 }, default: 32, description: 'Large requests that may wait for a decode worker; more are RESOURCE_EXHAUSTED / SERVER_OVERLOADED with RetryInfo.' },
  { key: 'logLevel', env: 'SB_LOG_LEVEL', flag: '--log-level', kind: { type: 'enum', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] }, default: 'info', description: 'Log level.' },
  { key: 'logFormat', env: 'SB_LOG_FORMAT', flag: '--log-format', kind: { type: 'enum', choices: ['auto', 'json', 'pretty'] }, default: 'auto', description: 'auto: human-readable log lines when stdout is a terminal, JSON lines (pino) otherwise; json or pretty: always that.' },
  { key: 'startupRetryMs', env: 'SB_STARTUP_RETRY_MS', flag: '--startup-retry-ms', kind: { type: 'int', min: 0, max: 3_600_000 }, default: 0, description: 'How long start-up keeps retrying an unreachable S3 endpoint or Redis server (backing off from 250 ms to 5 s) before it fails, in ms; 0 = fail at once. For compose and Kubernetes, where the server may start before its backends.' },
  { key: 'metrics', env: 'SB_METRICS', flag: '--metrics', kind: { type: 'bool' }, default: true, description: 'Serve Prometheus metrics at http://<host>:<metrics-port>/metrics (false/off disables them).' },
  { key: 'auth', env: 'SB_AUTH', flag: '--auth', kind: { type: 'enum', choices: ['off', 'on'] }, default: 'off', description: 'off: every caller may do everything (the embedded default, on 127.0.0.1); on: every call but gRPC Health needs an API key (authorization: Bearer sbk_…) or a client certificate a principal answers to, and a role allowing it (docs/security.md).' },
  { key: 'authCacheMs', env: 'SB_AUTH_CACHE_MS', flag: '--auth-cache-ms', kind: { type: 'int', min: 100, max: 600_000 }, default: 5000, description: 'Staleness bound of each server\'s cache of keys, roles and principals, in ms: a revoked key, a changed role or principal is refused or applied by every server within this (plus one storage read).' },
  { key: 'authReflection', env: 'SB_AUTH_REFLECTION', flag: '--auth-reflection', kind: { type: 'enum', choices: ['open', 'authenticated'] }, default: 'authenticated', description: 'With auth on: authenticated: gRPC reflection needs a valid key or certificate (any principal); open: anyone may describe the API.' },
  { key: 'authMetrics', env: 'SB_AUTH_METRICS', flag: '--auth-metrics', kind: { type: 'enum', choices: ['open', 'authenticated'] }, default: 'authenticated', description: 'With auth on: authenticated: /metrics needs "authorization: Bearer <API key>" of any principal (else 401); open: anyone may scrape it.' },
  { key: 'authBootstrapKeyFile', env: 'SB_AUTH_BOOTSTRAP_KEY_FILE', flag: '--auth-bootstrap-key-file', kind: { type: 'string' }, description: 'File holding one API key string (sbk_<16 hex>_<43 base64url>): at start-up, when no key with its id is stored, it is stored (hashed) for principal bootstrap with role admin. Revoke it once real admin keys exist (docs/security.md).' },
  { key: 'authJwksFile', env: 'SB_AUTH_JWKS_FILE', flag: '--auth-jwks-file', kind: { type: 'string' }, description: 'With SB_AUTH=on: a JWKS file (the identity provider\'s jwks_uri document, saved) whose keys verify bearer JWTs; re-read when it changes. Unset = API keys only.' },
  { key: 'authJwtIssuer', env: 'SB_AUTH_JWT_ISSUER', flag: '--auth-jwt-issuer', kind: { type: 'string' }, description: 'The iss an accepted JWT must carry; unset = unchecked (set it).' },
  { key: 'authJwtAudience', env: 'SB_AUTH_JWT_AUDIENCE', flag: '--auth-jwt-audience', kind: { type: 'string' }, description: 'The aud an accepted JWT must carry; unset = unchecked (set it).' },
  { key: 'authJwtPrincipalClaim', env: 'SB_AUTH_JWT_PRINCIPAL_CLAIM', flag: '--auth-jwt-principal-claim', kind: { type: 'string' }, default: 'sub', description: 'The JWT claim whose value is the principal name.' },
  { key: 'authJwtRolesClaim', env: 'SB_AUTH_JWT_ROLES_CLAIM', flag: '--auth-jwt-roles-claim', kind: { type: 'string' }, description: 'A JWT claim holding a list of role names, granted besides the principal\'s stored roles; unset = stored roles only.' },
  { key: 'auditLog', env: 'SB_AUDIT_LOG', flag: '--audit-log', kind: { type: 'string' }, description: 'With SB_AUTH=on: the name of a SmarterBase log (e.g. audit-trail) that every audit record is also appended to, besides the audit log lines; at most 1,000 appends in flight per server, more are left out of the log and reported.' },
  { key: 'metricsPort', env: 'SB_METRICS_PORT', flag: '--metrics-port', kind: { type: 'port' }, default: 9464, description: 'Port of the Prometheus /metrics endpoint, bound to host; 0 picks a free port.' },
  { key: 'otlpEndpoint', env: 'SB_OTLP_ENDPOINT', flag: '--otlp-endpoint', kind: { type: 'string' }, description: 'OTLP/HTTP base URL that traces are sent to (<url>/v1/traces), e.g. http://collector:4318 (unset = no trace export).' },
  { key: 'collectionsFile', env: 'SB_COLLECTIONS_FILE', flag: '--collections-file', kind: { type: 'string' }, description: 'YAML file declaring collections and their indexes, applied at start-up (see docs/queries.md); unset = none.' },
  { key: 'queryConcurrency', env: 'SB_QUERY_CONCURRENCY', flag: '--query-concurrency', kind: { type: 'int', min: 1, max: 1024 }, derivedDefault: READ_WINDOW_DEFAULT, description: 'Parallel document fetches of one query (a window hiding storage latency: config/read-concurrency.ts).' },
  { key: 'queryMaxSortDocuments', env: 'SB_QUERY_MAX_SORT_DOCUMENTS', flag: '--query-max-sort-documents', kind: { type: 'int', min: 1, max: 10_000_000 }, default: 10000, description: 'The most documents one query sorts in memory when no ordered index serves its order_by (matches without a limit, or offset + limit); more is FAILED_PRECONDITION / INDEX_REQUIRED.' },
  { key: 'txnTimeoutMs', env: 'SB_TXN_TIMEOUT_MS', flag: '--txn-timeout-ms', kind: { type: 'int', min: 500, max: 600_000 }, default: 30000, description: "A transaction's time limit in ms: an unfinished transaction older than this is rolled back by any server." },
  { key: 'indexReconcileMs', env: 'SB_INDEX_RECONCILE_MS', flag: '--index-reconcile-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 2000, description: 'How often to compare the index store with the durable index definitions, in ms: definitions it lacks (Redis restarted empty) are restored BUILDING and rebuilt, and BUILDING indexes no server builds are resumed.' },
  { key: 'indexPendingAfterMs', env: 'SB_INDEX_PENDING_AFTER_MS', flag: '--index-pending-after-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 30000, description: 'Age from which a write whose index apply was not confirmed (its server died between the storage write and the index apply, or the apply failed) is repaired from storage by any server, in ms. Must exceed the longest a write can take (about 2 × SB_S3_TIMEOUT_MS): a record younger than a write in flight would be repaired before that write lands.' },
  { key: 'indexPendingSweepMs', env: 'SB_INDEX_PENDING_SWEEP_MS', flag: '--index-pending-sweep-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 5000, description: 'How often a server looks for pending index records older than SB_INDEX_PENDING_AFTER_MS in each collection with indexes (one Redis script per collection), in ms. A missing index entry lives at most SB_INDEX_PENDING_AFTER_MS + SB_INDEX_PENDING_SWEEP_MS + one repair.' },
  { key: 'indexDefinitionsRefreshMs', env: 'SB_INDEX_DEFINITIONS_REFRESH_MS', flag: '--index-definitions-refresh-ms', kind: { type: 'int', min: 1000, max: 86_400_000 }, default: 60_000, description: 'How often the index reconcile reads the durable index definitions (_meta/indexes/) from storage again, in ms; between reads it uses its copy, kept current by this server\'s CreateIndex/DropIndex and the index store\'s catalog, and read again at once on a detected Redis loss.' },
  { key: 'indexBuildConcurrency', env: 'SB_INDEX_BUILD_CONCURRENCY', flag: '--index-build-concurrency', kind: { type: 'int', min: 1, max: 1024 }, default: 64, description: 'Documents an index build (one pass per collection) fetches from storage and applies at once (docs/benchmarks.md, index rebuild).' },
  { key: 'txnSweepIntervalMs', env: 'SB_TXN_SWEEP_INTERVAL_MS', flag: '--txn-sweep-interval-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 60000, description: 'How often to finish transactions left by dead servers, in ms (also done at start-up and when met).' },
  { key: 'txnCleanupMaxQueued', env: 'SB_TXN_CLEANUP_MAX_QUEUED', flag: '--txn-cleanup-max-queued', kind: { type: 'int', min: 0, max: 1_000_000 }, default: 1000, description: 'The most committed transactions whose cleanup (request record, intent delete) runs after their answer; beyond it a Commit cleans up before answering; 0: always before.' },
  { key: 'txnCleanupDrainMs', env: 'SB_TXN_CLEANUP_DRAIN_MS', flag: '--txn-cleanup-drain-ms', kind: { type: 'int', min: 0, max: 3_600_000 }, default: 5000, description: 'How long shutdown waits for pending Commit cleanups, in ms; those left are finished by recovery.' },
  { key: 'indexDriftIntervalMs', env: 'SB_INDEX_DRIFT_INTERVAL_MS', flag: '--index-drift-interval-ms', kind: { type: 'int', min: 0, max: 86_400_000 }, default: 300000, description: 'How often the index drift monitor samples every collection with indexes both ways (documents → entries, entries → documents), in ms; one run at a time across servers; 0 turns it off.' },
  { key: 'indexDriftSample', env: 'SB_INDEX_DRIFT_SAMPLE', flag: '--index-drift-sample', kind: { type: 'int', min: 1, max: 100_000 }, default: 100, description: 'Documents, and index entries, the drift monitor samples per collection per run.' },
  { key: 'feedDir', env: 'SB_FEED_DIR', flag: '--feed-dir', kind: { type: 'string' }, description: 'Directory of the change feed\'s journal with in-process coordination (docs/streams.md): history and revisions survive restarts. Unset: <SB_DATA_DIR>/.feed with filesystem storage; with memory or S3 storage the feed is kept in memory and a restart starts a new history (watchers then get REVISION_COMPACTED).' },
  { key: 'feedRetainCount', env: 'SB_FEED_RETAIN_COUNT', flag: '--feed-retain-count', kind: { type: 'int', min: 1, max: 100_000_000 }, default: 100000, description: 'Released change-feed events kept per collection; a watch from an older revision gets OUT_OF_RANGE REVISION_COMPACTED. The embedded feed keeps them in memory (about the documents\' size each).' },
  { key: 'feedRetainMs', env: 'SB_FEED_RETAIN_MS', flag: '--feed-retain-ms', kind: { type: 'int', min: 1000, max: 31_536_000_000 }, default: 86400000, description: 'How long released change-feed events are kept, in ms.' },
  { key: 'feedPendingAfterMs', env: 'SB_FEED_PENDING_AFTER_MS', flag: '--feed-pending-after-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 30000, description: 'Age from which a revision whose writer did not resolve it (the write failed oddly, or its server died) is resolved from storage by the feed sweeper, in ms. Watchers of that collection wait for it: a stall of at most this plus SB_FEED_SWEEP_MS. With Redis, also how long a collection\'s feed settles after Redis lost its data (Watch answers FEED_RECOVERING, read_revision is 0): writes in flight across the loss have landed or failed by then.' },
  { key: 'feedSweepMs', env: 'SB_FEED_SWEEP_MS', flag: '--feed-sweep-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 1000, description: 'How often the feed sweeper looks for revisions older than SB_FEED_PENDING_AFTER_MS, in ms.' },
  { key: 'maxWatchers', env: 'SB_MAX_WATCHERS', flag: '--max-watchers', kind: { type: 'int', min: 1, max: 1_000_000 }, default: 10000, description: 'Watches (StreamService.Watch) one server serves at once; more get RESOURCE_EXHAUSTED SERVER_OVERLOADED. Each also counts toward SB_MAX_CALLS_IN_FLIGHT.' },
  { key: 'ttlSweepMs', env: 'SB_TTL_SWEEP_MS', flag: '--ttl-sweep-ms', kind: { type: 'int', min: 10, max: 3_600_000 }, default: 1000, description: 'How often the expiry purger deletes documents whose expire time has passed, in ms (every server, with either coordination). Expired documents are hidden from reads at once; this bounds how long after its expiry a document stays stored (and until its EXPIRE event).' },
  { key: 'ttlClaimMs', env: 'SB_TTL_CLAIM_MS', flag: '--ttl-claim-ms', kind: { type: 'int', min: 1000, max: 3_600_000 }, default: 30000, description: 'With Redis coordination: how long a server\'s claim on the due expiries it took lasts, in ms. Other servers skip claimed ids; the ids of a server that died while purging are due again when its claim lapses.' },
  { key: 'ttlRebuildSettleMs', env: 'SB_TTL_REBUILD_SETTLE_MS', flag: '--ttl-rebuild-settle-ms', kind: { type: 'int', min: 0, max: 3_600_000 }, default: 30000, description: 'With Redis coordination: how long a collection\'s expiry schedule, once found lost (Redis restarted empty), waits before it is rebuilt by listing the collection, in ms. A write schedules its expiry before it stores the document, so a write in flight across the loss may land after the rebuild\'s listing passed it: the wait must exceed the longest a write can take (about 2 × SB_S3_TIMEOUT_MS), as SB_INDEX_PENDING_AFTER_MS does. Meanwhile keys-only listings re-read every id and purges of documents scheduled before the loss wait.' },
  { key: 'objectMaxBytes', env: 'SB_OBJECT_MAX_BYTES', flag: '--object-max-bytes', kind: { type: 'int', min: 1, max: 5 * 1024 * 1024 * MiB }, default: 5 * 1024 * MiB, description: 'Largest object ObjectService stores, in bytes (default 5 GiB); a larger expected_size, or a stream growing past it, is INVALID_ARGUMENT / OBJECT_TOO_LARGE and commits nothing.' },
  { key: 'objectPartBytes', env: 'SB_OBJECT_PART_BYTES', flag: '--object-part-bytes', kind: { type: 'int', min: 5 * MiB, max: 512 * MiB }, default: 8 * MiB, description: 'Part size of object uploads, in bytes (at least 5 MiB, S3\'s minimum): an object up to this size is one PUT, a larger one a multipart upload of such parts; an upload holds at most 3 parts in memory (one filling, two being sent at once).' },
  { key: 'objectChunkMaxBytes', env: 'SB_OBJECT_CHUNK_MAX_BYTES', flag: '--object-chunk-max-bytes', kind: { type: 'int', min: 1024, max: 256 * MiB }, default: 4 * MiB, description: 'Largest data message of an Upload, in bytes; larger is INVALID_ARGUMENT (clients send 1 MiB). Keep it below SB_MAX_MESSAGE_BYTES.' },
  { key: 'objectDownloadChunkBytes', env: 'SB_OBJECT_DOWNLOAD_CHUNK_BYTES', flag: '--object-download-chunk-bytes', kind: { type: 'int', min: 1024, max: 64 * MiB }, default: MiB, description: 'Most bytes per Download data message. Keep it below SB_MAX_MESSAGE_BYTES.' },
  { key: 'maxTransfers', env: 'SB_MAX_TRANSFERS', flag: '--max-transfers', kind: { type: 'int', min: 1, max: 100_000 }, default: 64, description: 'Object uploads and downloads one server serves at once; more are RESOURCE_EXHAUSTED / SERVER_OVERLOADED with RetryInfo. Each also counts toward SB_MAX_CALLS_IN_FLIGHT.' },
  { key: 'logBatchMaxLines', env: 'SB_LOG_BATCH_MAX_LINES', flag: '--log-batch-max-lines', kind: { type: 'int', min: 1, max: 100_000 }, default: 1000, description: 'Most lines one log chunk holds: a server writes the appends queued for a log as one chunk (docs/streams.md, "Logs"), up to this and SB_LOG_BATCH_MAX_BYTES.' },
  { key: 'logBatchMaxBytes', env: 'SB_LOG_BATCH_MAX_BYTES', flag: '--log-batch-max-bytes', kind: { type: 'int', min: 1024, max: 256 * MiB }, default: 4 * MiB, description: 'Most line bytes one log chunk holds (an append larger than this is written alone).' },
  { key: 'logMaxLineBytes', env: 'SB_LOG_MAX_LINE_BYTES', flag: '--log-max-line-bytes', kind: { type: 'int', min: 1, max: 64 * MiB }, description: 'Longest appended log line, in UTF-8 bytes; longer is INVALID_ARGUMENT / INVALID_LOG_LINE (unset = SB_MAX_DOCUMENT_BYTES).' },
  { key: 'logRequestIdWindowMs', env: 'SB_LOG_REQUEST_ID_WINDOW_MS', flag: '--log-request-id-window-ms', kind: { type: 'int', min: 1000, max: 86_400_000 }, default: 600_000, description: 'How long an Append\'s request_id is remembered, in ms: a retry within it returns the first attempt\'s sequences (deduplicated), the same id with other lines is REQUEST_ID_REUSED.' },
  { key: 'logFollowPollMs', env: 'SB_LOG_FOLLOW_POLL_MS', flag: '--log-follow-poll-ms', kind: { type: 'int', min: 10, max: 60_000 }, default: 1000, description: 'How often a ReadLog follower at the tail lists the log\'s new chunks, in ms: bounds the delay of lines appended through another server (this server\'s own appends wake it at once).' },
  { key: 'logSegmentBytes', env: 'SB_LOG_SEGMENT_BYTES', flag: '--log-segment-bytes', kind: { type: 'int', min: 1024, max: 1024 * MiB }, default: 8 * MiB, description: 'A log\'s chunks past its last segment are rolled into one segment object once they hold this many bytes (also about a segment\'s largest size): reads and tail discovery then list few chunks.' },
  { key: 'logSegmentMaxAgeMs', env: 'SB_LOG_SEGMENT_MAX_AGE_MS', flag: '--log-segment-max-age-ms', kind: { type: 'int', min: 100, max: 86_400_000 }, default: 60_000, description: 'A log\'s chunks past its last segment are rolled into a segment once the oldest is this old, in ms (checked after appends).' },
  { key: 'logRetainMs', env: 'SB_LOG_RETAIN_MS', flag: '--log-retain-ms', kind: { type: 'int', min: 1000, max: Number.MAX_SAFE_INTEGER }, description: 'Default retention of every log by age, in ms: the compactor deletes whole segments from the head once their last line is older (readers below the oldest retained get OUT_OF_RANGE / SEQUENCE_TRIMMED). Unset: keep forever. A log\'s retainFor in the collections file overrides it.' },
  { key: 'logRetainBytes', env: 'SB_LOG_RETAIN_BYTES', flag: '--log-retain-bytes', kind: { type: 'int', min: 1, max: Number.MAX_SAFE_INTEGER }, description: 'Default retention of every log by size: the compactor deletes whole segments from the head while the segments hold more bytes than this. Unset: no limit. A log\'s retainBytes in the collections file overrides it.' },
  { key: 'uploadMaxAgeMs', env: 'SB_UPLOAD_MAX_AGE_MS', flag: '--upload-max-age-ms', kind: { type: 'int', min: 1000, max: 30 * 86_400_000 }, default: 86_400_000, description: 'Age after which a resumable upload that was not completed is discarded, in ms (default 24 h): the sweep aborts its multipart upload and deletes its parts and session; its id then answers NOT_FOUND / UPLOAD_NOT_FOUND.' },
  { key: 'uploadLeaseMs', env: 'SB_UPLOAD_LEASE_MS', flag: '--upload-lease-ms', kind: { type: 'int', min: 1000, max: 3_600_000 }, default: 30000, description: 'Lease of the one writer of a resumable upload, in ms, renewed every third of it: a second writer waits up to 5 s, then gets ABORTED / UPLOAD_BUSY; a writer whose server died is replaced once its lease lapses.' },
  { key: 'uploadSweepMs', env: 'SB_UPLOAD_SWEEP_MS', flag: '--upload-sweep-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 60000, description: 'How often every server runs the abandoned-upload sweep, in ms (one server per round, under a coordinator mutex): expired uploads are aborted, finished sessions deleted, interrupted completions finished, orphan multipart uploads under the data prefix aborted.' },
  { key: 'objectGraceMs', env: 'SB_OBJECT_GRACE_MS', flag: '--object-grace-ms', kind: { type: 'int', min: 0, max: 7 * 86_400_000 }, default: 900000, description: 'How long the data of a replaced or deleted object stays readable, in ms (default 15 min; 0: deleted at the next trash sweep): a download of the old version in progress, or resumed with if_match, keeps working meanwhile. Keep it well above SB_S3_TIMEOUT_MS.' },
  { key: 'objectTrashSweepMs', env: 'SB_OBJECT_TRASH_SWEEP_MS', flag: '--object-trash-sweep-ms', kind: { type: 'int', min: 100, max: 3_600_000 }, default: 60000, description: 'How often every server runs the trash sweep, in ms (one server per round, under the coordinator mutex sweep:objtrash): the data of replaced and deleted objects whose grace period is over is deleted.' },
  { key: 'objectOrphanScanMs', env: 'SB_OBJECT_ORPHAN_SCAN_MS', flag: '--object-orphan-scan-ms', kind: { type: 'int', min: 1000, max: 30 * 86_400_000 }, default: 86_400_000, description: 'How long after the last orphan data scan the next one runs, in ms (default 24 h; one server per scan, under the mutex sweep:objorphans; the last scan time is kept in _meta/orphan-scan): data under _objdata/ that no pointer, trash marker or upload session names is deleted. The scan lists every data key.' },
  { key: 'objectOrphanMarginMs', env: 'SB_OBJECT_ORPHAN_MARGIN_MS', flag: '--object-orphan-margin-ms', kind: { type: 'int', min: 0, max: 30 * 86_400_000 }, default: 3_600_000, description: 'Age beyond SB_UPLOAD_MAX_AGE_MS that unreferenced data must have before the orphan scan deletes it, in ms (default 1 h; its version id, a UUIDv7, gives its age). Lower it only in tests: younger data may belong to an upload about to commit.' },
  { key: 'indexDriftRepairThreshold', env: 'SB_INDEX_DRIFT_REPAIR_THRESHOLD', flag: '--index-drift-repair-threshold', kind: { type: 'int', min: 0, max: 1_000_000_000 }, default: 0, description: 'Faults (missing + stale entries) a drift sample must exceed before the monitor repairs exactly the documents it found; 0 repairs any.' },
  { key: 'rateLimitPerSec', env: 'SB_RATE_LIMIT_PER_SEC', flag: '--rate-limit-per-sec', kind: { type: 'int', min: 0, max: 10_000_000 }, default: 0, description: 'Calls per second one authenticated principal may make, summed over every server (a Redis token bucket; in process on the embedded default); more are RESOURCE_EXHAUSTED / RATE_LIMITED with RetryInfo. 0 = unlimited. A principal may carry its own rate.' },
  { key: 'rateLimitBurst', env: 'SB_RATE_LIMIT_BURST', flag: '--rate-limit-burst', kind: { type: 'int', min: 0, max: 10_000_000 }, default: 0, description: 'Calls a principal may make at once after a quiet spell (the bucket size); 0 = twice SB_RATE_LIMIT_PER_SEC.' },
  { key: 'maxStreamsPerPrincipal', env: 'SB_MAX_STREAMS_PER_PRINCIPAL', flag: '--max-streams-per-principal', kind: { type: 'int', min: 0, max: 1_000_000 }, default: 0, description: 'Streaming calls (watches, queries, log reads, object transfers, lock holds) one authenticated principal may have open on one server; more are RESOURCE_EXHAUSTED / TOO_MANY_STREAMS. 0 = unlimited. A principal may carry its own limit.' },
];

/**
 * The default of numeric setting `key`, as the table gives it: the one
 * source of defaults for modules used without a Config (rpc/limits.ts,
 * rpc/server/rpc-server.ts). Throws for a key without a numeric default (a bug).
 */
export function numericDefault(key: keyof Config): number {
  const value = SETTINGS.find((s) => s.key === key)?.default;
  if (typeof value !== 'number') throw new Error(`setting ${key} has no numeric default`);
  return value;
}

/** The default of string setting `key`, as the table gives it; throws for a key without one (a bug). */
export function stringDefault(key: keyof Config): string {
  const value = SETTINGS.find((s) => s.key === key)?.default;
  if (typeof value !== 'string') throw new Error(`setting ${key} has no string default`);
  return value;
}
