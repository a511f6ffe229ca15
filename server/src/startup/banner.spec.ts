import { resolve } from 'node:path';
import { loadConfig } from '../config/load-config.js';
import { bannerLine, coordinationSummary, storageSummary } from './banner.js';

const configOf = (env: Record<string, string>) => loadConfig({ argv: [], env }).config;
const facts = { version: '1.2.3', node: 'v20.19.0', grpcPort: 50051, httpPort: 8080, metricsPort: 9464, tls: 'off' as const };

test('the embedded default: version, Node, the three ports, the absolute data directory, in-process, auth and TLS off', () => {
  expect(bannerLine(configOf({}), facts)).toBe(
    `SmarterBase 1.2.3 (Node v20.19.0) ready: gRPC 127.0.0.1:50051, HTTP 127.0.0.1:8080, metrics 127.0.0.1:9464/metrics; ` +
      `storage filesystem ${resolve('data')}; coordination in-process (one server); auth off; TLS off`,
  );
});

test('S3 and Redis: bucket, prefix and endpoint; the Redis URL without its password; metrics off; mTLS', () => {
  const config = configOf({
    SB_STORAGE: 's3',
    SB_S3_BUCKET: 'docs',
    SB_S3_PREFIX: 'prod',
    SB_S3_ENDPOINT: 'http://minio:9000',
    SB_COORDINATION: 'redis',
    SB_REDIS_URL: 'redis://:hunter2@redis:6379',
    SB_AUTH: 'on',
  });
  expect(storageSummary(config)).toBe('s3 docs/prod at http://minio:9000');
  expect(coordinationSummary(config)).toBe('redis redis://redis:6379');
  const line = bannerLine(config, { ...facts, metricsPort: null, tls: 'mtls' });
  expect(line).toContain(
    'metrics off; storage s3 docs/prod at http://minio:9000; coordination redis redis://redis:6379; auth on; TLS mtls',
  );
  expect(line).not.toContain('hunter2');
});

test('memory storage says its data is lost at exit; S3 without an endpoint is AWS', () => {
  expect(storageSummary(configOf({ SB_STORAGE: 'memory' }))).toBe('memory (lost at exit)');
  expect(storageSummary(configOf({ SB_STORAGE: 's3', SB_S3_BUCKET: 'b' }))).toBe('s3 b at AWS');
});
