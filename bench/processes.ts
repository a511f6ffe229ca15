/**
 * Child processes of a benchmark run: gofakes3, the SmarterBase server, the
 * echo server and load workers. Every process binds 127.0.0.1 only, and is
 * killed by its own pid when the run ends (stop() is idempotent).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** How long a child may take to start listening, in ms. */
const START_TIMEOUT_MS = 20_000;

/** A running child process that reported (or was probed for) its ports. */
export interface RunningProcess {
  /** The child's pid. */
  readonly pid: number;
  /** The gRPC port (server and echo server) or the S3 port (gofakes3). */
  readonly port: number;
  /** The HTTP port the server reported, when it reported one. */
  readonly httpPort?: number;
  /** The last lines the child wrote to stderr/stdout, for error messages. */
  output(): string;
  /** Kills the child (SIGTERM, then SIGKILL after 3 s) and waits for it to exit. Idempotent. */
  stop(): Promise<void>;
  /** How the child exited ("code 1", "signal SIGKILL"), or undefined while it runs. */
  exitStatus?(): string | undefined;
}

/** The repository root: the nearest ancestor of this file holding package.json and bench/. */
export function repoRoot(): string {
  let dir = __dirname;
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'bench'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`repository root not found above ${__dirname}`);
    dir = parent;
  }
}

/** Path of the compiled server entry point (`npm run build` makes it). */
export function serverMainPath(): string {
  return join(repoRoot(), 'dist', 'server', 'src', 'main.js');
}

/** Path of a compiled bench script, e.g. `echo-server.js`. */
export function benchScriptPath(file: string): string {
  return join(repoRoot(), 'dist', 'bench', file);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => (err || port === 0 ? reject(err ?? new Error('no port')) : resolve(port)));
    });
  });
}

/** Starts gofakes3 (memory backend, one bucket) on a free port; resolves once it accepts connections. */
export async function startGofakes3(bucket: string): Promise<RunningProcess> {
  const binary = process.env.GOFAKES3 ?? join(repoRoot(), '.tools', 'bin', 'gofakes3');
  if (!existsSync(binary)) throw new Error(`gofakes3 not found at ${binary}: run \`bash scripts/setup.sh\``);
  const port = await freePort();
  const child = spawn(binary, ['-host', `127.0.0.1:${port}`, '-backend', 'memory', '-initialbucket', bucket, '-quiet'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const handle = track(child, port);
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`gofakes3 exited during start-up: ${handle.output()}`);
    }
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`gofakes3 did not listen on ${port} within ${START_TIMEOUT_MS} ms`);
    }
    await sleep(25);
  }
  return handle;
}

/**
 * Starts a Node script that logs a JSON line with `"msg":"listening"` and a
 * numeric `grpcPort` (and optionally `httpPort`) on stdout; resolves once it has.
 * `onLine`, when given, sees every later stdout line too (e.g. to count warnings).
 */
export async function startListening(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  onLine?: (line: string) => void,
): Promise<RunningProcess> {
  if (!existsSync(script)) throw new Error(`${script} not found: run \`npm run build\` first`);
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let ports: { grpcPort: number; httpPort?: number } | undefined;
  const handle = track(child, 0, (line) => {
    if (ports) return onLine?.(line);
    if (!line.startsWith('{')) return;
    try {
      const rec = JSON.parse(line) as Record<string, unknown>;
      if (rec.msg === 'listening' && typeof rec.grpcPort === 'number') {
        ports = { grpcPort: rec.grpcPort, httpPort: typeof rec.httpPort === 'number' ? rec.httpPort : undefined };
      }
    } catch {
      // not a JSON log line
    }
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!ports) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${script} exited during start-up (code ${child.exitCode}): ${handle.output()}`);
    }
    if (Date.now() > deadline) {
      await handle.stop();
      throw new Error(`${script} did not log "listening" within ${START_TIMEOUT_MS} ms: ${handle.output()}`);
    }
    await sleep(20);
  }
  const found = ports;
  return { ...handle, port: found.grpcPort, httpPort: found.httpPort };
}

/**
 * Runs a Node script to completion and resolves with the JSON value of the last
 * line it printed on stdout; rejects when it exits non-zero or prints no JSON.
 */
export function runJsonScript(script: string, args: string[]): Promise<unknown> {
  if (!existsSync(script)) return Promise.reject(new Error(`${script} not found: run \`npm run build\` first`));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0) return reject(new Error(`${script} exited with ${code ?? signal}: ${stderr}`));
      try {
        resolve(JSON.parse(last));
      } catch {
        reject(new Error(`${script} printed no JSON result: ${stdout.slice(-500)} ${stderr}`));
      }
    });
  });
}

function track(child: ChildProcess, port: number, onLine?: (line: string) => void): RunningProcess {
  let tail = '';
  let partial = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-4000);
  };
  child.stderr?.on('data', keep);
  child.stdout?.on('data', (chunk: Buffer) => {
    keep(chunk);
    if (!onLine) return;
    partial += chunk.toString('utf8');
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) onLine(line.trim());
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const exitStatus = () =>
    child.signalCode !== null ? `signal ${child.signalCode}` : child.exitCode !== null ? `code ${child.exitCode}` : undefined;
  let stopping: Promise<void> | undefined;
  return {
    pid: child.pid ?? -1,
    port,
    output: () => tail,
    exitStatus,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
