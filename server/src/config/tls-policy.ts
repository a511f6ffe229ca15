/**
 * The TLS settings checked against each other, and the plaintext policy
 * (docs/adr/0014-tls.md): plaintext ports are the default on a loopback
 * host; on any other host they need TLS, or SB_ALLOW_PLAINTEXT=true when a
 * sidecar or mesh terminates TLS in front of the server (a warning then).
 */
import { isIP } from 'node:net';
import { ConfigError } from './parse-value.js';
import type { Config } from './settings.js';

/** Whether `host` only reaches this machine: localhost, 127.0.0.0/8, ::1 (and its IPv4-mapped form). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return isIP(v4) === 4 && v4.startsWith('127.');
}

/** The warning logged at start-up when plaintext is allowed on a non-loopback host. */
export function plaintextWarning(host: string): string {
  return (
    `PLAINTEXT on non-loopback host ${host}: SB_ALLOW_PLAINTEXT=true and no SB_TLS_CERT_FILE, so calls, documents and ` +
    'credentials cross the network unencrypted; only run so behind a sidecar or mesh that terminates TLS'
  );
}

function pair(a: string | undefined, b: string | undefined, aName: string, bName: string): void {
  if ((a === undefined) !== (b === undefined))
    throw new ConfigError(`config error: ${a === undefined ? aName : bName} is required with ${a === undefined ? bName : aName}`);
}

/** Checks the TLS settings; throws ConfigError for an inconsistent or refused set, returns warnings. */
export function checkTls(c: Config): string[] {
  pair(c.tlsCertFile, c.tlsKeyFile, 'SB_TLS_CERT_FILE (--tls-cert-file)', 'SB_TLS_KEY_FILE (--tls-key-file)');
  pair(c.redisCertFile, c.redisKeyFile, 'SB_REDIS_CERT_FILE (--redis-cert-file)', 'SB_REDIS_KEY_FILE (--redis-key-file)');
  if (c.tlsClientCaFile !== undefined && c.tlsCertFile === undefined)
    throw new ConfigError('config error: SB_TLS_CLIENT_CA_FILE (--tls-client-ca-file) needs SB_TLS_CERT_FILE and SB_TLS_KEY_FILE');
  if (c.tlsClientAuth !== undefined && c.tlsClientCaFile === undefined)
    throw new ConfigError('config error: SB_TLS_CLIENT_AUTH (--tls-client-auth) needs SB_TLS_CLIENT_CA_FILE (--tls-client-ca-file)');
  const redisTls = c.redisCaFile !== undefined || c.redisCertFile !== undefined;
  if (redisTls && c.redisUrl !== undefined && !c.redisUrl.trim().startsWith('rediss://'))
    throw new ConfigError('config error: SB_REDIS_CA_FILE / SB_REDIS_CERT_FILE need a rediss:// SB_REDIS_URL (redis:// is plaintext)');
  if (c.s3CaFile !== undefined && c.s3Endpoint !== undefined && !c.s3Endpoint.startsWith('https://'))
    throw new ConfigError('config error: SB_S3_CA_FILE needs an https:// SB_S3_ENDPOINT');
  if (c.tlsCertFile !== undefined || isLoopbackHost(c.host)) return [];
  if (!c.allowPlaintext)
    throw new ConfigError(
      `config error: SB_HOST ${c.host} is not a loopback address and TLS is off: set SB_TLS_CERT_FILE and SB_TLS_KEY_FILE, ` +
        'or SB_ALLOW_PLAINTEXT=true when a sidecar or mesh terminates TLS (docs/security.md, "TLS")',
    );
  return [plaintextWarning(c.host)];
}
