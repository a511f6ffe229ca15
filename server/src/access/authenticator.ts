/**
 * Who is calling (docs/adr/0015, "Authentication"): the bearer API key of the
 * `authorization` header first (an API key `sbk_…`, or with SB_AUTH_JWKS_FILE
 * a JWT of the team's identity provider), then a verified client certificate
 * (its subject or a SAN that a principal lists). The result is the caller's
 * principal and roles; failures are UNAUTHENTICATED DbErrors whose reasons
 * say what to fix, never whether a key id exists with another secret.
 */
import type { Clock } from '../common/clock.js';
import { DbError, type ErrorReason } from '../errors/db-error.js';
import type { AccessCache } from './access-cache.js';
import type { Principal, PrincipalLimits, Role } from './access-model.js';
import { hashSecret, parseKey, secretMatches } from './api-key.js';
import { JwtRejected, type JwtVerifier } from './jwt-verifier.js';

/** A verified client certificate's names (rpc/peer-identity.ts gives them). */
export interface PeerIdentity {
  /** The subject, e.g. "CN=billing,O=Example". */
  readonly subject: string;
  /** Subject alternative names, e.g. "DNS:billing.internal". */
  readonly sans: readonly string[];
}

/** What a call presents. */
export interface Credentials {
  /** The `authorization` header's value, when sent. */
  readonly authorization?: string;
  /** The verified client certificate, when the connection has one. */
  readonly identity?: PeerIdentity;
}

/** An authenticated caller. */
export interface Caller {
  /** The principal's name. */
  readonly principal: string;
  /** Its roles that exist (unknown role names grant nothing). */
  readonly roles: readonly Role[];
  /** How it proved itself: an API key id, "certificate" or "jwt". */
  readonly via: string;
  /** The principal's own limits (docs/security.md, "Limits"), when its record sets any. */
  readonly limits?: PrincipalLimits;
}

/** Compared against when a key id is unknown, so that answer takes as long as a wrong secret. */
const DUMMY_HASH = hashSecret('');

function unauthenticated(reason: ErrorReason, message: string, metadata: Record<string, string> = {}): DbError {
  return new DbError('unauthenticated', reason, message, { metadata });
}

/** The `limits` field of a Caller for `principal`'s record. */
function limitsOf(principal: Principal | undefined): { limits?: PrincipalLimits } {
  return principal?.limits === undefined ? {} : { limits: principal.limits };
}

function rolesOf(principal: Principal | undefined, roles: ReadonlyMap<string, Role>): Role[] {
  if (principal === undefined) return [];
  return principal.roles.map((n) => roles.get(n)).filter((r): r is Role => r !== undefined);
}

/** Authenticates calls against one server's access cache. */
export class Authenticator {
  /** `jwt`, when given, verifies bearer tokens that are not API keys. */
  constructor(
    private readonly cache: AccessCache,
    private readonly clock: Clock,
    private readonly jwt?: JwtVerifier,
  ) {}

  /** The caller of `creds`, or throws an UNAUTHENTICATED DbError. */
  async authenticate(creds: Credentials): Promise<Caller> {
    if (creds.authorization !== undefined && creds.authorization !== '') return this.byKey(creds.authorization);
    if (creds.identity !== undefined) return this.byCertificate(creds.identity);
    throw unauthenticated(
      'UNAUTHENTICATED',
      'this server requires credentials: send "authorization: Bearer <API key>" or a client certificate',
    );
  }

  private async byKey(header: string): Promise<Caller> {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    const parsed = m?.[1] === undefined ? undefined : parseKey(m[1]);
    if (parsed === undefined && this.jwt !== undefined && m?.[1] !== undefined && !m[1].startsWith('sbk_'))
      return this.byJwt(this.jwt, m[1]);
    if (parsed === undefined) throw unauthenticated('INVALID_API_KEY', 'the authorization header is not "Bearer sbk_<key id>_<secret>"');
    const record = await this.cache.key(parsed.id);
    const ok = secretMatches(parsed.secret, record?.secretSha256 ?? DUMMY_HASH);
    if (record === undefined || !ok) throw unauthenticated('INVALID_API_KEY', 'the API key is not valid', { keyId: parsed.id });
    if (record.revoked) throw unauthenticated('API_KEY_REVOKED', 'the API key was revoked', { keyId: parsed.id });
    if (record.expireTimeMs !== undefined && this.clock.now() >= record.expireTimeMs)
      throw unauthenticated('API_KEY_EXPIRED', 'the API key has expired', {
        keyId: parsed.id,
        expireTime: new Date(record.expireTimeMs).toISOString(),
      });
    const view = await this.cache.view();
    const principal = view.principals.get(record.principal);
    return { principal: record.principal, roles: rolesOf(principal, view.roles), via: parsed.id, ...limitsOf(principal) };
  }

  /** A JWT's caller: the stored principal of its name (roles, limits) plus the roles its roles claim names. */
  private async byJwt(jwt: JwtVerifier, token: string): Promise<Caller> {
    let identity;
    try {
      identity = await jwt.verify(token);
    } catch (e) {
      if (e instanceof JwtRejected) throw unauthenticated('INVALID_TOKEN', `the bearer token is not accepted: ${e.message}`);
      throw e;
    }
    const view = await this.cache.view();
    const principal = view.principals.get(identity.principal);
    const names = new Set([...(principal?.roles ?? []), ...identity.roles]);
    const roles = [...names].map((n) => view.roles.get(n)).filter((r): r is Role => r !== undefined);
    return { principal: identity.principal, roles, via: 'jwt', ...limitsOf(principal) };
  }

  private async byCertificate(identity: PeerIdentity): Promise<Caller> {
    const view = await this.cache.view();
    for (const name of [identity.subject, ...identity.sans]) {
      const principal = view.byCertificateName.get(name);
      if (principal !== undefined)
        return { principal: principal.name, roles: rolesOf(principal, view.roles), via: 'certificate', ...limitsOf(principal) };
    }
    throw unauthenticated('UNAUTHENTICATED', 'no principal answers to this client certificate', { subject: identity.subject });
  }
}
