/**
 * A redis-server process a fault test controls directly: started on a fixed
 * port (so it can be killed and started again empty at the same address),
 * stopped and continued with SIGSTOP / SIGCONT, killed with SIGKILL. For a
 * Redis that only needs to run, use startRedis (redis-server.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts redis-server on `port` (no persistence) and resolves once `redis-cli ping` answers PONG. */
export async function redisOn(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const ping = spawn('redis-cli', ['-p', String(port), 'ping'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      ping.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      ping.on('exit', () => resolve(out.includes('PONG')));
    });
    if (ok) return child;
    await sleep(100);
  }
  throw new Error('redis-server did not start');
}

/** SIGKILLs `child` (unless it already exited) and waits for it to exit. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Polls `cond` every `pollMs` until it holds; throws naming `what` after `ms`. */
export async function waitFor(what: string, cond: () => Promise<boolean> | boolean, ms = 30_000, pollMs = 50): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(pollMs);
  }
}
