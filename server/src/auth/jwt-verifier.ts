/**
 * Bearer JWTs from a team's identity provider (issue 14; docs/security.md,
 * "JWT"): verified with `jose` against the public keys of a JWKS file
 * (SB_AUTH_JWKS_FILE: the provider's `jwks_uri` document, saved — the server
 * makes no outbound calls), asymmetric algorithms only (never `none`, never
 * HS*: a file of public keys cannot hold a shared secret safely), `exp`
 * required, issuer and audience enforced when set, 30 s clock tolerance.
 * The principal is one claim (`sub` by default); roles may also come from a
 * claim (a list of role names) besides the principal's stored record. The
 * file is read again when its modification time changes (checked at most
 * every `reloadCheckMs`), so a key rotation needs no restart; a file that
 * cannot be read or parsed keeps the previous keys (and says so).
 */
import { readFileSync, statSync } from 'node:fs';
import { createLocalJWKSet, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

/** The algorithms a token may be signed with. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** A verified token's caller. */
export interface JwtIdentity {
  /** The principal's name: the principal claim's value. */
  readonly principal: string;
  /** Role names from the roles claim (empty without one). */
  readonly roles: readonly string[];
  /** When the token stops being valid, in ms since the epoch. */
  readonly expiresAtMs: number;
}

/** Why a token was refused (the authentication step answers UNAUTHENTICATED with this text). */
export class JwtRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtRejected';
  }
}

/** How tokens are checked. */
export interface JwtVerifierOptions {
  /** The JWKS file (SB_AUTH_JWKS_FILE). */
  readonly jwksFile: string;
  /** Required `iss` (SB_AUTH_JWT_ISSUER), unchecked when absent. */
  readonly issuer?: string;
  /** Required `aud` (SB_AUTH_JWT_AUDIENCE), unchecked when absent. */
  readonly audience?: string;
  /** The claim naming the principal (SB_AUTH_JWT_PRINCIPAL_CLAIM), default `sub`. */
  readonly principalClaim?: string;
  /** A claim listing role names (SB_AUTH_JWT_ROLES_CLAIM), none when absent. */
  readonly rolesClaim?: string;
  /** The clock, for tests. */
  readonly now?: () => number;
  /** Least time between two checks of the file's modification time, in ms (default 5000). */
  readonly reloadCheckMs?: number;
  /** Hears a JWKS file that could not be (re)loaded; the previous keys stay. */
  readonly onReloadError?: (err: unknown) => void;
}

type KeySet = ReturnType<typeof createLocalJWKSet>;

/** Verifies bearer JWTs against a JWKS file. */
export class JwtVerifier {
  private keys: KeySet;
  private mtimeMs: number;
  private checkedAtMs: number;
  private readonly now: () => number;

  /** Reads the JWKS file now: throws when it is missing or not a key set (a start-up error). */
  constructor(private readonly o: JwtVerifierOptions) {
    this.now = o.now ?? Date.now;
    this.mtimeMs = statSync(o.jwksFile).mtimeMs;
    this.keys = loadKeySet(o.jwksFile);
    this.checkedAtMs = this.now();
  }

  /** The caller a token names; throws JwtRejected for any token that is not valid now. */
  async verify(token: string): Promise<JwtIdentity> {
    this.maybeReload();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keys, {
        algorithms: JWT_ALGORITHMS,
        requiredClaims: ['exp'],
        clockTolerance: 30,
        currentDate: new Date(this.now()),
        ...(this.o.issuer === undefined ? {} : { issuer: this.o.issuer }),
        ...(this.o.audience === undefined ? {} : { audience: this.o.audience }),
      }));
    } catch (e) {
      throw new JwtRejected(rejection(e));
    }
    const claim = this.o.principalClaim ?? 'sub';
    const principal = payload[claim];
    if (typeof principal !== 'string' || principal === '') throw new JwtRejected(`the token has no ${claim} claim naming the caller`);
    return { principal, roles: this.rolesOf(payload), expiresAtMs: (payload.exp ?? 0) * 1000 };
  }

  private rolesOf(payload: JWTPayload): string[] {
    if (this.o.rolesClaim === undefined) return [];
    const v = payload[this.o.rolesClaim];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((r): r is string => typeof r === 'string')) {
      throw new JwtRejected(`the token's ${this.o.rolesClaim} claim is not a list of role names`);
    }
    return v;
  }

  /** Reads the file again when its modification time changed (at most every reloadCheckMs). */
  private maybeReload(): void {
    const now = this.now();
    if (now - this.checkedAtMs < (this.o.reloadCheckMs ?? 5000)) return;
    this.checkedAtMs = now;
    try {
      const mtimeMs = statSync(this.o.jwksFile).mtimeMs;
      if (mtimeMs === this.mtimeMs) return;
      this.keys = loadKeySet(this.o.jwksFile);
      this.mtimeMs = mtimeMs;
    } catch (e) {
      this.o.onReloadError?.(e);
    }
  }
}

/** The key set of a JWKS file; throws when it is not one. */
function loadKeySet(file: string): KeySet {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
  if (parsed === null || typeof parsed !== 'object' || !Array.isArray(parsed.keys)) {
    throw new Error(`${file} is not a JWKS document (an object with a "keys" list)`);
  }
  return createLocalJWKSet(parsed);
}

/** A short reason for a refused token (never the token itself). */
function rejection(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'the token has expired';
  if (e instanceof errors.JWTClaimValidationFailed) return `the token's ${e.claim} claim is not accepted`;
  if (e instanceof errors.JWKSNoMatchingKey) return 'no key of the JWKS file matches the token';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'the token signature does not verify';
  if (e instanceof errors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not allowed';
  return 'the token is not a valid JWT';
}
