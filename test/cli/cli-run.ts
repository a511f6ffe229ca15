/**
 * Runs the built `smarterbase` CLI (dist/clients/ts/src/cli/main.js, from
 * `npm run build`) as a child process and collects its exit code and output.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../harness/server-process.js';

/** The compiled CLI entry point. */
export const cliMain = join(repoRoot, 'dist', 'clients', 'ts', 'src', 'cli', 'main.js');

/** What one CLI run produced. */
export interface CliResult {
  /** The exit code (null if killed by a signal). */
  readonly code: number | null;
  /** Everything written to stdout. */
  readonly stdout: string;
  /** Everything written to stderr. */
  readonly stderr: string;
}

/** Options of runCli(). */
export interface RunOptions {
  /** Written to the CLI's stdin, which is then closed (default: empty stdin). */
  readonly input?: string | Buffer;
  /** Environment added to a copy of this process's, without any SMARTERBASE_* variable of its own. */
  readonly env?: Record<string, string>;
  /** Hang guard: the child is killed after this long (default 300 s). */
  readonly timeoutMs?: number;
}

/** Runs `smarterbase ...args` to completion. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  if (!existsSync(cliMain)) throw new Error(`${cliMain} is missing: run npm run build first`);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SMARTERBASE_')) env[k] = v;
  Object.assign(env, options.env ?? {});
  const child = spawn(process.execPath, [cliMain, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(options.input ?? '');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`smarterbase ${args.join(' ')} did not finish within ${options.timeoutMs ?? 300_000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 300_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs the CLI and expects exit code 0; returns stdout. */
export async function cliOk(args: readonly string[], options?: RunOptions): Promise<string> {
  const r = await runCli(args, options);
  if (r.code !== 0) throw new Error(`smarterbase ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The JSON lines of a text. */
export function jsonLines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}
