/**
 * Options of the client and of single calls, with every default and unit in
 * one place.
 */
import type { Transport } from '@connectrpc/connect';
import type { ClientTlsOptions } from './tls.js';

/** How calls that fail with UNAVAILABLE are retried (all times in milliseconds). */
export interface RetryPolicy {
  /** Total attempts including the first; 1 disables retry. Default 4. */
  readonly maxAttempts?: number;
  /** Upper bound of the first backoff. Default 50 ms. */
  readonly initialBackoffMs?: number;
  /** Cap of any single backoff. Default 2000 ms. */
  readonly maxBackoffMs?: number;
  /** Growth factor of the backoff bound per attempt. Default 2. */
  readonly multiplier?: number;
}

/** A RetryPolicy with every field set. */
export type ResolvedRetryPolicy = Required<RetryPolicy>;

/** The retry policy used when none is given; the Go and Python clients use the same defaults (docs/clients.md). */
export const DEFAULT_RETRY_POLICY: ResolvedRetryPolicy = Object.freeze({
  maxAttempts: 4,
  initialBackoffMs: 50,
  maxBackoffMs: 2000,
  multiplier: 2,
});

/** Options of createClient. Give `address` or `baseUrl` unless `transport` is a Transport. */
export interface ClientOptions {
  /** "host:port" of the server: the gRPC port for 'grpc', the HTTP port for 'connect'; plaintext unless `tls` is set. */
  readonly address?: string;
  /** Full base URL instead of address, e.g. "https://db.example.com:8443". */
  readonly baseUrl?: string;
  /**
   * 'grpc' (default): gRPC over HTTP/2 to the gRPC port. 'connect': the Connect
   * protocol over HTTP/1.1 to the HTTP port. A Transport object is used as is
   * (e.g. createRouterTransport in tests); the retry interceptor is then NOT
   * added — pass createRetryInterceptor() to that transport yourself.
   */
  readonly transport?: 'grpc' | 'connect' | Transport;
  /** Default deadline of every call, in milliseconds, retries included. Default: none. */
  readonly timeoutMs?: number;
  /** Retry of UNAVAILABLE; `false` disables it. Default DEFAULT_RETRY_POLICY. */
  readonly retry?: RetryPolicy | false;
  /**
   * TLS to the server: `true` verifies it against the system CAs; an object
   * gives a private CA and/or a client certificate (mTLS). An https baseUrl
   * uses TLS even without it. Default: plaintext for `address`.
   */
  readonly tls?: true | ClientTlsOptions;
  /** API key sent as `authorization: Bearer <apiKey>` metadata on every call. Default: none. */
  readonly apiKey?: string;
}

/** Options accepted by every call. */
export interface CallOptions {
  /** Deadline of this call in milliseconds (retries included); overrides ClientOptions.timeoutMs. */
  readonly timeoutMs?: number;
  /** Cancels the call when aborted. */
  readonly signal?: AbortSignal;
}

/** Fills the unset fields of a retry policy with the defaults and checks them. */
export function resolveRetryPolicy(policy: RetryPolicy | undefined): ResolvedRetryPolicy {
  const p = { ...DEFAULT_RETRY_POLICY, ...policy };
  if (!Number.isInteger(p.maxAttempts) || p.maxAttempts < 1) throw new RangeError('retry.maxAttempts must be an integer >= 1');
  if (p.initialBackoffMs < 0 || p.maxBackoffMs < 0 || p.multiplier < 1)
    throw new RangeError('retry backoffs must be >= 0 and multiplier >= 1');
  return p;
}
