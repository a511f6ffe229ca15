/**
 * Transport security and credentials of the client: TLS (server verified
 * against the system CAs or a given CA), mTLS (a client certificate), and
 * an API key sent as `authorization: Bearer <key>` on every call.
 */
import type { Interceptor } from '@connectrpc/connect';

/** PEM material for TLS; each field as text or bytes. */
export interface ClientTlsOptions {
  /** CA bundle the server's certificate must chain to (a private CA); default: Node's system CAs. */
  readonly ca?: string | Buffer;
  /** Client certificate (PEM, chain allowed) for mTLS; with `key`. */
  readonly cert?: string | Buffer;
  /** Private key of `cert`. */
  readonly key?: string | Buffer;
  /** Name the server's certificate must carry, when it differs from the address's host. */
  readonly serverName?: string;
}

/** Node TLS options of `tls` (true = system CAs, no client certificate). */
export function tlsNodeOptions(tls: true | ClientTlsOptions): {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
} {
  if (tls === true) return {};
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new TypeError('tls.cert and tls.key go together');
  return {
    ...(tls.ca !== undefined ? { ca: tls.ca } : {}),
    ...(tls.cert !== undefined ? { cert: tls.cert } : {}),
    ...(tls.key !== undefined ? { key: tls.key } : {}),
    ...(tls.serverName !== undefined ? { servername: tls.serverName } : {}),
  };
}

/** An interceptor that sends `authorization: Bearer <apiKey>` with every call (and every retry of it). */
export function apiKeyInterceptor(apiKey: string): Interceptor {
  if (apiKey === '' || /[\r\n]/.test(apiKey)) throw new TypeError('apiKey must be a non-empty single line');
  const value = `Bearer ${apiKey}`;
  return (next) => (req) => {
    req.header.set('authorization', value);
    return next(req);
  };
}
