/**
 * deploy/healthcheck.js, the check compose and the Kubernetes probes run in
 * the image: against a live server it reports SERVING for the server and its
 * subsystems and exits 0; for a service the server does not know, or a port
 * nobody listens on, it exits 1.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refusedPort } from '../harness/free-port.js';
import { repoRoot, startServer, type ServerProcess } from '../harness/server-process.js';
import { runToExit } from '../startup/run-to-exit.js';

jest.setTimeout(120_000);

const script = join(repoRoot, 'deploy', 'healthcheck.js');
let server: ServerProcess;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'sb-healthcheck-'));
  server = await startServer({ SB_DATA_DIR: dataDir, SB_LOG_FORMAT: 'json' });
});
afterAll(async () => {
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test('a live server: the server, its storage and coordination are SERVING, exit 0', async () => {
  const run = await runToExit(process.execPath, [script, '', 'smarterbase.storage', 'smarterbase.coordination'], {
    SB_HTTP_PORT: String(server.httpPort),
  });
  expect(run).toEqual({
    code: 0,
    stdout: '(server): SERVING\nsmarterbase.storage: SERVING\nsmarterbase.coordination: SERVING\n',
    stderr: '',
  });
});

test('an unknown service or no server: exit 1 with the reason', async () => {
  const unknown = await runToExit(process.execPath, [script, 'no.such.Service'], { SB_HTTP_PORT: String(server.httpPort) });
  expect(unknown.code).toBe(1);
  expect(unknown.stdout).toMatch(/^no\.such\.Service: (?!SERVING)/);
  const port = await refusedPort();
  const nobody = await runToExit(process.execPath, [script], { SB_HTTP_PORT: String(port) });
  expect(nobody).toEqual({ code: 1, stdout: `(server): connect ECONNREFUSED 127.0.0.1:${port}\n`, stderr: '' });
});
