/**
 * Issue-13 object benchmark, run on demand: `npm run bench:objects` (`--help`).
 *
 * Upload and download of one object (default 256 MiB) through our gRPC port
 * (server on S3) against the raw @aws-sdk/client-s3 — @aws-sdk/lib-storage's
 * `Upload` for the multipart upload, `GetObject` streamed for the download —
 * on the same versitygw (posix, on disk) in the same run. The sides alternate
 * within each round so that machine drift hits both. Target: ours ≥ 0.8× raw
 * MB/s each way. Writes bench/results/objects-<timestamp>.json and .md.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Command } from 'commander';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { startVersitygw } from '../test/harness/versitygw.js';
import { positiveInt } from './cli-args.js';
import { processCpuMs } from './cpu-time.js';
import { ObjectBenchClient } from './object-client.js';
import { direction, formatObjectMarkdown, type ObjectRun, type Transfer } from './object-report.js';
import { repoRoot } from './processes.js';
import { benchS3Client, startSmarterbase, VERSITYGW_S3_ENV } from './smarterbase-server.js';
import { round } from './stats.js';

const MIB = 2 ** 20;
const BUCKET = 'sb-objects';
const CHUNK = MIB;

/** The parsed command line. */
interface CliOptions {
  readonly mib: number;
  readonly rounds: number;
  readonly partMib: number;
}

function parse(argv: string[]): CliOptions {
  return new Command('object-bench')
    .description(
      'upload/download MB/s of one object through our gRPC port vs the raw SDK (lib-storage Upload, GetObject) on the same versitygw',
    )
    .option('--mib <n>', 'object size, MiB', positiveInt, 256)
    .option('--rounds <n>', 'transfers per side and direction', positiveInt, 3)
    .option('--part-mib <n>', 'part size of both sides, MiB (≥ 5)', positiveInt, 8)
    .parse(argv)
    .opts<CliOptions>();
}

/** The object's bytes: one random MiB repeated, handed out in 1 MiB chunks (fresh views, never copied). */
async function* objectChunks(block: Uint8Array, bytes: number): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < bytes; sent += CHUNK) yield block.subarray(0, Math.min(CHUNK, bytes - sent));
}

function sha256Of(block: Uint8Array, bytes: number): string {
  const h = createHash('sha256');
  for (let sent = 0; sent < bytes; sent += CHUNK) h.update(block.subarray(0, Math.min(CHUNK, bytes - sent)));
  return h.digest('hex');
}

/** Times `op`, with the server's CPU over it when `pid` is given. */
async function timed(bytes: number, op: () => Promise<void>, pid?: number): Promise<Transfer> {
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
  const partBytes = o.partMib * MIB;
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const when = new Date().toISOString();
  const loadAverage = loadavg().map((v) => round(v, 2));
  const block = randomBytes(CHUNK);
  const expectedSha = sha256Of(block, bytes);
  const s3server = await startVersitygw(BUCKET);
  try {
    const server = await startSmarterbase({ kind: 's3', endpoint: s3server.endpoint, bucket: BUCKET }, undefined, {
      ...VERSITYGW_S3_ENV,
      SB_OBJECT_PART_BYTES: String(partBytes),
    });
    const s3 = benchS3Client(s3server.endpoint, VERSITYGW_S3_ENV);
    const client = new ObjectBenchClient(`127.0.0.1:${server.port}`);
    const up: { ours: Transfer[]; raw: Transfer[] } = { ours: [], raw: [] };
    const down: { ours: Transfer[]; raw: Transfer[] } = { ours: [], raw: [] };
    const oursUp = async () => {
      const object = await client.upload('bench', 'big', objectChunks(block, bytes));
      if (object.sha256 !== expectedSha || Number(object.sizeBytes) !== bytes)
        throw new Error(`Upload stored ${object.sizeBytes} bytes, sha256 ${object.sha256}`);
    };
    const rawUp = async () => {
      const body = Readable.from(objectChunks(block, bytes), { objectMode: false });
      await new Upload({ client: s3, params: { Bucket: BUCKET, Key: 'raw/big', Body: body }, partSize: partBytes, queueSize: 4 }).done();
    };
    const oursDown = async () => {
      const got = await client.download('bench', 'big');
      if (got.bytes !== bytes) throw new Error(`Download sent ${got.bytes} bytes`);
    };
    const rawDown = async () => {
      const res = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'raw/big' }));
      let n = 0;
      for await (const chunk of res.Body as AsyncIterable<Uint8Array>) n += chunk.length;
      if (n !== bytes) throw new Error(`GetObject sent ${n} bytes`);
    };
    try {
      for (let r = 0; r < o.rounds; r++) {
        log(`objects: round ${r + 1}/${o.rounds}`);
        const first = r % 2 === 0;
        if (first) up.ours.push(await timed(bytes, oursUp, server.pid));
        up.raw.push(await timed(bytes, rawUp));
        if (!first) up.ours.push(await timed(bytes, oursUp, server.pid));
        if (first) down.ours.push(await timed(bytes, oursDown, server.pid));
        down.raw.push(await timed(bytes, rawDown));
        if (!first) down.ours.push(await timed(bytes, oursDown, server.pid));
      }
      const run: ObjectRun = {
        when,
        machine: { cpus: cpus().length, node: process.version, loadAverage },
        parameters: { objectBytes: bytes, rounds: o.rounds, partBytes, s3: 'versitygw (posix)' },
        upload: direction(up.ours, up.raw),
        download: direction(down.ours, down.raw),
      };
      const dir = join(repoRoot(), 'bench', 'results');
      mkdirSync(dir, { recursive: true });
      const stem = join(dir, `objects-${when.replace(/[:.]/g, '-')}`);
      writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
      writeFileSync(`${stem}.md`, formatObjectMarkdown(run));
      console.log(formatObjectMarkdown(run));
      console.log(`written: ${stem}.json, ${stem}.md`);
    } finally {
      client.close();
      s3.destroy();
      await server.stop();
    }
  } finally {
    await s3server.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
