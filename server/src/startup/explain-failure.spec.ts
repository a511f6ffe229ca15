import { loadConfig } from '../config/load-config.js';
import { explainBind, explainDataDir, explainRedis, explainS3 } from './explain-failure.js';
import { StartupError } from './startup-error.js';

const configOf = (env: Record<string, string>) => loadConfig({ argv: [], env }).config;
const errno = (message: string, fields: object): Error => Object.assign(new Error(message), fields);
const s3Config = configOf({ SB_STORAGE: 's3', SB_S3_BUCKET: 'docs', SB_S3_ENDPOINT: 'http://minio:9000' });

describe('explainBind', () => {
  const config = configOf({ SB_GRPC_PORT: '7001', SB_HTTP_PORT: '7002' });

  test("grpc-js's bind failure names the gRPC port and SB_GRPC_PORT", () => {
    const err = new Error('No address added out of total 1 resolved errors: [listen EADDRINUSE: address already in use 127.0.0.1:7001]');
    expect(explainBind(err, config)).toEqual(new StartupError('gRPC port 7001 is in use (SB_GRPC_PORT)', 'SB_GRPC_PORT', false));
  });

  test("Node's listen failure names the HTTP port; EACCES says to pick a port above 1023", () => {
    const busy = errno('listen EADDRINUSE: address already in use 127.0.0.1:7002', { code: 'EADDRINUSE', syscall: 'listen' });
    expect((explainBind(busy, config) as Error).message).toBe('HTTP port 7002 is in use (SB_HTTP_PORT)');
    const denied = errno('listen EACCES: permission denied', { code: 'EACCES', syscall: 'listen' });
    expect((explainBind(denied, config) as StartupError).message).toMatch(
      /^HTTP port 7002 needs privileges .* above 1023 \(SB_HTTP_PORT\)$/,
    );
  });

  test('an address not of this machine names SB_HOST; other errors pass unchanged', () => {
    const notHere = errno('listen EADDRNOTAVAIL', { code: 'EADDRNOTAVAIL', syscall: 'listen' });
    expect((explainBind(notHere, config) as StartupError).setting).toBe('SB_HOST');
    const other = new Error('boom');
    expect(explainBind(other, config)).toBe(other);
  });
});

test('explainRedis: unreachable is retryable and shows how to check; refused credentials are not', () => {
  const config = configOf({ SB_COORDINATION: 'redis', SB_REDIS_URL: 'redis://:pw@r:6379' });
  const down = explainRedis(
    new Error('cannot connect to Redis', { cause: errno('connect ECONNREFUSED 10.0.0.9:6379', { code: 'ECONNREFUSED' }) }),
    config,
  );
  expect(down.message).toBe(
    'Redis at redis://r:6379 is unreachable (SB_REDIS_URL): connect ECONNREFUSED 10.0.0.9:6379; check with: redis-cli -u redis://r:6379 ping',
  );
  expect(down.retryable).toBe(true);
  const auth = explainRedis(new Error('WRONGPASS invalid username-password pair'), config);
  expect(auth.message).toMatch(/^Redis at redis:\/\/r:6379 refused the credentials of SB_REDIS_URL/);
  expect(auth.retryable).toBe(false);
});

describe('explainS3', () => {
  test.each([
    [
      { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } },
      'SB_S3_BUCKET',
      true,
      /does not exist: create it, or set SB_S3_CREATE_BUCKET=true/,
    ],
    [{ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } }, 'AWS_ACCESS_KEY_ID', false, /refused the credentials/],
    [{ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, 'SB_S3_BUCKET', false, /denied access/],
    [{ code: 'ECONNREFUSED' }, 'SB_S3_ENDPOINT', true, /is unreachable \(SB_S3_ENDPOINT\).*check with: curl -sI http:\/\/minio:9000$/],
    [{ name: 'Weird' }, 'SB_S3_ENDPOINT', false, /failed at start-up/],
  ])('%j → %s', (fields, setting, retryable, message) => {
    const err = explainS3(new Error('wrapped', { cause: errno('the SDK said so', fields) }), s3Config);
    expect(err.message.startsWith('S3 bucket docs at http://minio:9000 ')).toBe(true);
    expect(err.message).toMatch(message);
    expect(err).toMatchObject({ setting, retryable });
  });
});

test('explainDataDir: an unwritable data directory names SB_DATA_DIR; other errors pass unchanged', () => {
  const config = configOf({ SB_DATA_DIR: '/srv/sb' });
  const denied = explainDataDir(errno("EACCES: permission denied, mkdir '/srv/sb'", { code: 'EACCES' }), config) as StartupError;
  expect(denied.message).toBe(
    "data directory /srv/sb is not writable by this user (SB_DATA_DIR): EACCES: permission denied, mkdir '/srv/sb'",
  );
  const other = new Error('x');
  expect(explainDataDir(other, config)).toBe(other);
});
