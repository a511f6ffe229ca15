/**
 * `npm start` as a user and a process manager run it (issue 15): it does not
 * rebuild when nothing changed, it prints a banner saying where the server
 * listens and where the data lives, and a SIGTERM to npm stops the server:
 * no process is left listening and the server's pid is gone. Also
 * `--version` through the built entry point and through npm.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot, serverMain } from '../harness/server-process.js';
import { accepts, alive, runToExit } from './run-to-exit.js';

jest.setTimeout(300_000);

const version = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

let dataDir: string;
beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'sb-npm-start-'))));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Polls `cond` every 100 ms until it holds; a hang guard of `ms` fails the test. */
async function eventually(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('--version prints the package version and exits 0, from the entry point and through npm start', async () => {
  const direct = await runToExit(process.execPath, [serverMain, '--version'], {});
  expect(direct).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  const viaNpm = await runToExit(npm, ['start', '--silent', '--prefix', repoRoot, '--', '--version'], {});
  expect(viaNpm.code).toBe(0);
  expect(viaNpm.stdout.trim().split('\n').pop()).toBe(version);
  expect(viaNpm.stderr).not.toContain('building'); // nothing changed since the build: no tsc run
});

test('after npm start the smarterbase CLI runs as an executable file, as npx smarterbase runs it', async () => {
  // `npx smarterbase` execs the package's bin file directly once npm has linked it: tsc writes it
  // without execute bits ("Permission denied" on a second clone at the same path, before the fix).
  const viaNpm = await runToExit(npm, ['start', '--silent', '--prefix', repoRoot, '--', '--version'], {});
  expect(viaNpm.code).toBe(0);
  const cli = join(repoRoot, 'dist', 'clients', 'ts', 'src', 'cli', 'main.js');
  expect(statSync(cli).mode & 0o111).toBe(0o111);
  expect(await runToExit(cli, ['--version'], {})).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
});

test('SIGTERM to npm start stops the server: its pid is gone and no port is left listening', async () => {
  const npmProcess = spawn(npm, ['start', '--prefix', repoRoot], {
    env: {
      ...process.env,
      SB_DATA_DIR: dataDir,
      SB_GRPC_PORT: '0',
      SB_HTTP_PORT: '0',
      SB_METRICS_PORT: '0',
      SB_LOG_FORMAT: 'json',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const npmExited = new Promise<number | null>((resolve) =>
    npmProcess.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
  );
  let out = '';
  npmProcess.stderr.on('data', (d: Buffer) => (out += d.toString()));
  type Listening = { pid: number; grpcPort: number; httpPort: number; metricsPort: number };
  let banner = '';
  const listening = await new Promise<Listening>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error(`npm start did not listen within 240 s:\n${out}`)), 240_000);
    void npmExited.then((code) => reject(new Error(`npm start exited with ${code} before listening:\n${out}`)));
    let found: Listening | undefined;
    createInterface({ input: npmProcess.stdout }).on('line', (line) => {
      out += line + '\n';
      if (!line.startsWith('{')) return;
      const rec = JSON.parse(line) as Listening & { msg: string };
      if (rec.msg === 'listening') found = rec;
      if (found !== undefined && rec.msg.startsWith('SmarterBase ')) {
        banner = rec.msg;
        clearTimeout(guard);
        resolve(found);
      }
    });
  });
  try {
    expect(listening.pid).not.toBe(npmProcess.pid);
    // The banner: version, Node, the three ports, the data directory, coordination, auth, TLS.
    expect(banner).toBe(
      `SmarterBase ${version} (Node ${process.version}) ready: gRPC 127.0.0.1:${listening.grpcPort}, HTTP 127.0.0.1:${listening.httpPort}, ` +
        `metrics 127.0.0.1:${listening.metricsPort}/metrics; storage filesystem ${dataDir}; coordination in-process (one server); auth off; TLS off`,
    );
    for (const port of [listening.grpcPort, listening.httpPort, listening.metricsPort]) expect(await accepts(port)).toBe(true);
  } catch (e) {
    process.kill(listening.pid, 'SIGKILL'); // never leave it behind
    throw e;
  }
  npmProcess.kill('SIGTERM');
  await npmExited;
  try {
    await eventually('the server process exits', () => !alive(listening.pid));
    for (const port of [listening.grpcPort, listening.httpPort, listening.metricsPort]) expect(await accepts(port)).toBe(false);
    expect(out).toContain('"msg":"stopped"');
  } finally {
    if (alive(listening.pid)) process.kill(listening.pid, 'SIGKILL');
  }
});
