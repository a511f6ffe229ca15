/**
 * Starts Adobe S3Mock (Java, Spring Boot) on free loopback ports with its store
 * in a temp dir and the bucket created at start-up. Not installed by setup: it
 * is tested by hand (`SB_TEST_S3=s3mock`, with $S3MOCK_JAR naming the exec jar,
 * e.g. from `mvn dependency:get -Dartifact=com.adobe.testing:s3mock:4.11.0:jar:exec`).
 * Caveat: S3Mock's plain-HTTP connector listens on every interface (only its
 * HTTPS one takes server.address); the tests use it on 127.0.0.1 only.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import type { S3TestServer } from './s3-server.js';
import { httpStatus, listOnePath, s3TestServer, spawnTestChild, waitUntilReady } from './test-child.js';

/** The version tried by hand. */
export const S3MOCK_VERSION = '4.11.0';

/** A JVM start-up on a busy machine takes a while. */
const START_TIMEOUT_MS = 90_000;

/** $S3MOCK_JAR, else the exec jar in the local Maven repository. */
export function s3mockJar(): string {
  return (
    process.env.S3MOCK_JAR ??
    join(homedir(), '.m2', 'repository', 'com', 'adobe', 'testing', 's3mock', S3MOCK_VERSION, `s3mock-${S3MOCK_VERSION}-exec.jar`)
  );
}

/** Starts S3Mock with `bucket` and resolves once an unsigned ListObjectsV2 of it answers 200. */
export async function startS3Mock(bucket = 'sb-test'): Promise<S3TestServer> {
  const jar = s3mockJar();
  if (!existsSync(jar)) throw new Error(`S3Mock jar not found at ${jar}`);
  const [httpPort, httpsPort] = [await freePort(), await freePort()];
  const root = await mkdtemp(join(tmpdir(), 'sb-s3mock-'));
  const args = [
    '-jar',
    jar,
    '--server.address=127.0.0.1',
    `--server.port=${httpsPort}`,
    `--com.adobe.testing.s3mock.httpPort=${httpPort}`,
    `--com.adobe.testing.s3mock.store.initialBuckets=${bucket}`,
    `--com.adobe.testing.s3mock.store.root=${root}`,
  ];
  const child = spawnTestChild(process.env.JAVA ?? 'java', args);
  const cleanup = (): Promise<void> => rm(root, { recursive: true, force: true });
  const listing = async (): Promise<boolean> => (await httpStatus(httpPort, 'GET', listOnePath(bucket), 2000)) === 200;
  try {
    await waitUntilReady(child, `S3Mock on ${httpPort}`, listing, START_TIMEOUT_MS, 200);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return s3TestServer(child, `http://127.0.0.1:${httpPort}`, bucket, cleanup);
}
