/**
 * The security parts main.ts hands to the RPC server (docs/security.md):
 * authentication and roles (access/compose/open-auth.ts), the audit log's
 * appends (SB_AUDIT_LOG), and per-principal limits over a rate limiter
 * shared through Redis or in process. Nothing when SB_AUTH is off.
 */
import { openAuth } from './access/compose/open-auth.js';
import { systemClock, systemRandom } from './common/clock.js';
import { ConfigError } from './config/parse-value.js';
import type { Config } from './config/settings.js';
import type { RedisConnectionOptions } from './coordination/redis/redis-connection.js';
import { openRateLimiter } from './limits/compose/open-limiter.js';
import type { LogEngine } from './logs/log-engine.js';
import { isLogName } from './logs/log-name.js';
import type { AppLogger } from './observability/logger.js';
import { callLimitsOf } from './rpc/decorators/call-limits.js';
import type { RpcServerOptions } from './rpc/server/rpc-server.js';
import { peerIdentityOf } from './rpc/tls/peer.js';
import { UploadCollections } from './objects/resumable/upload-collections.js';
import type { BlobStore } from './storage/blob-store.js';
import type { Closer } from './common/closer.js';

/** What the security parts are built on. */
export interface SecurityDeps {
  readonly store: BlobStore;
  readonly log: AppLogger;
  readonly logs: LogEngine;
  /** Redis, with Redis coordination: the rate limiter's buckets live there. */
  readonly redis?: RedisConnectionOptions;
}

/** The RPC server's security options, and the /metrics gate's check. */
export interface OpenedSecurity {
  readonly rpc: Pick<RpcServerOptions, 'auth' | 'access' | 'reflection' | 'principalLimits'>;
  readonly metricsAllowed: (authorization: string | undefined) => Promise<boolean>;
}

/** The security parts, or undefined when SB_AUTH is off. */
export async function openSecurity(config: Config, deps: SecurityDeps, closers: Closer[]): Promise<OpenedSecurity | undefined> {
  const auditLog = config.auditLog;
  if (auditLog !== undefined && !isLogName(auditLog)) throw new ConfigError(`SB_AUDIT_LOG: ${auditLog} is not a valid log name`);
  const appendAudit =
    auditLog === undefined
      ? undefined
      : (line: string) => deps.logs.append({ signal: AbortSignal.timeout(60_000) }, { log: auditLog, lines: [line] });
  const auth = await openAuth(
    config,
    {
      store: deps.store,
      log: deps.log,
      clock: systemClock,
      random: systemRandom,
      identify: peerIdentityOf,
      ...(appendAudit === undefined ? {} : { appendAudit }),
    },
    closers,
  ); // docs/adr/0015
  if (auth === undefined) return undefined;
  const limiter = await openRateLimiter(
    deps.redis,
    (err) => deps.log.warn({ err }, 'rate limiter: Redis failed, counting per server'),
    closers,
  );
  const defaults = { ratePerSec: config.rateLimitPerSec, burst: config.rateLimitBurst, maxStreams: config.maxStreamsPerPrincipal };
  const uploads = new UploadCollections(deps.store); // calls by upload id need write on that upload's collection
  return {
    rpc: {
      auth: { ...auth.auth, uploadCollection: (id) => uploads.of(id, AbortSignal.timeout(30_000)) },
      access: auth.access,
      reflection: auth.reflection,
      principalLimits: { limiter, limitsOf: callLimitsOf(defaults) },
    },
    metricsAllowed: auth.metricsAllowed,
  };
}
