/**
 * Detection rate of the start-up conditional-write probe (issue 16), run on
 * demand, not in CI:
 *   npx tsc -p tsconfig.json && node dist/bench/probe-detection.js [--runs 20] [--impl versitygw]
 *
 * Each run starts a fresh server of the implementation (test/harness, e.g.
 * versitygw on its posix backend in new temp dirs), runs the server's own
 * probeConditionalWrites through an S3BlobStore as main.ts would, and stops the
 * server. Reports how often each check came out false and how long a probe
 * took: bench/results/probe-detection-<impl>-<timestamp>.json and .md, and the
 * table on stdout.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { S3BlobStore } from '../server/src/storage/s3/s3-store.js';
import { probeConditionalWrites } from '../server/src/storage/probe-conditional-writes.js';
import { S3_IMPLEMENTATIONS } from '../test/harness/s3-implementations.js';
import { positiveInt } from './cli-args.js';
import { repoRoot } from './processes.js';
import { machineInfo } from './report.js';
import { probeDetectionMarkdown, summarizeProbeRuns, type ProbeRun } from './probe-detection-report.js';

/** The error's message and its chain of causes, one line. */
function describeError(e: unknown): string {
  const parts: string[] = [];
  for (let cur: unknown = e; cur !== undefined && parts.length < 4; cur = cur instanceof Error ? cur.cause : undefined) {
    parts.push(cur instanceof Error ? `${cur.name}: ${cur.message}` : String(cur));
  }
  return parts.join(' <- ');
}

async function probeOnce(implName: string): Promise<ProbeRun> {
  const impl = S3_IMPLEMENTATIONS[implName]!;
  const server = await impl.start('probe-bench');
  const store = new S3BlobStore({
    bucket: server.bucket,
    endpoint: server.endpoint,
    forcePathStyle: true,
    accessKeyId: 'test',
    secretAccessKey: 'test',
    maxAttempts: 1,
  });
  try {
    const started = performance.now();
    try {
      const result = await probeConditionalWrites(store);
      const durationMs = performance.now() - started;
      return { durationMs, native: result.native, checks: result.checks, ...(result.detail ? { detail: result.detail } : {}) };
    } catch (e) {
      // What main.ts would die of: keep it, with the S3 error underneath, and go on with the next run.
      return { durationMs: performance.now() - started, native: false, checks: {}, error: describeError(e) };
    }
  } finally {
    await store.close();
    await server.stop();
  }
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--runs <n>', 'probe runs, a fresh server each', positiveInt, 20)
    .option('--impl <name>', `S3 implementation (${Object.keys(S3_IMPLEMENTATIONS).join(', ')})`, 'versitygw')
    .parse()
    .opts<{ runs: number; impl: string }>();
  const impl = S3_IMPLEMENTATIONS[opts.impl];
  if (impl === undefined) throw new Error(`unknown implementation ${opts.impl}`);
  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  const runs: ProbeRun[] = [];
  for (let i = 0; i < opts.runs; i++) {
    const r = await probeOnce(impl.name);
    runs.push(r);
    process.stderr.write(
      `run ${i + 1}/${opts.runs}: ${r.error ? `probe threw ${r.error}` : `native ${r.native}`}, ${r.durationMs.toFixed(0)} ms${r.detail ? `, ${r.detail}` : ''}\n`,
    );
  }
  const summary = summarizeProbeRuns(runs);
  const label = `${impl.name} ${impl.version}`;
  const result = {
    implementation: label,
    startedAt,
    machine: machineInfo(),
    loadAverage: { start: loadStart, end: loadavg() },
    summary,
    runs,
  };
  const md = `# Probe detection rate, ${startedAt}\n\nLoad average at start ${loadStart.map((l) => l.toFixed(1)).join(' ')}.\n\n${probeDetectionMarkdown(label, summary)}`;
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `probe-detection-${impl.name}-${startedAt.replace(/[:.]/g, '-')}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  process.stdout.write(md);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
