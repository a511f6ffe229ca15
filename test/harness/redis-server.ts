/**
 * Starts a real redis-server for a test suite on a free loopback port (no
 * persistence), waits until it answers PING, and stops it afterwards.
 */
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { readFileSync } from 'node:fs';
import { freePort } from './free-port.js';

/** TLS of a test Redis (redis-server --tls-port …): its certificate and the CA its clients' certificates need. */
export interface RedisTlsFiles {
  /** Server certificate and key (PEM files). */
  readonly certFile: string;
  readonly keyFile: string;
  /** CA bundle of client certificates (redis-server requires one even when clients need no certificate). */
  readonly caFile: string;
  /** Require client certificates (tls-auth-clients yes); with it, `clientCert` answers the readiness PING. */
  readonly clientCert?: { readonly certFile: string; readonly keyFile: string };
}

/** A running Redis test server. */
export interface RedisTestServer {
  /** redis://127.0.0.1:<port>, or rediss:// with TLS */
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
 * With `tls`, the port speaks only TLS (`--port 0 --tls-port <port>`) and the URL is rediss://.
 */
export async function startRedis(port?: number, tls?: RedisTlsFiles): Promise<RedisTestServer> {
  if (port !== undefined) return startOnce(port, tls);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(await freePort(), tls);
    } catch (e) {
      lastError = e; // most likely the port was taken between freePort() and bind: try another
    }
  }
  throw lastError;
}

function tlsArgs(port: number, tls: RedisTlsFiles): string[] {
  return [
    '--port', '0', '--tls-port', String(port), '--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile,
    '--tls-ca-cert-file', tls.caFile, '--tls-auth-clients', tls.clientCert === undefined ? 'no' : 'yes',
  ]; // prettier-ignore
}

async function startOnce(port: number, tls?: RedisTlsFiles): Promise<RedisTestServer> {
  const binary = process.env.REDIS_SERVER ?? 'redis-server';
  const listen = tls === undefined ? ['--port', String(port)] : tlsArgs(port, tls);
  const child = spawn(binary, [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
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
  while (!(await pingOnce(port, tls))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer PING on port ${port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { url: `${tls === undefined ? 'redis' : 'rediss'}://127.0.0.1:${port}`, port, stop };
}

/** True when something on 127.0.0.1:port answers a PING with +PONG within 500 ms. */
function pingOnce(port: number, tls?: RedisTlsFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const client = tls?.clientCert;
    const socket =
      tls === undefined
        ? connect({ host: '127.0.0.1', port })
        : connectTls({
            host: '127.0.0.1',
            port,
            rejectUnauthorized: false,
            ...(client !== undefined ? { cert: readFileSync(client.certFile), key: readFileSync(client.keyFile) } : {}),
          });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => socket.write('PING\r\n'));
    socket.on('data', (d: Buffer) => {
      reply += d.toString('utf8');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
