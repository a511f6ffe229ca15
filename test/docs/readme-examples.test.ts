/**
 * The README's shell examples run as printed (issue 15, "Docs that are
 * true"), so they cannot rot: every ```sh block of README.md, in order, in
 * one bash session against a live embedded server (ports substituted for
 * 127.0.0.1:50051 / localhost:50051 and :8080). In a block, a line starting
 * with `$ ` is a command and the lines after it, up to a blank line, its
 * expected output; in a block without `$`, each statement is a command and a
 * `# {…}` comment right after it its expected output. Expected output is
 * compared with whitespace removed, `…` / `...` matching anything. Every
 * command must exit 0. A block preceded by `<!-- readme-test: skip REASON -->`
 * is not run (the reason is required; the list of skipped blocks is
 * asserted, so a new skip is a visible change).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { startServer, type ServerProcess } from '../harness/server-process.js';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');

/** One command of an example and what the README shows it printing (undefined: not shown). */
interface Step {
  readonly command: string;
  readonly expected?: string;
}

/** A ```sh block: its steps, or the reason it is skipped. */
interface Block {
  readonly line: number;
  readonly steps: Step[];
  readonly skip?: string;
}

/** Joins `\` continuations; returns logical lines with their first physical line. */
function logical(lines: string[]): string[] {
  const out: string[] = [];
  let acc: string | undefined;
  for (const l of lines) {
    acc = acc === undefined ? l : `${acc}\n${l}`;
    if (!l.endsWith('\\') && !(acc.split("'").length % 2 === 0)) {
      out.push(acc);
      acc = undefined;
    }
  }
  if (acc !== undefined) out.push(acc);
  return out;
}

function parseBlock(body: string[]): Step[] {
  const steps: { command: string; expected?: string }[] = [];
  if (body.some((l) => l.startsWith('$ '))) {
    let i = 0;
    while (i < body.length) {
      if (!body[i]!.startsWith('$ ')) {
        i++;
        continue;
      }
      const cmd: string[] = [body[i]!.slice(2)];
      i++;
      while (cmd[cmd.length - 1]!.endsWith('\\') && i < body.length) cmd.push(body[i++]!.replace(/^ {2}/, ''));
      const shown: string[] = [];
      while (i < body.length && body[i]!.trim() !== '' && !body[i]!.startsWith('$ ')) shown.push(body[i++]!);
      steps.push({ command: cmd.join('\n'), ...(shown.length > 0 ? { expected: shown.join('\n') } : {}) });
    }
    return steps;
  }
  for (const stmt of logical(body)) {
    const t = stmt.trim();
    if (t === '') continue;
    if (t.startsWith('#')) {
      const last = steps[steps.length - 1];
      if (t.startsWith('# {') && last !== undefined && last.expected === undefined) last.expected = t.slice(2);
      continue;
    }
    steps.push({ command: stmt });
  }
  return steps;
}

/** The README's ```sh blocks but the quick start's (it starts the server and the suite). */
async function blocks(file: string): Promise<Block[]> {
  const lines = (await readFile(join(ROOT, file), 'utf8')).split('\n');
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== '```sh') continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== '```'; i++) body.push(lines[i]!);
    if (body.some((l) => /^npm (start|test)\b/.test(l))) continue;
    const marker =
      /<!-- readme-test: skip (.+?) -->/.exec(lines[start - 1] ?? '') ?? /<!-- readme-test: skip (.+?) -->/.exec(lines[start - 2] ?? '');
    out.push({ line: start + 1, steps: parseBlock(body), ...(marker !== null ? { skip: marker[1]! } : {}) });
  }
  return out;
}

/** `expected` (whitespace removed; … and ... match anything) as a regular expression. */
function pattern(expected: string): RegExp {
  const parts = expected.replace(/\s+/g, '').split(/…|\.\.\./);
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's');
}

let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-readme-'));
  server = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: join(dir, 'data') });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

test('every shell example of README.md runs as printed and prints what it shows', async () => {
  const all = await blocks('README.md');
  const steps = all.filter((b) => b.skip === undefined).flatMap((b) => b.steps.map((s) => ({ ...s, line: b.line })));
  expect(steps.length).toBeGreaterThan(10);
  const port = (s: string) =>
    s
      .replaceAll('127.0.0.1:50051', `127.0.0.1:${server.grpcPort}`)
      .replaceAll('localhost:50051', `127.0.0.1:${server.grpcPort}`)
      .replaceAll('127.0.0.1:8080', `127.0.0.1:${server.httpPort}`);
  // One session, so variables set by one example are there for the next.
  const script = steps.map((s, i) => `{ ${port(s.command)}\n} > ${dir}/out.${i} 2>&1; echo $? > ${dir}/rc.${i}`).join('\n');
  await writeFile(join(dir, 'session.sh'), script);
  await run('bash', [join(dir, 'session.sh')], {
    cwd: dir,
    env: { ...process.env, PATH: `${join(ROOT, '.tools/bin')}:${process.env.PATH ?? ''}` },
    timeout: 120_000,
  });
  const wrong: string[] = [];
  for (const [i, s] of steps.entries()) {
    const out = await readFile(join(dir, `out.${i}`), 'utf8');
    const rc = (await readFile(join(dir, `rc.${i}`), 'utf8')).trim();
    if (rc !== '0') wrong.push(`README.md:${s.line} \`${s.command.split('\n')[0]}\` exited ${rc}: ${out.slice(0, 400)}`);
    else if (s.expected !== undefined && !pattern(s.expected).test(out.replace(/\s+/g, '')))
      wrong.push(`README.md:${s.line} \`${s.command.split('\n')[0]}\` printed ${out.slice(0, 600)}\nbut the README shows ${s.expected}`);
  }
  expect(wrong).toEqual([]);
  // Skips are deliberate and few: each names why.
  expect(all.filter((b) => b.skip !== undefined).map((b) => b.skip)).toEqual(SKIPPED);
}, 180_000);

/** The blocks README.md marks as not run, and why. */
const SKIPPED = [
  "the CLI's own suites run these commands (test/cli/); watch streams until stopped",
  'needs a TLS server and client certificates (tls-server.test.ts covers grpcurl with -cacert)',
  'streams until stopped (a change feed)',
  'streams until stopped (follow)',
  'needs a server with SB_AUTH=on and an admin key (auth.test.ts calls CreateApiKey)',
];
