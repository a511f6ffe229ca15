/**
 * Starts moto's S3 server (`moto_server`, Python, in-memory) on a free loopback
 * port and creates the bucket. Not installed by setup: it is tested by hand
 * (`SB_TEST_S3=moto`, with $MOTO_SERVER naming the binary, e.g. one in a
 * scratch venv: `python3 -m venv V && V/bin/pip install 'moto[server]'`).
 */
import { existsSync } from 'node:fs';
import { freePort } from './free-port.js';
import type { S3TestServer } from './s3-server.js';
import { httpStatus, s3TestServer, spawnTestChild, waitUntilReady } from './test-child.js';

/** How long to wait for the server to answer, in ms (it is a Python start-up). */
const START_TIMEOUT_MS = 30_000;

/** Starts `moto_server -H 127.0.0.1 -p PORT`, waits for it and creates `bucket` (moto does not check signatures). */
export async function startMotoServer(bucket = 'sb-test'): Promise<S3TestServer> {
  const binary = process.env.MOTO_SERVER ?? 'moto_server';
  if (binary.includes('/') && !existsSync(binary)) throw new Error(`moto_server not found at ${binary}`);
  const port = await freePort();
  const child = spawnTestChild(binary, ['-H', '127.0.0.1', '-p', String(port)]);
  // The first PUT of the bucket that answers 200 both proves the server up and creates the bucket.
  const created = async (): Promise<boolean> => (await httpStatus(port, 'PUT', `/${encodeURIComponent(bucket)}`, 2000)) === 200;
  await waitUntilReady(child, `moto_server on ${port}`, created, START_TIMEOUT_MS, 100);
  return s3TestServer(child, `http://127.0.0.1:${port}`, bucket);
}
