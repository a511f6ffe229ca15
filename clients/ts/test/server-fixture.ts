/**
 * The live-server fixture shared by the client suites: uses the server named
 * by SMARTERBASE_GRPC_ADDR (and SMARTERBASE_HTTP_URL for the Connect
 * transport) when set; otherwise spawns the built server with in-memory
 * storage on free ports and stops it afterwards.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { createClient, type SmarterBaseClient } from '../src/index.js';

/** Where the tests find the server. */
export interface LiveServer {
  /** "host:port" of the gRPC port. */
  readonly grpcAddress: string;
  /** Base URL of the HTTP (Connect) port, or undefined when an external server gave none. */
  readonly httpUrl: string | undefined;
  /** Stops the server if this fixture started it. */
  stop(): Promise<void>;
}

/** The repository root (clients/ts/test → ../../..). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** True when the tests will run against an external server without an HTTP URL (Connect transport then skipped). */
export function connectTransportAvailable(): boolean {
  return !process.env.SMARTERBASE_GRPC_ADDR || !!process.env.SMARTERBASE_HTTP_URL;
}

/** Starts (or locates) the server. */
export async function startServer(): Promise<LiveServer> {
  const external = process.env.SMARTERBASE_GRPC_ADDR;
  if (external) {
    return { grpcAddress: external, httpUrl: process.env.SMARTERBASE_HTTP_URL || undefined, stop: async () => undefined };
  }
  return startOwnServer();
}

/**
 * Starts a server process of this test's own (in-memory storage), even when
 * SMARTERBASE_GRPC_ADDR names a shared one: for tests that need server
 * settings of their own, e.g. SB_FAILPOINTS.
 */
export async function startOwnServer(env: Record<string, string> = {}): Promise<LiveServer> {
  const main = path.join(REPO_ROOT, 'dist', 'server', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (or set SMARTERBASE_GRPC_ADDR)`);
  const child = spawn(process.execPath, [main, '--storage', 'memory', '--grpc-port', '0', '--http-port', '0', '--metrics-port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { grpcPort, httpPort } = await waitForListening(child, 30_000);
  return {
    grpcAddress: `127.0.0.1:${grpcPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    stop: () => stopChild(child),
  };
}

function waitForListening(child: ChildProcess, timeoutMs: number): Promise<{ grpcPort: number; httpPort: number }> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const fail = (why: string): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${why}\nstderr:\n${stderr.slice(-4000)}`));
    };
    const timer = setTimeout(() => fail(`server did not log "listening" within ${timeoutMs} ms`), timeoutMs);
    child.once('exit', (code, signal) => fail(`server exited early (code ${code}, signal ${signal})`));
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      let rec: { msg?: unknown; grpcPort?: unknown; httpPort?: unknown };
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      if (rec.msg === 'listening' && typeof rec.grpcPort === 'number' && typeof rec.httpPort === 'number') {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        lines.removeAllListeners('line');
        child.stdout?.resume();
        resolve({ grpcPort: rec.grpcPort, httpPort: rec.httpPort });
      }
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A collection name unique to this run: prefix + random suffix. */
export function uniqueCollection(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

/** The transports a live suite runs over: gRPC, plus Connect when the server's HTTP port is known. */
export const LIVE_TRANSPORTS: readonly ('grpc' | 'connect')[] = connectTransportAvailable() ? ['grpc', 'connect'] : ['grpc'];

/**
 * Starts (or locates) the server for the whole test file (beforeAll / afterAll)
 * and returns an accessor for it.
 */
export function useLiveServer(): () => LiveServer {
  let server: LiveServer | undefined;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server?.stop();
  });
  return () => {
    if (server === undefined) throw new Error('the live server is not started yet (use it inside tests or hooks)');
    return server;
  };
}

/**
 * Makes clients of `server` over `transport` with a call timeout; every
 * client made is closed after the enclosing describe block.
 */
export function liveClients(server: () => LiveServer, transport: 'grpc' | 'connect', timeoutMs: number): () => SmarterBaseClient {
  const made: SmarterBaseClient[] = [];
  afterAll(() => {
    for (const c of made) c.close();
  });
  return () => {
    const s = server();
    const c =
      transport === 'grpc'
        ? createClient({ address: s.grpcAddress, transport: 'grpc', timeoutMs })
        : createClient({ baseUrl: s.httpUrl!, transport: 'connect', timeoutMs });
    made.push(c);
    return c;
  };
}
