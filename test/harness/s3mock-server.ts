/**
 * Starts Adobe S3Mock (Java, Spring Boot) on free loopback ports with its store
 * in a temp dir and the bucket created at start-up. Not installed by setup: it
 * is tested by hand (`SB_TEST_S3=s3mock`, with $S3MOCK_JAR naming the exec jar,
 * e.g. from `mvn dependency:get -Dartifact=com.adobe.testing:s3mock:4.11.0:jar:exec`).
 * Caveat: S3Mock's plain-HTTP connector listens on every interface (only its
 * HTTPS one takes server.address); the tests use it on 127.0.0.1 only.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import type { S3TestServer } from './s3-server.js';

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
  const child = spawn(process.env.JAVA ?? 'java', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  const killOnExit = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', killOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.removeListener('exit', killOnExit);
      resolve();
    }),
  );
  try {
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`S3Mock exited during start-up: ${stderr}`);
      if ((await listStatus(httpPort, bucket)) === 200) break;
      if (Date.now() > deadline) throw new Error(`S3Mock did not answer on ${httpPort} within ${START_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    await rm(root, { recursive: true, force: true });
    throw e;
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${httpPort}`,
    bucket,
    pid: child.pid ?? -1,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
        await rm(root, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function listStatus(port: number, bucket: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpGet(
      { host: '127.0.0.1', port, path: `/${encodeURIComponent(bucket)}?list-type=2&max-keys=1`, timeout: 2000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}
