/**
 * Issue-14 encryption-at-rest benchmark, run on demand: `npm run bench:crypt` (`--help`).
 *
 * Two servers on the same versitygw (posix, on disk) bucket in the same run:
 * one with SB_ENCRYPTION_KEYRING_FILE, one without. Each round, with the
 * side-by-side method (bench/side-by-side.ts): sequential Puts of fresh ids
 * alternating between the two servers Put by Put (so a loaded machine's noise
 * hits both alike) for the latency percentiles; then both sides at once, each
 * with several concurrent callers for the same window, for throughput; and
 * each server's CPU per Put (/proc). Target: encryption adds ≤ 10 % to the S3
 * Put p50.
 * Writes bench/results/crypt-<timestamp>.json and .md.
 */
import { Command } from 'commander';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverClients, type ServerClients } from '../test/harness/doc-client.js';
import { startVersitygw } from '../test/harness/versitygw.js';
import { positiveInt } from './cli-args.js';
import { compare, formatCryptMarkdown, type CryptRun } from './crypt-report.js';
import { repoRoot } from './processes.js';
import { concurrentThroughput, cpuDuring, interleavedLatency, sideRound, summarizeSide, type SideRound } from './side-by-side.js';
import { startSmarterbase, VERSITYGW_S3_ENV } from './smarterbase-server.js';
import { round } from './stats.js';

const BUCKET = 'sb-crypt';

/** The parsed command line. */
interface CliOptions {
  readonly bytes: number;
  readonly puts: number;
  readonly seconds: number;
  readonly concurrency: number;
  readonly rounds: number;
}

function parse(argv: string[]): CliOptions {
  return new Command('crypt-bench')
    .description('S3 Put p50 and throughput through our gRPC port with and without encryption at rest, same versitygw, same run')
    .option('--bytes <n>', 'approximate document size, bytes', positiveInt, 1024)
    .option('--puts <n>', 'sequential Puts per side and round (latency)', positiveInt, 300)
    .option('--seconds <n>', 'length of the throughput window per round, both sides at once, s', positiveInt, 5)
    .option('--concurrency <n>', 'concurrent callers', positiveInt, 16)
    .option('--rounds <n>', 'rounds', positiveInt, 3)
    .parse(argv)
    .opts<CliOptions>();
}

/** A server under test: its client and pid. */
interface Target {
  readonly c: ServerClients;
  readonly pid?: number;
}

/** One round, both sides side by side: interleaved Put latency, then both windows at once, and each server's CPU per Put. */
async function measureRound(targets: readonly Target[], o: CliOptions, tag: string, data: Record<string, string>): Promise<SideRound[]> {
  const put = (prefix: string) => (side: number, i: number) =>
    targets[side].c.docs.put({ collection: 'bench', id: `${tag}-${prefix}${side}-${i}`, data });
  const m = await cpuDuring(
    targets.map((t) => t.pid),
    async () => ({
      samples: await interleavedLatency(targets.length, o.puts, put('s')),
      // Both sides at once for the same window: equal shares of a loaded machine.
      windows: await concurrentThroughput(targets.length, o.concurrency, o.seconds * 1000, put('c')),
    }),
  );
  return targets.map((_, s) => sideRound(m.result.samples.samples[s], m.result.windows[s], m.cpuMs[s], m.result.samples.clientCpuMs[s]));
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const when = new Date().toISOString();
  const loadAverage = loadavg().map((v) => round(v, 2));
  const dir = mkdtempSync(join(tmpdir(), 'sb-crypt-bench-'));
  const keyring = join(dir, 'keyring.json');
  const key = Buffer.alloc(32, 0x5a).toString('base64');
  writeFileSync(keyring, JSON.stringify({ primary: 'k1', keys: { k1: key } }));
  const data = { text: 'x'.repeat(Math.max(1, o.bytes - 20)) };
  const s3server = await startVersitygw(BUCKET);
  const storage = { kind: 's3' as const, endpoint: s3server.endpoint, bucket: BUCKET };
  try {
    const clearServer = await startSmarterbase(storage, undefined, { ...VERSITYGW_S3_ENV });
    const encServer = await startSmarterbase(storage, undefined, { ...VERSITYGW_S3_ENV, SB_ENCRYPTION_KEYRING_FILE: keyring });
    try {
      const targets: [Target, Target] = [
        { c: serverClients(`http://127.0.0.1:${clearServer.port}`), pid: clearServer.pid },
        { c: serverClients(`http://127.0.0.1:${encServer.port}`), pid: encServer.pid },
      ];
      // Warm-up: code paths, connections, JIT.
      await measureRound(targets, { ...o, puts: 50, seconds: 1 }, 'warm', data);
      const rounds: [SideRound[], SideRound[]] = [[], []];
      for (let r = 0; r < o.rounds; r++) {
        log(`crypt: round ${r + 1}/${o.rounds}`);
        const m = await measureRound(targets, o, `r${r}`, data);
        m.forEach((x, s) => rounds[s].push(x));
      }
      const [clear, encrypted] = rounds.map(summarizeSide);
      const run: CryptRun = {
        when,
        machine: { cpus: cpus().length, node: process.version, loadAverage },
        parameters: {
          documentBytes: o.bytes,
          sequentialPuts: o.puts,
          throughputSeconds: o.seconds,
          concurrency: o.concurrency,
          rounds: o.rounds,
          s3: 'versitygw (posix)',
        },
        clear,
        encrypted,
        ...compare(clear, encrypted),
      };
      const out = join(repoRoot(), 'bench', 'results');
      mkdirSync(out, { recursive: true });
      const stem = join(out, `crypt-${when.replace(/[:.]/g, '-')}`);
      writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
      writeFileSync(`${stem}.md`, formatCryptMarkdown(run));
      console.log(formatCryptMarkdown(run));
      console.log(`written: ${stem}.json, ${stem}.md`);
    } finally {
      await clearServer.stop();
      await encServer.stop();
    }
  } finally {
    await s3server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
