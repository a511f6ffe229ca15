/**
 * The server a fuzz suite attacks: a real process on filesystem storage
 * whose data dir sits alone in a fresh sandbox directory, and the checks
 * made after the attack: the process is alive, /metrics answers, and no
 * file appeared outside the data dir (in the sandbox, the system temp dir
 * or the repository: the suite's hostile ids carry a canary name).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CANARY } from './fuzz-json.js';
import { repoRoot, startServer, type ServerProcess } from './server-process.js';

/** A server in its sandbox. */
export interface FuzzTarget {
  readonly server: ServerProcess;
  /** The sandbox directory; it must only ever hold `data`. */
  readonly sandbox: string;
}

/** Starts a filesystem-backed server whose data dir is `<sandbox>/data`. */
export async function startFuzzTarget(env: Record<string, string> = {}): Promise<FuzzTarget> {
  const sandbox = await mkdtemp(join(tmpdir(), 'sb-fuzz-'));
  const server = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: join(sandbox, 'data'), ...env });
  return { server, sandbox };
}

/** Names holding the canary in `dir` (not recursive; missing dir = none). */
async function canaries(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n.includes(CANARY)).map((n) => join(dir, n));
}

/** What the after-attack checks found; every list empty and both flags true when all is well. */
export interface AftermathReport {
  readonly alive: boolean;
  readonly metricsAnswer: boolean;
  /** Entries of the sandbox other than `data`. */
  readonly strayInSandbox: string[];
  /** Canary files in the system temp dir, the repository root or the server's parent dirs. */
  readonly canaries: string[];
}

/** Runs the after-attack checks on `target`. */
export async function aftermath(target: FuzzTarget): Promise<AftermathReport> {
  const { server, sandbox } = target;
  const alive = server.child.exitCode === null && server.child.signalCode === null;
  if (!alive)
    console.log(
      `server exited (code ${server.child.exitCode}, signal ${server.child.signalCode}); its last output:\n${server.output().slice(-3000)}`,
    );
  let metricsAnswer: boolean;
  try {
    const res = await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`);
    metricsAnswer = res.status === 200 && (await res.text()).includes('smarterbase_');
  } catch {
    metricsAnswer = false;
  }
  const strayInSandbox = (await readdir(sandbox)).filter((n) => n !== 'data');
  const found = (await Promise.all([tmpdir(), '/tmp', repoRoot, join(repoRoot, '..'), sandbox].map(canaries))).flat();
  return { alive, metricsAnswer, strayInSandbox, canaries: [...new Set(found)] };
}

/** Stops the server and removes the sandbox (unless FUZZ_KEEP is set, for a post-mortem). */
export async function stopFuzzTarget(target: FuzzTarget | undefined): Promise<void> {
  if (target === undefined) return;
  await target.server.stop();
  if (process.env.FUZZ_KEEP === undefined) await rm(target.sandbox, { recursive: true, force: true });
}
