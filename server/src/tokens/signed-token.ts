import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { KEY_ID_RE, type TokenKey, type TokenKeys } from './token-keys.js';

/**
 * The envelope of every signed token: `<key id>.<base64url payload>.<base64url mac>`
 * with mac = HMAC-SHA256(key, "<purpose>\n<key id>\n" + payload). The purpose
 * ("list", "query") keeps a token of one kind from being accepted as another.
 * Every kind (engine/page-token.ts, query/resume-token.ts) carries a JSON
 * object payload (sealJsonToken / openJsonToken) with its own fields, among
 * them a version and a fingerprint of the request it continues
 * (shapeFingerprint), so a token only continues the request it came from.
 */

/** Why a token was refused. */
export type TokenProblem =
  /** Not three base64url parts, or an unusable key id. */
  | 'malformed'
  /** Its key is unknown or no longer accepted (rotated out, or another deployment's). */
  | 'unknown-key'
  /** The MAC does not match: tampered with, or of another purpose. */
  | 'bad-signature';

/** The result of opening a token. */
export type Opened = { readonly ok: true; readonly payload: Buffer } | { readonly ok: false; readonly problem: TokenProblem };

/** A token carrying `payload` for `purpose`, signed with the current key. */
export function sealToken(keys: TokenKeys, purpose: string, payload: Buffer): string {
  const key = keys.signingKey();
  return `${key.id}.${payload.toString('base64url')}.${mac(key, purpose, payload).toString('base64url')}`;
}

/** The payload of a token sealed for `purpose` with a key that is still accepted. */
export async function openToken(keys: TokenKeys, purpose: string, token: string, signal?: AbortSignal): Promise<Opened> {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, problem: 'malformed' };
  const [id, body, sig] = parts as [string, string, string];
  const payload = fromBase64Url(body);
  const given = fromBase64Url(sig);
  if (!KEY_ID_RE.test(id) || payload === undefined || given === undefined) return { ok: false, problem: 'malformed' };
  const key = await keys.verifyingKey(id, signal);
  if (key === undefined) return { ok: false, problem: 'unknown-key' };
  const expected = mac(key, purpose, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, problem: 'bad-signature' };
  return { ok: true, payload };
}

/** The client-facing message of a refused token of kind `what`. */
export function problemMessage(problem: TokenProblem, what: string): string {
  switch (problem) {
    case 'malformed':
      return `malformed ${what}`;
    case 'unknown-key':
      return `${what} has expired (its signing key was rotated out) or was not issued by this deployment`;
    case 'bad-signature':
      return `${what} was not issued by this deployment or was altered`;
  }
}

/** A token whose payload is `payload` as JSON (UTF-8), sealed for `purpose`. */
export function sealJsonToken(keys: TokenKeys, purpose: string, payload: object): string {
  return sealToken(keys, purpose, Buffer.from(JSON.stringify(payload), 'utf8'));
}

/** The result of opening a JSON token: its object payload, or the client-facing reason it was refused. */
export type OpenedJson =
  { readonly ok: true; readonly payload: Readonly<Record<string, unknown>> } | { readonly ok: false; readonly message: string };

/**
 * The JSON object payload of a token sealed for `purpose`; a refused token,
 * or one whose payload is not a JSON object, gives the message of a bad
 * token of kind `what` ("page token", "resume token").
 */
export async function openJsonToken(
  keys: TokenKeys,
  purpose: string,
  what: string,
  token: string,
  signal?: AbortSignal,
): Promise<OpenedJson> {
  const opened = await openToken(keys, purpose, token, signal);
  if (!opened.ok) return { ok: false, message: problemMessage(opened.problem, what) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(opened.payload.toString('utf8'));
  } catch {
    return { ok: false, message: `malformed ${what}` };
  }
  if (typeof parsed !== 'object' || parsed === null) return { ok: false, message: `malformed ${what}` };
  return { ok: true, payload: parsed as Record<string, unknown> };
}

/** A short hash (16 base64url characters of SHA-256) of a request's canonical `parts`, for a token's fingerprint. */
export function shapeFingerprint(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('base64url').slice(0, 16);
}

function mac(key: TokenKey, purpose: string, payload: Buffer): Buffer {
  return createHmac('sha256', key.secret).update(`${purpose}\n${key.id}\n`).update(payload).digest();
}

function fromBase64Url(s: string): Buffer | undefined {
  if (s.length === 0 || !/^[A-Za-z0-9_-]+$/.test(s)) return undefined;
  return Buffer.from(s, 'base64url');
}
