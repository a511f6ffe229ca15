/**
 * Starts a real versitygw (posix backend, metadata in a sidecar directory) for
 * a test suite, on a free loopback port with its own temporary directories, and
 * stops it afterwards. With `tls` (a certificate and key) it serves https only. Same shape as the gofakes3 harness (S3TestServer), so a
 * suite can take either. Credentials are test/test, as server-process.ts sets.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';
import type { S3TestServer } from './s3-server.js';
import { httpStatus, s3TestServer, spawnTestChild, waitUntilReady } from './test-child.js';

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
export async function startVersitygw(
  bucket = 'sb-test',
  tls?: { readonly certFile: string; readonly keyFile: string },
): Promise<S3TestServer> {
  const binary = versitygwPath();
  if (!existsSync(binary)) {
    throw new Error(`versitygw not found at ${binary}: run \`bash scripts/setup.sh\` first`);
  }
  if (bucket.length < 3) throw new Error(`versitygw bucket names need at least 3 characters: ${bucket}`);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const root = await mkdtemp(join(tmpdir(), 'sb-vgw-'));
    try {
      return await startOnce(binary, bucket, await freePort(), root, tls);
    } catch (e) {
      lastError = e;
      await rm(root, { recursive: true, force: true });
    }
  }
  throw lastError;
}

async function startOnce(
  binary: string,
  bucket: string,
  port: number,
  root: string,
  tls?: { readonly certFile: string; readonly keyFile: string },
): Promise<S3TestServer> {
  const data = join(root, 'data');
  const meta = join(root, 'meta');
  await mkdir(join(data, bucket), { recursive: true });
  await mkdir(meta, { recursive: true });
  const certArgs = tls === undefined ? [] : ['--cert', tls.certFile, '--key', tls.keyFile];
  const args = ['--port', `127.0.0.1:${port}`, ...certArgs, '--health', HEALTH_PATH, '--quiet', 'posix', '--sidecar', meta, data];
  const child = spawnTestChild(binary, args, { env: { ...process.env, ROOT_ACCESS_KEY: 'test', ROOT_SECRET_KEY: 'test' } });
  const ready = async (): Promise<boolean> => (await httpStatus(port, 'GET', HEALTH_PATH, 1000, tls !== undefined)) === 200;
  await waitUntilReady(child, `versitygw on ${port}`, ready, START_TIMEOUT_MS);
  const scheme = tls === undefined ? 'http' : 'https';
  return {
    ...s3TestServer(child, `${scheme}://127.0.0.1:${port}`, bucket, () => rm(root, { recursive: true, force: true })),
    dataDir: data,
  };
}
