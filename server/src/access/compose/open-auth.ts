/**
 * Composition of authentication and authorisation (docs/adr/0015), called
 * by main.ts: with the setting auth on, the access store over the server's
 * BlobStore, the cache with its periodic refresh (a closer stops it), the
 * bootstrap key, the authenticator the RPC chain calls, the AccessService
 * operations, and the gates of reflection and /metrics. With auth off,
 * nothing (every caller may do everything).
 */
import { readFile } from 'node:fs/promises';
import type { Clock, RandomSource } from '../../common/clock.js';
import type { AuthGate, Config } from '../../config/settings.js';
import type { BlobStore } from '../../storage/blob-store.js';
import { AccessAdmin } from '../access-admin.js';
import { AccessCache } from '../access-cache.js';
import { AccessStore } from '../access-store.js';
import { auditTo, type AuditAppend, type AuditEvent, type AuditLog } from '../audit.js';
import { Authenticator, type Caller, type PeerIdentity } from '../authenticator.js';
import { ensureBootstrapKey } from '../bootstrap-key.js';
import { JwtVerifier } from '../jwt-verifier.js';
import type { Closer } from '../../common/closer.js';

/** What a call offers for authentication: its request headers (connect's HandlerContext has them). */
export interface CallHeaders {
  readonly requestHeader: { get(name: string): string | null };
}

/** What openAuth needs besides the settings. */
export interface AuthDeps<C extends CallHeaders> {
  readonly store: BlobStore;
  readonly log: AuditLog & { error(fields: Record<string, unknown>, message: string): void };
  readonly clock: Clock;
  readonly random: RandomSource;
  /** The verified client certificate of a call (rpc/peer-identity.ts peerIdentityOf); omit without mTLS. */
  readonly identify?: (call: C) => PeerIdentity | undefined;
  /** Appends an audit record to the audit log (SB_AUDIT_LOG); omit for log lines only. */
  readonly appendAudit?: AuditAppend;
}

/** The parts main.ts hands to the RPC server and the metrics endpoint. */
export interface OpenedAuth<C extends CallHeaders> {
  /** The chain's authentication step and audit sink (rpc/decorators/authorise-calls.ts CallAuth). */
  readonly auth: { authenticate(call: C): Promise<Caller>; readonly audit: (event: AuditEvent) => void };
  /** AccessService's operations. */
  readonly access: AccessAdmin;
  /** Whether reflection needs a caller. */
  readonly reflection: AuthGate;
  /** For /metrics: true when the `authorization` value authenticates (always true when metrics are open). */
  readonly metricsAllowed: (authorization: string | undefined) => Promise<boolean>;
}

/** Auth's parts, or undefined when the setting auth is off. */
export async function openAuth<C extends CallHeaders>(
  config: Config,
  deps: AuthDeps<C>,
  closers: Closer[],
): Promise<OpenedAuth<C> | undefined> {
  if (config.auth === 'off') return undefined;
  const store = new AccessStore(deps.store);
  const cache = new AccessCache({ store, clock: deps.clock, maxAgeMs: config.authCacheMs });
  if (config.authBootstrapKeyFile !== undefined) {
    const token = await readFile(config.authBootstrapKeyFile, 'utf8');
    const outcome = await ensureBootstrapKey(store, token, deps.clock, AbortSignal.timeout(60_000));
    deps.log.info({ audit: true, outcome, file: config.authBootstrapKeyFile }, 'bootstrap API key checked');
  }
  await cache.view(); // fails start-up now rather than the first call when storage is unreachable
  // Refreshed at half the bound, so calls rarely wait for a re-read; the bound itself is enforced at lookup.
  let refreshing = false;
  const timer = setInterval(
    () => {
      if (refreshing) return;
      refreshing = true;
      cache
        .refresh()
        .catch((err: unknown) => deps.log.error({ err }, 'access cache refresh failed'))
        .finally(() => (refreshing = false));
    },
    Math.max(50, Math.floor(config.authCacheMs / 2)),
  );
  timer.unref();
  closers.push({ name: 'access cache refresh', close: () => Promise.resolve(clearInterval(timer)) });
  const jwt =
    config.authJwksFile === undefined
      ? undefined
      : new JwtVerifier({
          jwksFile: config.authJwksFile,
          principalClaim: config.authJwtPrincipalClaim,
          ...(config.authJwtIssuer === undefined ? {} : { issuer: config.authJwtIssuer }),
          ...(config.authJwtAudience === undefined ? {} : { audience: config.authJwtAudience }),
          ...(config.authJwtRolesClaim === undefined ? {} : { rolesClaim: config.authJwtRolesClaim }),
          now: () => deps.clock.now(),
          onReloadError: (err) => deps.log.error({ err }, 'the JWKS file could not be re-read; the previous keys stay'),
        });
  const authenticator = new Authenticator(cache, deps.clock, jwt);
  const identify = deps.identify;
  return {
    auth: {
      authenticate: (call) =>
        authenticator.authenticate({
          authorization: call.requestHeader.get('authorization') ?? undefined,
          identity: identify?.(call),
        }),
      audit: auditTo(deps.log, deps.appendAudit),
    },
    access: new AccessAdmin({ store, cache, clock: deps.clock, random: deps.random }),
    reflection: config.authReflection,
    metricsAllowed: async (authorization) => {
      if (config.authMetrics === 'open') return true;
      if (authorization === undefined) return false;
      try {
        await authenticator.authenticate({ authorization });
        return true;
      } catch {
        return false;
      }
    },
  };
}
