/**
 * Starts moto's S3 server (`moto_server`, Python, in-memory) on a free loopback
 * port and creates the bucket. Not installed by setup: it is tested by hand
 * (`SB_TEST_S3=moto`, with $MOTO_SERVER naming the binary, e.g. one in a
 * scratch venv: `python3 -m venv V && V/bin/pip install 'moto[server]'`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { freePort } from './free-port.js';
import type { S3TestServer } from './s3-server.js';

/** How long to wait for the server to answer, in ms (it is a Python start-up). */
const START_TIMEOUT_MS = 30_000;

/** Starts `moto_server -H 127.0.0.1 -p PORT`, waits for it and creates `bucket` (moto does not check signatures). */
export async function startMotoServer(bucket = 'sb-test'): Promise<S3TestServer> {
  const binary = process.env.MOTO_SERVER ?? 'moto_server';
  if (binary.includes('/') && !existsSync(binary)) throw new Error(`moto_server not found at ${binary}`);
  const port = await freePort();
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
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
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`moto_server exited during start-up: ${stderr}`);
      const status = await send(port, 'PUT', `/${encodeURIComponent(bucket)}`);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`moto_server did not create the bucket on ${port} (last status ${status}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
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
      })();
      return stopped;
    },
  };
}

/** The HTTP status of an unsigned request, or 0 when nothing answers. */
function send(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method, path, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}
