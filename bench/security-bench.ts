/**
 * Issue-14 security benchmark, run on demand: `npm run bench:security` (`--help`).
 *
 * Four servers on the same versitygw (posix, on disk) bucket in the same run:
 * (1) plaintext, auth off; (2) TLS only (a throwaway CA, test/harness/certs.ts);
 * (3) SB_AUTH=on, the caller a principal whose role reads and writes the bench
 * collection, its API key sent as `authorization: Bearer`; (4) TLS + auth.
 * Documents are seeded once through (1). Each round, with the side-by-side
 * method (bench/side-by-side.ts): Gets of random seeded ids taking turns
 * across the four (latency), all four at once for throughput, server CPU per
 * Get; then the same for Puts of fresh ids on (1) and (4). Target: TLS + auth
 * costs at most 15 % of gRPC Get throughput.
 * Writes bench/results/security-<timestamp>.json and .md.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { Verb } from '../server/src/gen/smarterbase/v1/access_pb.js';
import { AccessService } from '../server/src/gen/smarterbase/v1/access_service_pb.js';
import { DocumentService } from '../server/src/gen/smarterbase/v1/document_service_pb.js';
import { createTestCa } from '../test/harness/certs.js';
import { startVersitygw } from '../test/harness/versitygw.js';
import { positiveInt } from './cli-args.js';
import { repoRoot, type RunningProcess } from './processes.js';
import { compareGets, costOf, formatSecurityMarkdown, SECURITY_SIDES, type SecurityRun } from './security-report.js';
import { concurrentThroughput, cpuDuring, interleavedLatency, sideRound, summarizeSide, type SideRound } from './side-by-side.js';
import { startSmarterbase, VERSITYGW_S3_ENV } from './smarterbase-server.js';
import { round } from './stats.js';

const BUCKET = 'sb-security';
const COLLECTION = 'bench';

/** The parsed command line. */
interface CliOptions {
  readonly documents: number;
  readonly bytes: number;
  readonly gets: number;
  readonly puts: number;
  readonly seconds: number;
  readonly concurrency: number;
  readonly rounds: number;
}

function parse(argv: string[]): CliOptions {
  return new Command('security-bench')
    .description(
      'gRPC Get (and Put) p50, throughput and server CPU with and without TLS and authentication: four servers, one versitygw, same run',
    )
    .option('--documents <n>', 'documents seeded once, read by random id', positiveInt, 1000)
    .option('--bytes <n>', 'approximate document size, bytes', positiveInt, 1024)
    .option('--gets <n>', 'sequential Gets per side and round (latency)', positiveInt, 400)
    .option('--puts <n>', 'sequential Puts per side and round (latency), plain and TLS + auth', positiveInt, 200)
    .option('--seconds <n>', 'length of each throughput window (all sides at once), s', positiveInt, 5)
    .option('--concurrency <n>', 'concurrent callers per side', positiveInt, 16)
    .option('--rounds <n>', 'rounds', positiveInt, 3)
    .parse(argv)
    .opts<CliOptions>();
}

/** A server under test: its document client, the headers every call carries, and its pid. */
interface Target {
  readonly docs: Client<typeof DocumentService>;
  readonly headers: Record<string, string>;
  readonly pid: number;
}

/** The call options of `t`: its headers, and a generous deadline so a stuck call fails the run instead of hanging it. */
const callOptions = (t: Target) => ({ headers: t.headers, timeoutMs: 60_000 });

/** One round of Gets on every target, then of Puts on `putSides`; figures per side. */
async function measureRound(
  targets: readonly Target[],
  putSides: readonly number[],
  o: CliOptions,
  tag: string,
  data: Record<string, string>,
): Promise<{ get: SideRound[]; put: SideRound[] }> {
  const pids = targets.map((t) => t.pid);
  const randomId = () => `d${Math.floor(Math.random() * o.documents)}`;
  const get = (side: number) => targets[side].docs.get({ collection: COLLECTION, id: randomId() }, callOptions(targets[side]));
  const gets = await cpuDuring(pids, async () => ({
    samples: await interleavedLatency(targets.length, o.gets, get),
    windows: await concurrentThroughput(targets.length, o.concurrency, o.seconds * 1000, get),
  }));
  const putTargets = putSides.map((s) => targets[s]);
  const put = (prefix: string) => (side: number, i: number) =>
    putTargets[side].docs.put({ collection: COLLECTION, id: `${tag}-${prefix}${side}-${i}`, data }, callOptions(putTargets[side]));
  const puts = await cpuDuring(
    putTargets.map((t) => t.pid),
    async () => ({
      samples: await interleavedLatency(putTargets.length, o.puts, put('s')),
      windows: await concurrentThroughput(putTargets.length, o.concurrency, o.seconds * 1000, put('c')),
    }),
  );
  return {
    get: targets.map((_, s) =>
      sideRound(gets.result.samples.samples[s], gets.result.windows[s], gets.cpuMs[s], gets.result.samples.clientCpuMs[s]),
    ),
    put: putTargets.map((_, s) =>
      sideRound(puts.result.samples.samples[s], puts.result.windows[s], puts.cpuMs[s], puts.result.samples.clientCpuMs[s]),
    ),
  };
}

/** Stores a role reading and writing the bench collection, a principal holding it and a key of that principal; returns the key. */
async function benchKey(access: Client<typeof AccessService>, bootstrapKey: string): Promise<string> {
  const headers = { authorization: `Bearer ${bootstrapKey}` };
  await access.putRole(
    { role: { name: 'bench-rw', permissions: [{ verbs: [Verb.READ, Verb.WRITE], collections: [COLLECTION] }] } },
    { headers },
  );
  await access.setPrincipal({ principal: { name: 'bench', roles: ['bench-rw'] } }, { headers });
  return (await access.createApiKey({ principal: 'bench' }, { headers })).secret;
}

async function main(): Promise<void> {
  const o = parse(process.argv);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const when = new Date().toISOString();
  const loadAverage = loadavg().map((v) => round(v, 2));
  const dir = mkdtempSync(join(tmpdir(), 'sb-security-bench-'));
  const ca = createTestCa(dir);
  const cert = ca.issue('server', 'localhost');
  const bootstrapKey = `sbk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
  const bootstrapFile = join(dir, 'bootstrap.key');
  writeFileSync(bootstrapFile, `${bootstrapKey}\n`, { mode: 0o600 });
  const data = { text: 'x'.repeat(Math.max(1, o.bytes - 20)) };
  const s3server = await startVersitygw(BUCKET);
  const storage = { kind: 's3' as const, endpoint: s3server.endpoint, bucket: BUCKET };
  const tlsEnv = { SB_TLS_CERT_FILE: cert.certFile, SB_TLS_KEY_FILE: cert.keyFile };
  const authEnv = { SB_AUTH: 'on', SB_AUTH_BOOTSTRAP_KEY_FILE: bootstrapFile };
  const servers: RunningProcess[] = [];
  try {
    // One after the other: the two auth servers would otherwise race to store the bootstrap key.
    for (const env of [{}, tlsEnv, authEnv, { ...tlsEnv, ...authEnv }]) {
      servers.push(await startSmarterbase(storage, undefined, { ...VERSITYGW_S3_ENV, ...env }));
    }
    const transport = (i: number, tls: boolean) =>
      createGrpcTransport(
        tls
          ? { baseUrl: `https://127.0.0.1:${servers[i].port}`, nodeOptions: { ca: ca.cert } }
          : { baseUrl: `http://127.0.0.1:${servers[i].port}` },
      );
    const apiKey = await benchKey(createClient(AccessService, transport(2, false)), bootstrapKey);
    const bearer = { authorization: `Bearer ${apiKey}` };
    const targets: Target[] = SECURITY_SIDES.map((_, i) => ({
      docs: createClient(DocumentService, transport(i, i === 1 || i === 3)),
      headers: i >= 2 ? bearer : {},
      pid: servers[i].pid,
    }));
    log(`security: seeding ${o.documents} documents`);
    await concurrentSeed(targets[0], o.documents, data);
    await untilReadable(targets);
    // Warm-up: code paths, connections, TLS sessions, the auth cache, JIT.
    await measureRound(targets, [0, 3], { ...o, gets: 50, puts: 20, seconds: 1 }, 'warm', data);
    const getRounds: SideRound[][] = SECURITY_SIDES.map(() => []);
    const putRounds: SideRound[][] = [[], []];
    for (let r = 0; r < o.rounds; r++) {
      log(`security: round ${r + 1}/${o.rounds}`);
      const m = await measureRound(targets, [0, 3], o, `r${r}`, data);
      m.get.forEach((x, s) => getRounds[s].push(x));
      m.put.forEach((x, s) => putRounds[s].push(x));
    }
    const [plain, tls, auth, tlsAuth] = getRounds.map(summarizeSide);
    const get = { plain, tls, auth, tlsAuth };
    const put = { plain: summarizeSide(putRounds[0]), tlsAuth: summarizeSide(putRounds[1]) };
    const run: SecurityRun = {
      when,
      machine: { cpus: cpus().length, node: process.version, loadAverage, loadAverageAfter: loadavg().map((v) => round(v, 2)) },
      parameters: {
        documents: o.documents,
        documentBytes: o.bytes,
        sequentialGets: o.gets,
        sequentialPuts: o.puts,
        throughputSeconds: o.seconds,
        concurrency: o.concurrency,
        rounds: o.rounds,
        s3: 'versitygw (posix)',
      },
      get,
      ...compareGets(get),
      put,
      putCost: costOf(put.plain, put.tlsAuth),
    };
    const out = join(repoRoot(), 'bench', 'results');
    mkdirSync(out, { recursive: true });
    const stem = join(out, `security-${when.replace(/[:.]/g, '-')}`);
    writeFileSync(`${stem}.json`, `${JSON.stringify(run, null, 2)}\n`);
    writeFileSync(`${stem}.md`, formatSecurityMarkdown(run));
    console.log(formatSecurityMarkdown(run));
    console.log(`written: ${stem}.json, ${stem}.md`);
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await s3server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Waits until every target serves a seeded document to its caller: a server
 * that did not make the key sees the new role and principal only when its
 * auth cache next refreshes (SB_AUTH_CACHE_MS, 5 s by default).
 */
async function untilReadable(targets: readonly Target[]): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const t of targets) {
    for (;;) {
      try {
        await t.docs.get({ collection: COLLECTION, id: 'd0' }, callOptions(t));
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
}

/** Puts documents d0…d(n−1) through `target` with 16 callers. */
async function concurrentSeed(target: Target, n: number, data: Record<string, string>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = next++; i < n; i = next++) await target.docs.put({ collection: COLLECTION, id: `d${i}`, data }, callOptions(target));
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
