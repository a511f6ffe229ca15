/**
 * The smarterbase CLI (issue 15 item 1) against a live embedded server
 * (filesystem storage, local coordination): every command run as a child
 * process, export → delete all → import of 10,000 documents, the error lines
 * of a bad filter and of an unreachable server, profiles, usage errors and
 * the completion scripts.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { refusedPort } from '../harness/free-port.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { cliOk, jsonLines, runCli } from './cli-run.js';
import { at, documentsScenario, exportImportScenario, indexScenario, lockScenario, queryScenario, watchScenario } from './cli-scenarios.js';

jest.setTimeout(900_000);

let dir: string;
let server: ServerProcess;
let addr: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
  server = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: join(dir, 'data'), SB_COORDINATION: 'local' });
  addr = `127.0.0.1:${server.grpcPort}`;
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

it('health answers SERVING and exits 0', async () => {
  expect(await cliOk([...at(addr), 'health'])).toMatch(new RegExp(`^${addr}: SERVING \\(\\d+ ms\\)\\n$`));
  expect(JSON.parse(await cliOk([...at(addr), 'health', '--json']))).toMatchObject({ addr, status: 'SERVING' });
});

it('get, put, delete and list', () => documentsScenario(addr, 'cli_docs'));

it('query, count, explain and a bad filter', () => queryScenario(addr, 'cli_query'));

it('index create, list, get and drop', () => indexScenario(addr, 'cli_query'));

it('lock list, get and release', () => lockScenario(addr, 'cli-lock'));

it('watch prints the changes after a revision as JSONL', () => watchScenario(addr, 'cli_watch'));

it('export, delete all, import: 10,000 identical documents; import --resume writes only what differs', () =>
  exportImportScenario(addr, 'cli_big', 10_000));

it('object put, get (file and stdout), ls and rm', async () => {
  const a = at(addr);
  const src = join(dir, 'hello.bin');
  const bytes = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
  writeFileSync(src, bytes);
  const info = JSON.parse(
    await cliOk([...a, 'object', 'put', 'cli_files', 'hello.bin', src, '--content-type', 'application/x-test', '--json']),
  ) as {
    sizeBytes: string;
  };
  expect(info.sizeBytes).toBe(String(bytes.length));
  const fromStdin = JSON.parse(await cliOk([...a, 'object', 'put', 'cli_files', 'small.txt', '--json'], { input: 'hi there' })) as {
    sizeBytes: string;
  };
  expect(fromStdin.sizeBytes).toBe('8');
  const dst = join(dir, 'copy.bin');
  await cliOk([...a, 'object', 'get', 'cli_files', 'hello.bin', dst]);
  expect(readFileSync(dst).equals(bytes)).toBe(true);
  expect(await cliOk([...a, 'object', 'get', 'cli_files', 'small.txt'])).toBe('hi there');
  const ls = JSON.parse(await cliOk([...a, 'object', 'ls', 'cli_files', '--json'])) as { id: string; contentType: string }[];
  expect(ls.map((o) => o.id)).toEqual(['hello.bin', 'small.txt']);
  expect(ls[0].contentType).toBe('application/x-test');
  expect(JSON.parse(await cliOk([...a, 'object', 'rm', 'cli_files', 'small.txt', '--json']))).toEqual({ deleted: true });
  expect(JSON.parse(await cliOk([...a, 'object', 'rm', 'cli_files', 'small.txt', '--json']))).toEqual({ deleted: false });
});

it('log append (arguments and stdin), read and follow', async () => {
  const a = at(addr);
  expect(JSON.parse(await cliOk([...a, 'log', 'append', 'cli-log', '{"e":1}', '"two"', '--json']))).toEqual({
    firstSequence: '1',
    lastSequence: '2',
    lines: 2,
  });
  expect(JSON.parse(await cliOk([...a, 'log', 'append', 'cli-log', '--json'], { input: '{"e":3}\n\n[4]\n' }))).toMatchObject({
    lines: 2,
    lastSequence: '4',
  });
  const read = jsonLines(await cliOk([...a, 'log', 'read', 'cli-log']));
  expect(read.map((r) => (r as { line: unknown }).line)).toEqual([{ e: 1 }, 'two', { e: 3 }, [4]]);
  expect(read.map((r) => (r as { sequence: string }).sequence)).toEqual(['1', '2', '3', '4']);
  // follow from sequence 3: the two stored lines, then one appended while it follows.
  const follow = runCli([...a, 'log', 'follow', 'cli-log', '--from', '3', '--max', '3'], { timeoutMs: 120_000 });
  await cliOk([...a, 'log', 'append', 'cli-log', '"five"']);
  const followed = await follow;
  expect(followed.code).toBe(0);
  expect(jsonLines(followed.stdout).map((r) => (r as { line: unknown }).line)).toEqual([{ e: 3 }, [4], 'five']);
});

it('an unreachable server: one UNAVAILABLE line naming the address and the setting, exit code 1', async () => {
  const port = await refusedPort();
  const r = await runCli(['--addr', `127.0.0.1:${port}`, 'get', 'c', 'x']);
  expect(r.code).toBe(1);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(
    new RegExp(
      `^error: UNAVAILABLE: cannot reach 127\\.0\\.0\\.1:${port} \\([^\\n]*\\): is the server running\\? \\(--addr / SMARTERBASE_ADDR\\)\\n$`,
    ),
  );
  const viaEnv = await runCli(['health', '--json'], { env: { SMARTERBASE_ADDR: `127.0.0.1:${port}` } });
  expect(viaEnv.code).toBe(1);
  expect(JSON.parse(viaEnv.stderr)).toMatchObject({
    error: { code: 'UNAVAILABLE', hint: 'is the server running? (--addr / SMARTERBASE_ADDR)' },
  });
});

it('the address comes from a profile, and a flag overrides it', async () => {
  const file = join(dir, 'profiles.json');
  writeFileSync(file, JSON.stringify({ default: 'dead', profiles: { dead: { addr: '127.0.0.1:1' }, live: { addr } } }));
  const env = { SMARTERBASE_PROFILES: file };
  expect(await cliOk(['--profile', 'live', 'health'], { env })).toContain('SERVING');
  const byDefault = await runCli(['health'], { env });
  expect(byDefault.stderr).toMatch(/^error: UNAVAILABLE: cannot reach 127\.0\.0\.1:1 /);
  expect(await cliOk(['--addr', addr, 'health'], { env })).toContain('SERVING');
  const missing = await runCli(['--profile', 'nope', 'health'], { env });
  expect(missing.code).toBe(2);
  expect(missing.stderr).toBe(`error: no profile "nope" in ${file} (it has: dead, live)\n`);
});

it('usage errors exit with 2 and send nothing', async () => {
  const r = await runCli([...at(addr), 'put', 'c', 'x', '-d', '[1]']);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('error: --data must be a JSON object\n');
  const unknown = await runCli(['frobnicate']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toMatch(/unknown command 'frobnicate'/);
  const badLimit = await runCli([...at(addr), 'query', 'c', '--limit', 'ten']);
  expect(badLimit.code).toBe(2);
  expect(badLimit.stderr).toBe('error: --limit must be a whole number >= 0 (got "ten")\n');
});

it('completion scripts are valid bash and complete commands, subcommands and flags', async () => {
  const bash = await cliOk(['completion', 'bash']);
  const script = join(dir, 'complete.bash');
  writeFileSync(script, bash);
  execFileSync('bash', ['-n', script]);
  // Ask the completion function itself what it offers after "smarterbase index c" and "smarterbase list users --a".
  const ask = (line: string): string[] =>
    execFileSync('bash', [
      '-c',
      `source ${script}; COMP_WORDS=(${line}); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); _smarterbase_complete; echo "\${COMPREPLY[@]}"`,
    ])
      .toString()
      .trim()
      .split(/\s+/);
  expect(ask('smarterbase index c')).toEqual(['create']);
  expect(ask('smarterbase list users --a')).toEqual(expect.arrayContaining(['--all', '--addr', '--api-key', '--api-key-file']));
  expect(ask('smarterbase ex')).toEqual(['explain', 'export']);
  const zsh = await cliOk(['completion', 'zsh']);
  expect(zsh).toContain('bashcompinit');
  expect(zsh).toContain('complete -o default -F _smarterbase_complete smarterbase');
});
