/**
 * Issue-14 encryption-at-rest benchmark, run on demand: `npm run bench:crypt` (`--help`).
 *
 * Two servers on the same versitygw (posix, on disk) bucket in the same run:
 * one with SB_ENCRYPTION_KEYRING_FILE, one without. Each round, per side
 * (alternating which goes first, so machine drift hits both): sequential Puts
 * of fresh ids for the latency percentiles, then Puts by several concurrent
 * callers for throughput, and each server's CPU per Put (/proc). Target: encryption adds ≤ 10 % to the S3 Put p50.
 * Writes bench/results/crypt-<timestamp>.json and .md.
 */
import { Command, InvalidArgumentError } from 'commander';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverClients, type ServerClients } from '../test/harness/doc-client.js';
import { startVersitygw } from '../test/harness/versitygw.js';
import { processCpuMs } from './cpu-time.js';
import { compare, formatCryptMarkdown, side, type CryptRound, type CryptRun } from './crypt-report.js';
import { repoRoot } from './processes.js';
import { startSmarterbase, VERSITYGW_S3_ENV } from './smarterbase-server.js';
import { round, roundSummary, summarize } from './stats.js';

const BUCKET = 'sb-crypt';

/** The parsed command line. */
interface CliOptions {
  readonly bytes: number;
  readonly puts: number;
  readonly concurrentPuts: number;
  readonly concurrency: number;
  readonly rounds: number;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function parse(argv: string[]): CliOptions {
  return new Command('crypt-bench')
    .description('S3 Put p50 and throughput through our gRPC port with and without encryption at rest, same versitygw, same run')
    .option('--bytes <n>', 'approximate document size, bytes', positiveInt, 1024)
    .option('--puts <n>', 'sequential Puts per side and round (latency)', positiveInt, 300)
    .option('--concurrent-puts <n>', 'Puts per side and round by the concurrent callers (throughput)', positiveInt, 1000)
    .option('--concurrency <n>', 'concurrent callers', positiveInt, 16)
    .option('--rounds <n>', 'rounds', positiveInt, 3)
    .parse(argv)
    .opts<CliOptions>();
}

/** One side's round: `puts` sequential Puts, then `concurrentPuts` by `concurrency` callers; ids fresh per round. */
async function measure(c: ServerClients, o: CliOptions, tag: string, data: Record<string, string>, pid?: number): Promise<CryptRound> {
  const cpu0 = pid === undefined ? undefined : processCpuMs(pid);
  const samples: number[] = [];
  for (let i = 0; i < o.puts; i++) {
    const t0 = performance.now();
    await c.docs.put({ collection: 'bench', id: `${tag}-s${i}`, data });
    samples.push(performance.now() - t0);
  }
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < o.concurrentPuts) {
        const i = next++;
        await c.docs.put({ collection: 'bench', id: `${tag}-c${i}`, data });
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = pid === undefined ? undefined : processCpuMs(pid);
  const cpu = cpu0 === undefined || cpu1 === undefined ? {} : { serverCpuMsPerPut: round((cpu1 - cpu0) / (o.puts + o.concurrentPuts)) };
  return { latency: roundSummary(summarize(samples)), putsPerSecond: round(o.concurrentPuts / seconds, 1), ...cpu };
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
      const sides = {
        clear: { c: serverClients(`http://127.0.0.1:${clearServer.port}`), pid: clearServer.pid, rounds: [] as CryptRound[] },
        encrypted: { c: serverClients(`http://127.0.0.1:${encServer.port}`), pid: encServer.pid, rounds: [] as CryptRound[] },
      };
      // Warm-up: code paths, connections, JIT.
      await measure(sides.clear.c, { ...o, puts: 50, concurrentPuts: 100 }, 'warm-clear', data);
      await measure(sides.encrypted.c, { ...o, puts: 50, concurrentPuts: 100 }, 'warm-enc', data);
      for (let r = 0; r < o.rounds; r++) {
        log(`crypt: round ${r + 1}/${o.rounds}`);
        const order = r % 2 === 0 ? (['clear', 'encrypted'] as const) : (['encrypted', 'clear'] as const);
        for (const name of order) sides[name].rounds.push(await measure(sides[name].c, o, `${name}-r${r}`, data, sides[name].pid));
      }
      const clear = side(sides.clear.rounds);
      const encrypted = side(sides.encrypted.rounds);
      const run: CryptRun = {
        when,
        machine: { cpus: cpus().length, node: process.version, loadAverage },
        parameters: {
          documentBytes: o.bytes,
          sequentialPuts: o.puts,
          concurrentPuts: o.concurrentPuts,
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
