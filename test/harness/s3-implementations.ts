/**
 * The S3 implementations the suites run against, by name, each started by its
 * harness on free loopback ports: gofakes3 and versitygw in CI (installed by
 * scripts/setup.sh), moto's server and Adobe S3Mock by hand. `SB_TEST_S3=gofakes3,versitygw,moto`
 * chooses which (default: the CI pair); docs/storage-adapters.md has the table.
 */
import { startMotoServer } from './moto-server.js';
import { startS3Server, type S3TestServer } from './s3-server.js';
import { startS3Mock, S3MOCK_VERSION } from './s3mock-server.js';
import { startVersitygw, VERSITYGW_VERSION } from './versitygw.js';

/** One S3 implementation the tests can start. */
export interface S3Implementation {
  /** Short name, as in SB_TEST_S3 and test titles. */
  readonly name: string;
  /** The version tested. */
  readonly version: string;
  /** Starts it with `bucket` created. */
  start(bucket: string): Promise<S3TestServer>;
}

/** Every implementation a harness exists for, by name. */
export const S3_IMPLEMENTATIONS: Readonly<Record<string, S3Implementation>> = {
  gofakes3: { name: 'gofakes3', version: 'v1.2.0', start: (bucket) => startS3Server(bucket) },
  versitygw: { name: 'versitygw', version: VERSITYGW_VERSION, start: (bucket) => startVersitygw(bucket) },
  moto: { name: 'moto', version: '5.2.5', start: (bucket) => startMotoServer(bucket) },
  s3mock: { name: 's3mock', version: S3MOCK_VERSION, start: (bucket) => startS3Mock(bucket) },
};

/** The implementations CI runs. */
export const CI_S3_IMPLEMENTATIONS = ['gofakes3', 'versitygw'] as const;

/** The implementations chosen by SB_TEST_S3 (comma-separated names), else CI's; an unknown name throws. */
export function selectedS3Implementations(env: NodeJS.ProcessEnv = process.env): S3Implementation[] {
  const names = env.SB_TEST_S3?.trim() ? env.SB_TEST_S3.split(',').map((s) => s.trim()) : [...CI_S3_IMPLEMENTATIONS];
  return names.map((name) => {
    const impl = S3_IMPLEMENTATIONS[name];
    if (impl === undefined)
      throw new Error(`SB_TEST_S3: unknown S3 implementation ${name} (known: ${Object.keys(S3_IMPLEMENTATIONS).join(', ')})`);
    return impl;
  });
}
