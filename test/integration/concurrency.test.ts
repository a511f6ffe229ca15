/**
 * Concurrency proof: 16 clients × 50 read-modify-PutIfMatch increments of one
 * counter document must end at exactly 800 (version 801), with no increment
 * lost and none applied twice:
 *   - through 3 server processes sharing a real S3 server (gofakes3) and a
 *     real redis-server, with S3's native conditional writes forced by config;
 *   - on the filesystem adapter with one server.
 * The same proof in the mode the probe picks and in forced lock mode, on each
 * S3 implementation tested (gofakes3, versitygw), is s3-implementations-cas.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { docClient } from '../harness/doc-client.js';
import { readCounter, runCounter } from './cas-counter.js';

const WORKERS = 16;
const PER_WORKER = 50;

jest.setTimeout(240_000);

async function proveCounter(servers: ServerProcess[], label: string) {
  const clients = servers.map((s) => docClient(s.grpcUrl));
  const collection = `counters_${label}`;
  await clients[0]!.create({ collection, id: 'c', data: { n: 0 } });
  const run = await runCounter(clients, collection, 'c', WORKERS, PER_WORKER);
  const final = await readCounter(clients[1 % clients.length]!, collection, 'c');
  expect(run.acknowledged).toBe(WORKERS * PER_WORKER);
  expect(final.n).toBe(WORKERS * PER_WORKER);
  expect(final.version).toBe(WORKERS * PER_WORKER + 1);
  // Every server agrees on the final state (no replica-local caching of truth).
  for (const c of clients) expect((await readCounter(c, collection, 'c')).n).toBe(800);
  return run;
}

describe.each([['native', 'native']])('S3 + Redis, 3 server processes, conditions %s', (label, mode) => {
  let stack: SharedStack | undefined;

  beforeAll(async () => {
    stack = await startSharedStack(3, { SB_S3_CONDITIONAL: mode });
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it(`${WORKERS} clients × ${PER_WORKER} increments end at exactly ${WORKERS * PER_WORKER}`, async () => {
    const run = await proveCounter(stack!.servers, label.replace('-', '_'));
    // The run must have been contended, or it proves nothing about races.
    expect(run.conflicts).toBeGreaterThan(0);
  });
});

describe('filesystem, one server', () => {
  let dir: string;
  let server: ServerProcess;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sb-fs-'));
    server = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: dir, SB_COORDINATION: 'local' });
  });

  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it(`${WORKERS} clients × ${PER_WORKER} increments end at exactly ${WORKERS * PER_WORKER}`, async () => {
    const run = await proveCounter([server], 'fs');
    expect(run.conflicts).toBeGreaterThan(0);
  });
});
