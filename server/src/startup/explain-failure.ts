/**
 * Turns the errors of start-up steps into StartupErrors: one line naming
 * what failed, the setting to change, and how to check (issue 15: a busy
 * port is not a bare EADDRINUSE, Redis down is not "Connection is closed."
 * without the URL). Errors it does not recognise are returned unchanged.
 */
import { resolve } from 'node:path';
import type { Config } from '../config/settings.js';
import { StartupError, causeChain, withoutPassword } from './startup-error.js';

/** Fields of Node, AWS SDK and ioredis errors that identify the failure. */
interface ErrorFacts {
  readonly code?: unknown;
  readonly name?: unknown;
  readonly Code?: unknown;
  readonly $metadata?: { httpStatusCode?: number };
}

/** Network failures: the backend is not (yet) reachable, so waiting may help. */
const UNREACHABLE =
  /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|ENETUNREACH|Connection is closed|timed? ?out|TimeoutError|socket hang up|not writeable/i;

function facts(err: unknown): { codes: string[]; text: string; status?: number } {
  const codes: string[] = [];
  let status: number | undefined;
  const texts: string[] = [];
  for (const e of causeChain(err)) {
    const f = e as ErrorFacts;
    for (const c of [f.code, f.name, f.Code]) if (typeof c === 'string') codes.push(c);
    status ??= f.$metadata?.httpStatusCode;
    texts.push(e.message);
  }
  return { codes, text: texts.join(': '), status };
}

/** The last, most specific message of the cause chain, on one line. */
function reason(err: unknown): string {
  const chain = causeChain(err);
  const last = chain[chain.length - 1];
  return (last?.message ?? String(err)).replace(/\s+/g, ' ').trim();
}

/** A failed bind of the gRPC (`which` = 'grpc') or HTTP port, explained; undefined when `err` is no bind failure. */
export function explainListen(err: unknown, config: Config, which: 'grpc' | 'http'): StartupError | undefined {
  const { codes, text } = facts(err);
  const has = (code: string): boolean => codes.includes(code) || text.includes(code);
  const [label, port, setting] = which === 'grpc' ? ['gRPC', config.grpcPort, 'SB_GRPC_PORT'] : ['HTTP', config.httpPort, 'SB_HTTP_PORT'];
  if (has('EADDRINUSE')) return new StartupError(`${label} port ${port} is in use (${setting})`, setting, false, { cause: err });
  if (has('EACCES'))
    return new StartupError(
      `${label} port ${port} needs privileges this process lacks: use a port above 1023 (${setting})`,
      setting,
      false,
      {
        cause: err,
      },
    );
  if (has('EADDRNOTAVAIL') || has('ENOTFOUND'))
    return new StartupError(`host ${config.host} is not an address of this machine (SB_HOST)`, 'SB_HOST', false, { cause: err });
  return undefined;
}

/**
 * A failure of RpcServer.start explained: grpc-js reports its bind failure as
 * "No address added out of total 1 resolved errors: [listen EADDRINUSE …]", the
 * HTTP port is a Node error with syscall 'listen' (the gRPC port binds first).
 */
export function explainBind(err: unknown, config: Config): unknown {
  const grpc = err instanceof Error && /No address added/.test(err.message);
  const http = (err as { syscall?: unknown } | undefined)?.syscall === 'listen';
  if (!grpc && !http) return err;
  return explainListen(err, config, grpc ? 'grpc' : 'http') ?? err;
}

/** A filesystem store that cannot open its data directory (SB_DATA_DIR), explained; other errors unchanged. */
export function explainDataDir(err: unknown, config: Config): unknown {
  const { codes } = facts(err);
  const dir = resolve(config.dataDir);
  if (codes.includes('EACCES') || codes.includes('EPERM') || codes.includes('EROFS'))
    return new StartupError(`data directory ${dir} is not writable by this user (SB_DATA_DIR): ${reason(err)}`, 'SB_DATA_DIR', false, {
      cause: err,
    });
  if (codes.includes('ENOTDIR') || codes.includes('EEXIST'))
    return new StartupError(`data directory ${dir} is not a directory (SB_DATA_DIR): ${reason(err)}`, 'SB_DATA_DIR', false, { cause: err });
  return err;
}

/** A failure to reach Redis (SB_REDIS_URL), explained with the URL (no password) and how to check it. */
export function explainRedis(err: unknown, config: Config): StartupError {
  const url = withoutPassword(config.redisUrl ?? '');
  const first = url.split(',')[0] ?? url;
  const { text } = facts(err);
  if (/NOAUTH|WRONGPASS|invalid password|invalid username/i.test(text))
    return new StartupError(
      `Redis at ${url} refused the credentials of SB_REDIS_URL (${reason(err)}); check with: redis-cli -u <SB_REDIS_URL> ping`,
      'SB_REDIS_URL',
      false,
      { cause: err },
    );
  return new StartupError(
    `Redis at ${url} is unreachable (SB_REDIS_URL): ${reason(err)}; check with: redis-cli -u ${first} ping`,
    'SB_REDIS_URL',
    true,
    { cause: err },
  );
}

/** A failure to open or reach S3 (endpoint, bucket, credentials), explained with the endpoint, the bucket and the setting. */
export function explainS3(err: unknown, config: Config): StartupError {
  const { codes, text, status } = facts(err);
  const where = `S3 bucket ${config.s3Bucket ?? '(unset)'} at ${config.s3Endpoint ?? 'AWS'}`;
  const has = (...names: string[]): boolean => names.some((n) => codes.includes(n) || text.includes(n));
  if (has('NoSuchBucket') || (status === 404 && /bucket/i.test(text)))
    return new StartupError(
      `${where} does not exist: create it, or set SB_S3_CREATE_BUCKET=true (SB_S3_BUCKET)`,
      'SB_S3_BUCKET',
      true, // compose may create it a moment later
      { cause: err },
    );
  if (has('InvalidAccessKeyId', 'SignatureDoesNotMatch', 'CredentialsProviderError', 'ExpiredToken', 'InvalidToken'))
    return new StartupError(
      `${where} refused the credentials (${reason(err)}): check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or AWS_PROFILE`,
      'AWS_ACCESS_KEY_ID',
      false,
      { cause: err },
    );
  if (has('AccessDenied') || status === 403)
    return new StartupError(
      `${where} denied access (${reason(err)}): the credentials need s3:GetObject, PutObject, DeleteObject and ListBucket on it (SB_S3_BUCKET)`,
      'SB_S3_BUCKET',
      false,
      { cause: err },
    );
  if (UNREACHABLE.test(text) || codes.some((c) => UNREACHABLE.test(c)))
    return new StartupError(
      `${where} is unreachable (SB_S3_ENDPOINT): ${reason(err)}; check with: curl -sI ${config.s3Endpoint ?? 'https://s3.amazonaws.com'}`,
      'SB_S3_ENDPOINT',
      true,
      { cause: err },
    );
  return new StartupError(`${where} failed at start-up (SB_S3_ENDPOINT, SB_S3_BUCKET): ${reason(err)}`, 'SB_S3_ENDPOINT', false, {
    cause: err,
  });
}
