import { loadConfig, HelpShown } from './load-config.js';
import { defaultReadWindow } from './read-concurrency.js';
import { ConfigError } from './parse-value.js';

const noFile = (): string => {
  throw new Error('ENOENT');
};

describe('loadConfig', () => {
  test('defaults', () => {
    const { config, warnings } = loadConfig({ argv: [], env: {}, readFile: noFile });
    expect(config).toMatchObject({
      grpcPort: 50051,
      httpPort: 8080,
      host: '127.0.0.1',
      storage: 'filesystem',
      dataDir: './data',
      s3Conditional: 'auto',
      coordination: 'local',
      maxDocumentBytes: 1048576,
      maxMessageBytes: 5242880,
      batchConcurrency: defaultReadWindow(),
      shutdownGraceMs: 10000,
      logLevel: 'info',
      s3ForcePathStyle: false,
      s3CreateBucket: false,
    });
    expect(config.s3Bucket).toBeUndefined();
    expect(Object.isFrozen(config)).toBe(true);
    expect(warnings).toEqual([]);
  });

  test('precedence: flags > env > file > defaults, per setting', () => {
    const file = 'grpcPort: 1001\nhttpPort: 1002\nhost: 10.0.0.1\nallowPlaintext: true\nlogLevel: debug\n';
    const { config } = loadConfig({
      argv: ['--config', 'x.yaml', '--grpc-port', '3001'],
      env: { SB_GRPC_PORT: '2001', SB_HTTP_PORT: '2002' },
      readFile: (p) => {
        expect(p).toBe('x.yaml');
        return file;
      },
    });
    expect(config.grpcPort).toBe(3001); // flag beats env and file
    expect(config.httpPort).toBe(2002); // env beats file
    expect(config.host).toBe('10.0.0.1'); // file beats default
    expect(config.logLevel).toBe('debug');
    expect(config.storage).toBe('filesystem'); // default
  });

  test('booleans from flags (bare or valued), env and file', () => {
    expect(loadConfig({ argv: ['--s3-force-path-style'], env: {} }).config.s3ForcePathStyle).toBe(true);
    expect(loadConfig({ argv: ['--s3-force-path-style', 'false'], env: { SB_S3_FORCE_PATH_STYLE: 'true' } }).config.s3ForcePathStyle).toBe(
      false,
    );
    expect(loadConfig({ argv: [], env: { SB_S3_CREATE_BUCKET: 'yes' } }).config.s3CreateBucket).toBe(true);
    expect(loadConfig({ argv: ['--config', 'f'], env: {}, readFile: () => 's3CreateBucket: true' }).config.s3CreateBucket).toBe(true);
  });

  test.each([
    [{ SB_STORAGE: 'foo' }, [], 'config error: SB_STORAGE must be one of filesystem, memory, s3 (got "foo")'],
    [{}, ['--storage', 'foo'], 'config error: --storage must be one of filesystem, memory, s3 (got "foo")'],
    [{ SB_GRPC_PORT: '70000' }, [], 'config error: SB_GRPC_PORT must be a port from 0 to 65535 (got "70000")'],
    [{ SB_HTTP_PORT: 'abc' }, [], 'config error: SB_HTTP_PORT must be a port from 0 to 65535 (got "abc")'],
    [{ SB_BATCH_CONCURRENCY: '0' }, [], 'config error: SB_BATCH_CONCURRENCY must be an integer from 1 to 1024 (got "0")'],
    [{ SB_S3_FORCE_PATH_STYLE: 'maybe' }, [], 'config error: SB_S3_FORCE_PATH_STYLE must be true or false (got "maybe")'],
    [{ SB_LOG_LEVEL: 'loud' }, [], 'config error: SB_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")'],
    [{ SB_STORAGE: 's3' }, [], 'config error: SB_S3_BUCKET (--s3-bucket) is required when SB_STORAGE is s3'],
    [{ SB_COORDINATION: 'redis' }, [], 'config error: SB_REDIS_URL (--redis-url) is required when SB_COORDINATION is redis'],
    [
      { SB_MAX_DOCUMENT_BYTES: '5242880' },
      [],
      'config error: SB_MAX_DOCUMENT_BYTES (5242880) must be smaller than SB_MAX_MESSAGE_BYTES (5242880)',
    ],
    [{}, ['--no-such-flag'], "config error: unknown option '--no-such-flag'"],
  ])('rejects %j %j with one line', (env, argv, message) => {
    let err: unknown;
    try {
      loadConfig({ argv, env });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(message);
    expect((err as Error).message).not.toContain('\n');
  });

  test('a bad value in the file names the file key', () => {
    expect(() => loadConfig({ argv: ['--config', 'c.yaml'], env: {}, readFile: () => 'storage: tape' })).toThrow(
      'config error: storage (in c.yaml) must be one of filesystem, memory, s3 (got "tape")',
    );
    expect(() => loadConfig({ argv: ['--config', 'c.yaml'], env: {}, readFile: () => 'storgae: s3' })).toThrow(
      /unknown setting "storgae" in c.yaml/,
    );
    expect(() => loadConfig({ argv: ['--config', 'missing.yaml'], env: {}, readFile: noFile })).toThrow(
      /cannot read --config file "missing.yaml"/,
    );
  });

  test('s3 lock mode with local coordination warns (one replica only)', () => {
    const { warnings } = loadConfig({ argv: [], env: { SB_STORAGE: 's3', SB_S3_BUCKET: 'b', SB_S3_CONDITIONAL: 'lock' } });
    expect(warnings).toEqual([expect.stringContaining('single replica')]);
  });

  test('redis coordination needs no page token secret (tokens are signed by the keyring in storage)', () => {
    expect(loadConfig({ argv: [], env: { SB_COORDINATION: 'redis', SB_REDIS_URL: 'redis://x' } }).warnings).toEqual([]);
  });

  test('a token key rotation shorter than 3 refreshes is refused; 0 (never) is fine', () => {
    expect(() => loadConfig({ argv: [], env: { SB_TOKEN_KEY_ROTATION_MS: '2000', SB_TOKEN_KEY_REFRESH_MS: '1000' } })).toThrow(
      /SB_TOKEN_KEY_ROTATION_MS \(2000\) must be 0 or at least 3 × SB_TOKEN_KEY_REFRESH_MS/,
    );
    expect(loadConfig({ argv: [], env: { SB_TOKEN_KEY_ROTATION_MS: '0' } }).config.tokenKeyRotationMs).toBe(0);
  });

  test('unknown SB_ variables warn', () => {
    expect(loadConfig({ argv: [], env: { SB_STORGE: 'x' } }).warnings).toEqual(['unknown environment variable SB_STORGE ignored']);
  });

  test('--help is reported as HelpShown', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(() => loadConfig({ argv: ['--help'], env: {} })).toThrow(HelpShown);
    } finally {
      write.mockRestore();
    }
  });

  test('SSE and the keyring file: unset by default; SB_S3_SSE takes AES256 or aws:kms; a KMS key id needs aws:kms', () => {
    const none = loadConfig({ argv: [], env: {} }).config;
    expect([none.s3Sse, none.s3SseKmsKeyId, none.encryptionKeyringFile]).toEqual([undefined, undefined, undefined]);
    const kms = loadConfig({
      argv: [],
      env: { SB_S3_SSE: 'aws:kms', SB_S3_SSE_KMS_KEY_ID: 'arn:k', SB_ENCRYPTION_KEYRING_FILE: 'ring.json' },
    }).config;
    expect([kms.s3Sse, kms.s3SseKmsKeyId, kms.encryptionKeyringFile]).toEqual(['aws:kms', 'arn:k', 'ring.json']);
    expect(loadConfig({ argv: ['--s3-sse', 'AES256'], env: {} }).config.s3Sse).toBe('AES256');
    expect(() => loadConfig({ argv: [], env: { SB_S3_SSE: 'aes' } })).toThrow(ConfigError);
    expect(() => loadConfig({ argv: [], env: { SB_S3_SSE: 'AES256', SB_S3_SSE_KMS_KEY_ID: 'k' } })).toThrow(
      /SB_S3_SSE_KMS_KEY_ID.*aws:kms/,
    );
    expect(none.encryptionRequire).toBe(false);
    expect(
      loadConfig({ argv: [], env: { SB_ENCRYPTION_REQUIRE: 'true', SB_ENCRYPTION_KEYRING_FILE: 'r.json' } }).config.encryptionRequire,
    ).toBe(true);
    expect(() => loadConfig({ argv: [], env: { SB_ENCRYPTION_REQUIRE: 'true' } })).toThrow(
      /SB_ENCRYPTION_REQUIRE.*SB_ENCRYPTION_KEYRING_FILE/,
    );
  });

  test('collectionsFile: unset by default; read through readFile; an unreadable file is a ConfigError naming the setting', () => {
    expect(loadConfig({ argv: [], env: {}, readFile: noFile }).config.collectionsFile).toBeUndefined();
    const read: string[] = [];
    const ok = loadConfig({
      argv: ['--collections-file', 'cols.yaml'],
      env: {},
      readFile: (p) => {
        read.push(p);
        return 'collections: {}';
      },
    });
    expect(ok.config.collectionsFile).toBe('cols.yaml');
    expect(read).toEqual(['cols.yaml']);
    expect(loadConfig({ argv: [], env: { SB_COLLECTIONS_FILE: 'e.yaml' }, readFile: () => '' }).config.collectionsFile).toBe('e.yaml');
    expect(() => loadConfig({ argv: [], env: { SB_COLLECTIONS_FILE: 'missing.yaml' }, readFile: noFile })).toThrow(
      /SB_COLLECTIONS_FILE \(--collections-file\) "missing.yaml".*ENOENT/,
    );
    expect(() => loadConfig({ argv: [], env: { SB_COLLECTIONS_FILE: 'missing.yaml' }, readFile: noFile })).toThrow(ConfigError);
  });

  test("queryConcurrency: default derived from the machine's CPUs, bounded 1..1024", () => {
    expect(loadConfig({ argv: [], env: {}, readFile: noFile }).config.queryConcurrency).toBe(defaultReadWindow());
    expect(loadConfig({ argv: ['--query-concurrency', '8'], env: {}, readFile: noFile }).config.queryConcurrency).toBe(8);
    expect(() => loadConfig({ argv: [], env: { SB_QUERY_CONCURRENCY: '0' }, readFile: noFile })).toThrow(ConfigError);
    expect(() => loadConfig({ argv: [], env: { SB_QUERY_CONCURRENCY: '1025' }, readFile: noFile })).toThrow(ConfigError);
  });
});
