/**
 * Starts a real S3-compatible server (gofakes3, in-memory backend) for a test
 * suite, on a free loopback port, and stops it afterwards.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';
import { httpStatus, listOnePath, s3TestServer, spawnTestChild, waitUntilReady } from './test-child.js';

/** A running S3 test server. */
export interface S3TestServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (use with forcePathStyle). */
  readonly endpoint: string;
  /** The bucket created at start-up. */
  readonly bucket: string;
  /** The server's process id. */
  readonly pid: number;
  /** Where the server keeps object bytes on disk, when it does (versitygw's posix root); undefined for in-memory servers. */
  readonly dataDir?: string;
  /** Kills the server and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Where scripts/setup.sh installs gofakes3: $GOFAKES3 when set, else the first
 * .tools/bin/gofakes3 found walking up from this file (works from test/ and dist/test/).
 */
export function gofakes3Path(): string {
  if (process.env.GOFAKES3) return process.env.GOFAKES3;
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, '.tools', 'bin', 'gofakes3');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return join(__dirname, '..', '..', '.tools', 'bin', 'gofakes3');
    dir = parent;
  }
}

/** How long to wait for the server to accept connections, in ms. */
const START_TIMEOUT_MS = 10_000;

/**
 * Starts gofakes3 with `-backend memory -initialbucket <bucket>` on a free
 * 127.0.0.1 port and resolves once it answers a ListObjectsV2 of the bucket.
 * Retries on another port (up to 3 times) if the chosen one was taken meanwhile.
 */
export async function startS3Server(bucket = 'sb-test'): Promise<S3TestServer> {
  const binary = gofakes3Path();
  if (!existsSync(binary)) {
    throw new Error(`gofakes3 not found at ${binary}: run \`bash scripts/setup.sh\` first`);
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(binary, bucket, await freePort());
    } catch (e) {
      lastError = e;
    }
  }
  throw lastError;
}

async function startOnce(binary: string, bucket: string, port: number): Promise<S3TestServer> {
  const child = spawnTestChild(binary, ['-host', `127.0.0.1:${port}`, '-backend', 'memory', '-initialbucket', bucket, '-quiet']);
  // gofakes3 does not check signatures: an unsigned listing answers 200 once it serves.
  await waitUntilReady(
    child,
    `gofakes3 on ${port}`,
    async () => (await httpStatus(port, 'GET', listOnePath(bucket))) === 200,
    START_TIMEOUT_MS,
  );
  return s3TestServer(child, `http://127.0.0.1:${port}`, bucket);
}
