/**
 * Issue-14 object encryption benchmark, run on demand: `npm run bench:object-crypt` (`--help`).
 *
 * Two servers on the same versitygw (posix, on disk) in the same run, one with
 * SB_ENCRYPTION_KEYRING_FILE (object data sealed in 64 KiB AES-256-GCM
 * chunks), one without. Each round uploads then downloads one object (default
 * 128 MiB) through each server's gRPC port, the sides alternating within the
 * round so that machine drift hits both. Reports MB/s per side and direction,
 * the encrypted ÷ clear ratio of the medians, and each server's CPU per MB.
 * Writes bench/results/object-crypt-<timestamp>.json.
 */
import { Command } from 'commander';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startVersitygw } from '../test/harness/versitygw.js';
import { positiveInt } from './cli-args.js';
import { processCpuMs } from './cpu-time.js';
import { ObjectBenchClient } from './object-client.js';
import { sideFigures, type Transfer } from './object-report.js';
import { repoRoot } from './processes.js';
import { startSmarterbase, VERSITYGW_S3_ENV } from './smarterbase-server.js';
import { round } from './stats.js';

const MIB = 2 ** 20;
const BUCKET = 'sb-object-crypt';

/** The parsed command line. */
interface CliOptions {
  readonly mib: number;
  readonly rounds: number;
}

function parse(argv: string[]): CliOptions {
  return new Command('object-crypt-bench')
    .description('object upload/download MB/s through our gRPC port with and without encryption at rest, same versitygw, same run')
    .option('--mib <n>', 'object size, MiB', positiveInt, 128)
    .option('--rounds <n>', 'transfers per side and direction', positiveInt, 3)
    .parse(argv)
    .opts<CliOptions>();
}

/** The object's bytes: one random MiB repeated, in 1 MiB chunks. */
async function* objectChunks(block: Uint8Array, bytes: number): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < bytes; sent += MIB) yield block.subarray(0, Math.min(MIB, bytes - sent));
}

/** Times `op` with the server's CPU over it. */
async function timed(bytes: number, op: () => Promise<void>, pid: number | undefined): Promise<Transfer> {
  const cpu0 = pid === undefined ? undefined : processCpuMs(pid);
  const t0 = performance.now();
  await op();
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = pid === undefined ? undefined : processCpuMs(pid);
  return { bytes, seconds, ...(cpu0 === undefined || cpu1 === undefined ? {} : { serverCpuMs: cpu1 - cpu0 }) };
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const bytes = o.mib * MIB;
  const when = new Date().toISOString();
  const loadAverage = loadavg().map((v) => round(v, 2));
  const block = randomBytes(MIB);
  const dir = mkdtempSync(join(tmpdir(), 'sb-object-crypt-'));
  const keyring = join(dir, 'keyring.json');
  writeFileSync(keyring, JSON.stringify({ primary: 'k1', keys: { k1: randomBytes(32).toString('base64') } }));
  const s3server = await startVersitygw(BUCKET);
  const storage = { kind: 's3', endpoint: s3server.endpoint, bucket: BUCKET } as const;
  const servers = [
    await startSmarterbase(storage, undefined, { ...VERSITYGW_S3_ENV }),
    await startSmarterbase(storage, undefined, { ...VERSITYGW_S3_ENV, SB_ENCRYPTION_KEYRING_FILE: keyring }),
  ];
  const clients = servers.map((s) => new ObjectBenchClient(`127.0.0.1:${s.port}`));
  const sides = ['clear', 'encrypted'] as const;
  const up: Transfer[][] = [[], []];
  const down: Transfer[][] = [[], []];
  try {
    for (let r = 0; r < o.rounds; r++) {
      process.stderr.write(`object-crypt: round ${r + 1}/${o.rounds}\n`);
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const s of order) {
        up[s]!.push(
          await timed(
            bytes,
            async () => {
              const object = await clients[s]!.upload('bench', `${sides[s]}`, objectChunks(block, bytes));
              if (Number(object.sizeBytes) !== bytes) throw new Error(`${sides[s]}: Upload stored ${object.sizeBytes} bytes`);
            },
            servers[s]!.pid,
          ),
        );
      }
      for (const s of order) {
        down[s]!.push(
          await timed(
            bytes,
            async () => {
              const got = await clients[s]!.download('bench', `${sides[s]}`);
              if (got.bytes !== bytes) throw new Error(`${sides[s]}: Download sent ${got.bytes} bytes`);
            },
            servers[s]!.pid,
          ),
        );
      }
    }
    const figures = (t: Transfer[][]) => {
      const [clear, encrypted] = [sideFigures(t[0]!), sideFigures(t[1]!)];
      return { clear, encrypted, ratio: round(encrypted.medianMbPerSecond / clear.medianMbPerSecond, 2) };
    };
    const run = {
      when,
      machine: { cpus: cpus().length, node: process.version, loadAverage, loadAverageAfter: loadavg().map((v) => round(v, 2)) },
      parameters: { objectBytes: bytes, rounds: o.rounds, s3: 'versitygw (posix)' },
      upload: figures(up),
      download: figures(down),
    };
    const out = join(repoRoot(), 'bench', 'results');
    mkdirSync(out, { recursive: true });
    const file = join(out, `object-crypt-${when.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, `${JSON.stringify(run, null, 2)}\n`);
    for (const d of ['upload', 'download'] as const) {
      const f = run[d];
      console.log(
        `${d}: clear ${f.clear.medianMbPerSecond} MB/s (${f.clear.serverCpuMsPerMb ?? '?'} CPU ms/MB), encrypted ${f.encrypted.medianMbPerSecond} MB/s (${f.encrypted.serverCpuMsPerMb ?? '?'} CPU ms/MB): ratio ${f.ratio}`,
      );
    }
    console.log(`load average before ${loadAverage.join(' ')}, after ${run.machine.loadAverageAfter.join(' ')}; written: ${file}`);
  } finally {
    for (const c of clients) c.close();
    await Promise.all(servers.map((s) => s.stop()));
    await s3server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
