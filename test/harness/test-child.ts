/**
 * A server process a test suite starts and must never leave behind: spawned
 * with its stderr's tail kept for error messages, SIGKILLed if the test
 * process exits first, waited for until it serves, and stopped once. The S3
 * test servers (gofakes3, versitygw, moto, S3Mock) are built on it.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { request, type IncomingMessage } from 'node:http';
import { request as requestTls } from 'node:https';
import type { S3TestServer } from './s3-server.js';

/** How much of a child's stderr is kept for error messages, in characters. */
const STDERR_TAIL = 4000;

/** A running child process of a test. */
export interface TestChild {
  readonly process: ChildProcess;
  /** The last STDERR_TAIL characters the child wrote to stderr (and a spawn error, if any). */
  stderr(): string;
  /** True once the child has exited. */
  hasExited(): boolean;
  /** SIGKILLs the child unless it already exited, and waits for its exit. Idempotent. */
  kill(): Promise<void>;
}

/** Spawns `command` with stdout ignored and stderr kept (see TestChild). */
export function spawnTestChild(command: string, args: readonly string[], options: Pick<SpawnOptions, 'env'> = {}): TestChild {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
  });
  child.once('error', (e) => {
    stderr += `\n${String(e)}`;
  });
  // Never leave an orphan server behind if the test process exits without stopping it.
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
  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  return {
    process: child,
    stderr: () => stderr,
    hasExited,
    async kill() {
      if (!hasExited()) child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Polls `ready` every `pollMs` until it is true. Throws (after killing the
 * child) when the child exits first or `timeoutMs` passes, naming `name` and
 * quoting its stderr.
 */
export async function waitUntilReady(
  child: TestChild,
  name: string,
  ready: () => Promise<boolean>,
  timeoutMs: number,
  pollMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.hasExited()) throw new Error(`${name} exited during start-up (code ${child.process.exitCode}): ${child.stderr()}`);
      if (await ready()) return;
      if (Date.now() > deadline) throw new Error(`${name} did not become ready within ${timeoutMs} ms: ${child.stderr()}`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } catch (e) {
    await child.kill();
    throw e;
  }
}

/** The S3TestServer of a started child; stop() kills it, then runs `cleanup` (e.g. removes its temp dirs). Idempotent. */
export function s3TestServer(child: TestChild, endpoint: string, bucket: string, cleanup?: () => Promise<void>): S3TestServer {
  let stopped: Promise<void> | undefined;
  return {
    endpoint,
    bucket,
    pid: child.process.pid ?? -1,
    stop() {
      stopped ??= (async () => {
        await child.kill();
        await cleanup?.();
      })();
      return stopped;
    },
  };
}

/** The HTTP status of an unsigned request to 127.0.0.1:port (https without verification when `tls`), or 0 when nothing answers within timeoutMs. */
export function httpStatus(port: number, method: string, path: string, timeoutMs = 1000, tls = false): Promise<number> {
  return new Promise((resolve) => {
    const options = { host: '127.0.0.1', port, method, path, timeout: timeoutMs };
    const onResponse = (res: IncomingMessage): void => {
      res.resume();
      resolve(res.statusCode ?? 0);
    };
    const req = tls ? requestTls({ ...options, rejectUnauthorized: false }, onResponse) : request(options, onResponse);
    req.once('timeout', () => req.destroy());
    req.once('error', () => resolve(0));
    req.end();
  });
}

/** The path of an unsigned ListObjectsV2 of one key of `bucket` (an S3 server's readiness probe). */
export function listOnePath(bucket: string): string {
  return `/${encodeURIComponent(bucket)}?list-type=2&max-keys=1`;
}
