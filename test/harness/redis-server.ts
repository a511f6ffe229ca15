/**
 * Starts a real redis-server for a test suite on a free loopback port (no
 * persistence), waits until it answers PING, and stops it afterwards.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './free-port.js';

/** A running Redis test server. */
export interface RedisTestServer {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  /** The TCP port it listens on. */
  readonly port: number;
  /** Kills the server (SIGTERM, then SIGKILL) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
}

/** How long to wait for PONG, in ms. */
const START_TIMEOUT_MS = 10_000;

/**
 * Starts `redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly no` (binary: $REDIS_SERVER or redis-server).
 * With `port`, on that port (e.g. to restart a stopped server empty where its clients expect it).
 */
export async function startRedis(port?: number): Promise<RedisTestServer> {
  if (port !== undefined) return startOnce(port);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort());
    } catch (e) {
      lastError = e; // most likely the port was taken between freePort() and bind: try another
    }
  }
  throw lastError;
}

async function startOnce(port: number): Promise<RedisTestServer> {
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.once('error', (e) => {
    output += `\n${String(e)}`;
  });
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await pingOnce(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer PING on port ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `redis://127.0.0.1:${port}`, port, stop };
}

/** True when something on 127.0.0.1:port answers a PING with +PONG within 500 ms. */
function pingOnce(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
