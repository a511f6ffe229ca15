/**
 * One h2load run against a gRPC server: the framed request body sent to
 * DocumentService/Get over one connection with `concurrency` streams, for a
 * fixed time, with the server's CPU over the run (from /proc) and h2load's
 * own CPU (so that a saturated generator shows).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseStatChildrenCpuMs, processCpuMs } from './cpu-time.js';
import { methodPath } from './doc-client.js';
import { h2loadErrors, parseH2loadOutput, type H2loadSummary } from './h2load-output.js';

/** Where h2load is looked for: $H2LOAD, else the Debian package's path. */
export function h2loadPath(): string {
  return process.env.H2LOAD ?? '/usr/bin/h2load';
}

/** Throws, naming the package to install, when h2load is missing. */
export function requireH2load(path = h2loadPath()): void {
  if (!existsSync(path)) {
    throw new Error(
      `h2load not found at ${path}: install it (Debian/Ubuntu: \`apt-get install nghttp2-client\`), ` +
        'set H2LOAD to its path, or run the scenario with `--load node`',
    );
  }
}

/** Parameters of one run. */
export interface H2loadRunOptions {
  /** The server's gRPC port on 127.0.0.1. */
  readonly port: number;
  /** The server's pid, for its CPU over the run. */
  readonly serverPid: number;
  /** A file holding the framed request body. */
  readonly bodyFile: string;
  /** Streams in flight on the one connection (h2load -m). */
  readonly concurrency: number;
  /** Length of the run, ms (h2load -D, whole ms). */
  readonly durationMs: number;
}

/** One run: h2load's summary plus the CPU both sides used. */
export interface H2loadSlice {
  /** What h2load reported. */
  readonly summary: H2loadSummary;
  /** Requests that failed or had a non-2xx status (see h2loadErrors). */
  readonly errors: number;
  /** Server CPU over the whole run (connection set-up included), ms. */
  readonly serverCpuMs: number;
  /** h2load's CPU over the run, ms. */
  readonly loadCpuMs: number;
  /** Wall time from spawning h2load to its exit, ms. */
  readonly wallMs: number;
}

/** The h2load arguments of a run (one thread, one connection, `concurrency` streams). */
export function h2loadArgs(o: Pick<H2loadRunOptions, 'port' | 'bodyFile' | 'concurrency' | 'durationMs'>): string[] {
  return [
    ...['-c1', `-m${o.concurrency}`, '-t1', `-D${Math.max(1, Math.round(o.durationMs))}ms`],
    ...['-d', o.bodyFile],
    ...['-H', 'content-type: application/grpc', '-H', 'te: trailers'],
    `http://127.0.0.1:${o.port}${methodPath('Get')}`,
  ];
}

// The shell runs h2load, then prints its own /proc stat, whose cutime/cstime
// hold the CPU of the (reaped) h2load: exact, without polling.
const WRAPPER = 'h="$1"; shift; "$h" "$@"; rc=$?; echo "H2LOAD-CHILD-STAT $(cat /proc/$$/stat)"; exit $rc';

/** Runs h2load once; rejects when it exits non-zero, prints no summary or the server's CPU is unreadable. */
export async function runH2load(o: H2loadRunOptions): Promise<H2loadSlice> {
  const cpu0 = processCpuMs(o.serverPid);
  const t0 = performance.now();
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'sh', h2loadPath(), ...h2loadArgs(o)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString('utf8')).slice(-4000)));
    child.once('error', reject);
    child.once('exit', (c) => resolve({ stdout: out, stderr: err, code: c }));
  });
  const wallMs = performance.now() - t0;
  const cpu1 = processCpuMs(o.serverPid);
  if (code !== 0) throw new Error(`h2load exited with ${code}: ${stderr} ${stdout.slice(-600)}`);
  if (cpu0 === undefined || cpu1 === undefined) throw new Error(`server ${o.serverPid}: CPU time unreadable from /proc`);
  const statLine = /H2LOAD-CHILD-STAT (.*)/.exec(stdout)?.[1];
  const loadCpuMs = statLine === undefined ? undefined : parseStatChildrenCpuMs(statLine);
  if (loadCpuMs === undefined) throw new Error(`no CPU time of h2load in: ${stdout.slice(-300)}`);
  const summary = parseH2loadOutput(stdout);
  return { summary, errors: h2loadErrors(summary), serverCpuMs: cpu1 - cpu0, loadCpuMs, wallMs: Math.round(wallMs) };
}
