/**
 * Starts a real S3-compatible server (gofakes3, in-memory backend) for a test
 * suite, on a free loopback port, and stops it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';

/** A running S3 test server. */
export interface S3TestServer {
  /** Base URL, e.g. http://127.0.0.1:40123 (use with forcePathStyle). */
  readonly endpoint: string;
  /** The bucket created at start-up. */
  readonly bucket: string;
  /** The server's process id. */
  readonly pid: number;
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
  const child = spawn(binary, ['-host', `127.0.0.1:${port}`, '-backend', 'memory', '-initialbucket', bucket, '-quiet'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  child.once('error', (e) => {
    stderr += `\n${String(e)}`;
  });
  // Never leave an orphan server behind if the test process exits without stop().
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
    await waitUntilServing(port, bucket, child, () => stderr);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    pid: child.pid ?? -1,
    stop() {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await exited;
      })();
      return stopped;
    },
  };
}

async function waitUntilServing(port: number, bucket: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gofakes3 exited during start-up (code ${child.exitCode}): ${stderr()}`);
    }
    if ((await listStatus(port, bucket)) === 200) return;
    if (Date.now() > deadline) throw new Error(`gofakes3 did not answer on ${port} within ${START_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The HTTP status of an unsigned ListObjectsV2 of the bucket (gofakes3 does not check signatures), or 0. */
function listStatus(port: number, bucket: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpGet(
      { host: '127.0.0.1', port, path: `/${encodeURIComponent(bucket)}?list-type=2&max-keys=1`, timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}
