/**
 * Starts a real versitygw (posix backend, metadata in a sidecar directory) for
 * a test suite, on a free loopback port with its own temporary directories, and
 * stops it afterwards. Same shape as the gofakes3 harness (S3TestServer), so a
 * suite can take either. Credentials are test/test, as server-process.ts sets.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';
import type { S3TestServer } from './s3-server.js';

/** The version scripts/setup.sh installs (also written to .tools/bin/.versitygw.version). */
export const VERSITYGW_VERSION = 'v1.8.0';

/** Where scripts/setup.sh installs versitygw: $VERSITYGW when set, else the first .tools/bin/versitygw walking up. */
export function versitygwPath(): string {
  if (process.env.VERSITYGW) return process.env.VERSITYGW;
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, '.tools', 'bin', 'versitygw');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return join(__dirname, '..', '..', '.tools', 'bin', 'versitygw');
    dir = parent;
  }
}

/** How long to wait for the gateway to answer its health path, in ms. */
const START_TIMEOUT_MS = 15_000;
const HEALTH_PATH = '/sb-health';

/**
 * Starts `versitygw --port 127.0.0.1:PORT posix --sidecar META DATA` with the
 * bucket created as the folder DATA/<bucket> (names need ≥ 3 characters), and
 * resolves once its health path answers 200. Retries on another port (up to 3
 * times) if the chosen one was taken meanwhile. stop() also removes the temp dirs.
 */
export async function startVersitygw(bucket = 'sb-test'): Promise<S3TestServer> {
  const binary = versitygwPath();
  if (!existsSync(binary)) {
    throw new Error(`versitygw not found at ${binary}: run \`bash scripts/setup.sh\` first`);
  }
  if (bucket.length < 3) throw new Error(`versitygw bucket names need at least 3 characters: ${bucket}`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const root = await mkdtemp(join(tmpdir(), 'sb-vgw-'));
    try {
      return await startOnce(binary, bucket, await freePort(), root);
    } catch (e) {
      lastError = e;
      await rm(root, { recursive: true, force: true });
    }
  }
  throw lastError;
}

async function startOnce(binary: string, bucket: string, port: number, root: string): Promise<S3TestServer> {
  const data = join(root, 'data');
  const meta = join(root, 'meta');
  await mkdir(join(data, bucket), { recursive: true });
  await mkdir(meta, { recursive: true });
  const args = ['--port', `127.0.0.1:${port}`, '--health', HEALTH_PATH, '--quiet', 'posix', '--sidecar', meta, data];
  const child = spawn(binary, args, {
    env: { ...process.env, ROOT_ACCESS_KEY: 'test', ROOT_SECRET_KEY: 'test' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  child.once('error', (e) => {
    stderr += `\n${String(e)}`;
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
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`versitygw exited during start-up (code ${child.exitCode}): ${stderr}`);
      }
      if ((await healthStatus(port)) === 200) break;
      if (Date.now() > deadline) throw new Error(`versitygw did not answer on ${port} within ${START_TIMEOUT_MS} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
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
        await rm(root, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** The HTTP status of the unauthenticated health path, or 0. */
function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port, path: HEALTH_PATH, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
  });
}
