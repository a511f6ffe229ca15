/**
 * Starts the built SmarterBase server (dist/server/src/main.js) as a child
 * process for cross-process tests, and waits for its "listening" log line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The repository root (this file is test/harness/server-process.ts). */
export const repoRoot = join(__dirname, '..', '..');

/** The compiled server's entry point. */
export const serverMain = join(repoRoot, 'dist', 'server', 'src', 'main.js');

/** A running server process. */
export interface ServerProcess {
  /** The port of the native gRPC server (grpc-js). */
  readonly grpcPort: number;
  /** The port of the Connect / gRPC-Web / gRPC server (connect-node). */
  readonly httpPort: number;
  /** The port of the Prometheus /metrics endpoint (null when metrics are off). */
  readonly metricsPort: number | null;
  /** `http://127.0.0.1:<grpcPort>`, for connect-node's gRPC transport. */
  readonly grpcUrl: string;
  /** The child process. */
  readonly child: ChildProcess;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Sends `signal` (default SIGTERM) and resolves with the exit code once it exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns the server with `env` (SB_* settings) added to this process's
 * environment, on free ports unless the env says otherwise.
 */
export async function startServer(env: Record<string, string>, timeoutMs = 60000): Promise<ServerProcess> {
  if (!existsSync(serverMain)) throw new Error(`${serverMain} is missing: run npm run build first`);
  const child = spawn(process.execPath, [serverMain], {
    cwd: repoRoot,
    env: {
      ...process.env,
      // The S3 test server accepts any credentials; the SDK insists on having some.
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-east-1',
      SB_GRPC_PORT: '0',
      SB_HTTP_PORT: '0',
      SB_METRICS_PORT: '0',
      SB_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ports = await new Promise<{ grpcPort: number; httpPort: number; metricsPort: number | null }>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave it behind: a live child keeps jest waiting for its pipes forever (a CI lane hung so for hours).
      child.kill('SIGKILL');
      reject(new Error(`server did not listen within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${out}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      out += line + '\n';
      if (!line.includes('"listening"')) return;
      const rec = JSON.parse(line) as { msg?: string; grpcPort?: number; httpPort?: number; metricsPort?: number | null };
      if (rec.msg === 'listening' && typeof rec.grpcPort === 'number' && typeof rec.httpPort === 'number') {
        clearTimeout(timer);
        resolve({ grpcPort: rec.grpcPort, httpPort: rec.httpPort, metricsPort: rec.metricsPort ?? null });
      }
    });
  });
  return {
    ...ports,
    grpcUrl: `http://127.0.0.1:${ports.grpcPort}`,
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
