/**
 * `smarterbase bench` (issue 15 item 2) against a live embedded server: the
 * open-loop run issues exactly rate × duration operations in the mix's
 * proportions and writes its JSON report and HTML page; a server killed
 * mid-run shows as failed operations by code, a report all the same, and
 * exit code 1.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docClient } from '../harness/doc-client.js';
import { eventually } from '../harness/raw-wire.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { cliOk, runCli } from './cli-run.js';
import { at } from './cli-scenarios.js';

jest.setTimeout(180_000);

let dir: string;
let server: ServerProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-bench-'));
  server = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: join(dir, 'data'), SB_COORDINATION: 'local' });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Report {
  due: number;
  sent: number;
  completed: number;
  failed: number;
  stopped: boolean;
  kinds: Record<
    string,
    { latencyMs: { count: number; p50: number; max: number }; serviceMs: { p50: number }; outcomes: Record<string, number> }
  >;
  seconds: { completed: number }[];
  curves: { percentiles: number[]; latencyMs: Record<string, number[]> };
}

it('issues rate × duration operations in the mix, seeds the key space, writes the JSON report and the HTML page', async () => {
  const addr = `127.0.0.1:${server.grpcPort}`;
  const json = join(dir, 'run.json');
  const html = join(dir, 'run.html');
  const args = ['bench', '--rate', '100', '--duration', '3', '--keys', '100', '--collection', 'bench_ok', '--report', json, '--html', html];
  const out = await runCli([...at(addr), ...args]);
  expect(out.code).toBe(0);
  expect(out.stderr).toMatch(/seeding 100 documents into bench_ok/);
  expect(out.stdout).toMatch(/target 100\/s for 3 s → 300 done/);
  const r = JSON.parse(readFileSync(json, 'utf8')) as Report;
  expect(r).toMatchObject({ due: 300, sent: 300, completed: 300, failed: 0, stopped: false });
  // The default mix get=70,put=15,put-if-match=5,query=5,commit=5, exactly.
  const counts = Object.fromEntries(Object.entries(r.kinds).map(([k, v]) => [k, v.latencyMs.count]));
  expect(counts).toEqual({ get: 210, put: 45, 'put-if-match': 15, query: 15, commit: 15 });
  for (const [kind, k] of Object.entries(r.kinds)) {
    expect(Object.keys(k.outcomes).filter((o) => o !== 'ok' && o !== 'conflict')).toEqual([]);
    expect(k.latencyMs.p50).toBeGreaterThanOrEqual(k.serviceMs.p50 - 0.01);
    expect(k.latencyMs.max).toBeGreaterThan(0);
    void kind;
  }
  expect(r.seconds.reduce((a, s) => a + s.completed, 0)).toBe(300);
  expect(r.curves.latencyMs['all']).toHaveLength(r.curves.percentiles.length);
  // The key space exists, with the group index the queries used.
  expect(await cliOk([...at(addr), 'count', 'bench_ok'])).toMatch(/^100\b/);
  expect(await cliOk([...at(addr), 'index', 'get', 'bench_ok', 'bench_group', '--json'])).toMatch(/"state":"ready"/);
  const page = readFileSync(html, 'utf8');
  expect(page).toMatch(/^<!doctype html>/);
  expect(page).toContain('"completed":300');
  // --json prints the report itself on stdout.
  const again = await runCli([...at(addr), '--json', ...args.slice(0, 9), '--duration', '1', '--mix', 'get=1']);
  expect(again.code).toBe(0);
  expect(JSON.parse(again.stdout)).toMatchObject({ due: 100, completed: 100, failed: 0, kinds: { get: { latencyMs: { count: 100 } } } });
});

it('a server killed mid-run: failed operations by code, the report still written, exit code 1', async () => {
  const victim = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: join(dir, 'victim'), SB_COORDINATION: 'local' });
  const json = join(dir, 'killed.json');
  const bench = 'bench_killed';
  const run = runCli([
    ...at(`127.0.0.1:${victim.grpcPort}`),
    '--timeout',
    '1000',
    'bench',
    '--rate',
    '50',
    '--duration',
    '6',
    '--keys',
    '20',
    '--collection',
    bench,
    '--report',
    json,
  ]);
  // Kill it once the run is under way: the key space is seeded first (20 documents), then ~1.5 s of the run.
  const docs = docClient(victim.grpcUrl);
  const seeded = async (): Promise<boolean> =>
    (await docs.list({ collection: bench, pageSize: 100 }).catch(() => undefined))?.documents.length === 20;
  expect(await eventually(seeded, 60_000)).toBe(true);
  await new Promise((r) => setTimeout(r, 1500));
  victim.child.kill('SIGKILL');
  const out = await run;
  expect(out.code).toBe(1);
  expect(out.stderr).toMatch(/operations failed \(more than --max-error-rate 0\.01\)/);
  expect(existsSync(json)).toBe(true);
  const r = JSON.parse(readFileSync(json, 'utf8')) as Report;
  expect(r.completed).toBe(300);
  expect(r.failed).toBeGreaterThan(0);
  expect(r.completed - r.failed).toBeGreaterThan(0);
  const codes = new Set(Object.values(r.kinds).flatMap((k) => Object.keys(k.outcomes)));
  expect([...codes].some((c) => c.startsWith('UNAVAILABLE') || c.startsWith('DEADLINE_EXCEEDED'))).toBe(true);
});
