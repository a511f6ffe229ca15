/**
 * The PEM files of the backend TLS settings, read once at start-up (a
 * restart picks up new ones): the CA bundle an https S3 endpoint must chain
 * to (SB_S3_CA_FILE), and for rediss:// Redis a CA bundle and an optional
 * client certificate (SB_REDIS_CA_FILE, SB_REDIS_CERT_FILE/SB_REDIS_KEY_FILE).
 * An unreadable file is a ConfigError naming the setting.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from './parse-value.js';
import type { Config } from './settings.js';

/** TLS material for a client connection; each field only when set. */
export interface ClientTlsFiles {
  /** CA bundle trusted besides the system CAs. */
  readonly ca?: Buffer;
  /** Client certificate (PEM). */
  readonly cert?: Buffer;
  /** Its private key (PEM). */
  readonly key?: Buffer;
}

function read(path: string | undefined, setting: string, readFile: (p: string) => Buffer): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFile(path);
  } catch (e) {
    throw new ConfigError(`config error: cannot read ${setting} ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
}

/** The CA bundle of SB_S3_CA_FILE, or undefined. */
export function s3CaBundle(c: Config, readFile: (p: string) => Buffer = readFileSync): Buffer | undefined {
  return read(c.s3CaFile, 'SB_S3_CA_FILE (--s3-ca-file)', readFile);
}

/** The TLS files of Redis connections, or undefined when none is set. */
export function redisTlsFiles(c: Config, readFile: (p: string) => Buffer = readFileSync): ClientTlsFiles | undefined {
  if (c.redisCaFile === undefined && c.redisCertFile === undefined) return undefined;
  const ca = read(c.redisCaFile, 'SB_REDIS_CA_FILE (--redis-ca-file)', readFile);
  const cert = read(c.redisCertFile, 'SB_REDIS_CERT_FILE (--redis-cert-file)', readFile);
  const key = read(c.redisKeyFile, 'SB_REDIS_KEY_FILE (--redis-key-file)', readFile);
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

/** Where Redis is and how to reach it (SB_REDIS_URL, SB_REDIS_CLUSTER, SB_REDIS_TIMEOUT_MS, the Redis TLS files): every Redis connection's options. */
export function redisConnectionOf(c: Config): {
  url: string;
  cluster: boolean;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
  tls?: ClientTlsFiles;
} {
  const tls = redisTlsFiles(c);
  return {
    url: c.redisUrl!,
    cluster: c.redisCluster,
    connectTimeoutMs: c.redisTimeoutMs,
    commandTimeoutMs: c.redisTimeoutMs,
    ...(tls !== undefined ? { tls } : {}),
  };
}
