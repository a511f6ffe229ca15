/**
 * Issue 10, "Corrupt indexes on purpose": S3 (gofakes3) + a real
 * redis-server + server processes; equality, unique and ordered indexes over
 * 30 documents; entries deleted and stale ones added with raw Redis commands.
 *
 * - CheckIndexes (no repair) over gRPC reports exactly the injected faults,
 *   twice (it changed nothing), and streams progress before its summary.
 * - The drift monitor of a server whose threshold forbids repairs exports
 *   exactly those counts (smarterbase_index_drift).
 * - A second server with threshold 0 repairs exactly the faulty documents
 *   (smarterbase_index_drift_repairs_total); CheckIndexes then reports zero
 *   and every document is found through every index.
 * - CheckIndexes with repair set fixes a fresh corruption by itself.
 */
import Redis from 'ioredis';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import type { CheckIndexesResponse } from '../../server/src/gen/smarterbase/v1/admin_service_pb.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';

jest.setTimeout(120_000);

const C = 'drift';
const DOCS = 30;
const STATUSES = ['new', 'active', 'closed'] as const;
const BASE = `sb:{ix:${C}}:`;
const env = (threshold: number): Record<string, string> => ({
  SB_INDEX_DRIFT_INTERVAL_MS: '500',
  SB_INDEX_DRIFT_SAMPLE: '1000',
  SB_INDEX_DRIFT_REPAIR_THRESHOLD: String(threshold),
});

let stack: SharedStack;
let repairer: ServerProcess | undefined;
let raw: Redis;
let a: ServerClients;

beforeAll(async () => {
  stack = await startSharedStack(1, env(1_000_000));
  a = serverClients(stack.servers[0]!.grpcUrl);
  raw = new Redis(stack.redis.url);
});

afterAll(async () => {
  raw?.disconnect();
  await repairer?.stop();
  await stack?.stop();
});

const pad = (i: number): string => `d${String(i).padStart(3, '0')}`;
const email = (i: number): string => `user${i}@example.com`;

async function check(c: ServerClients, repair = false): Promise<CheckIndexesResponse[]> {
  const out: CheckIndexesResponse[] = [];
  for await (const m of c.admin.checkIndexes({ collection: C, repair })) out.push(m);
  return out;
}

const counts = (m: CheckIndexesResponse | undefined) => ({ missing: Number(m?.missing), stale: Number(m?.stale), done: m?.done });

async function tok(index: string): Promise<string> {
  return (JSON.parse((await raw.hget(`${BASE}cat`, `d:${index}`)) as string) as { tok: string }).tok;
}

/** Deletes three entries and adds four stale ones; returns the faults as CheckIndexes describes them. */
async function corrupt(): Promise<string[]> {
  const [st, em, n] = [await tok('by_status'), await tok('by_email'), await tok('by_n')];
  await raw.srem(`${BASE}e:${st}:["active"]`, pad(4)); // d004 is active (4 % 3 = 1)
  await raw.hdel(`${BASE}u:${em}`, `["${email(7)}"]`);
  await raw.zrem(`${BASE}n:${n}`, pad(9));
  await raw.sadd(`${BASE}e:${st}:["closed"]`, 'ghost1'); // no such document
  await raw.sadd(`${BASE}e:${st}:["closed"]`, pad(0)); // d000 is "new"
  await raw.zadd(`${BASE}n:${n}`, 12345, 'ghost2');
  await raw.hset(`${BASE}u:${em}`, '["nobody@example.com"]', pad(2));
  return [
    `missing by_status ["active"] ${pad(4)}`,
    `missing by_email ["${email(7)}"] ${pad(7)}`,
    `missing by_n n:9 ${pad(9)}`,
    'stale by_status ["closed"] ghost1',
    `stale by_status ["closed"] ${pad(0)}`,
    'stale by_n n:12345 ghost2',
    `stale by_email ["nobody@example.com"] ${pad(2)}`,
  ].sort();
}

/** A metric's value on a server (undefined when not exported yet). */
async function metric(server: ServerProcess, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${server.metricsPort}/metrics`)).text();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

it('CheckIndexes and the drift monitor find exactly the injected faults; the monitor repairs them; CheckIndexes then reports zero', async () => {
  await a.admin.createIndex({ index: { collection: C, name: 'by_status', fields: ['status'], kind: IndexKind.EQUALITY } });
  await a.admin.createIndex({ index: { collection: C, name: 'by_email', fields: ['email'], kind: IndexKind.UNIQUE } });
  await a.admin.createIndex({ index: { collection: C, name: 'by_n', fields: ['n'], kind: IndexKind.ORDERED } });
  for (let i = 0; i < DOCS; i++) await a.docs.put({ collection: C, id: pad(i), data: { status: STATUSES[i % 3]!, email: email(i), n: i } });
  const { indexes } = await a.admin.listIndexes({ collection: C });
  expect(indexes.map((i) => IndexState[i.state])).toEqual(['READY', 'READY', 'READY']);
  expect(counts((await check(a)).pop())).toEqual({ missing: 0, stale: 0, done: true });

  const injected = await corrupt();
  for (let pass = 0; pass < 2; pass++) {
    const out = await check(a);
    const last = out[out.length - 1];
    expect(out.filter((m) => m.done)).toHaveLength(1);
    expect(out.length).toBeGreaterThan(1); // progress before the summary
    expect({ ...counts(last), documents: Number(last?.documentsScanned), repaired: Number(last?.repaired) }).toEqual({
      missing: 3,
      stale: 4,
      done: true,
      documents: DOCS,
      repaired: 0,
    });
    expect([...(last?.samples ?? [])].sort()).toEqual(injected);
  }

  // The monitor of the first server (threshold too high to repair) measures exactly these.
  const server = stack.servers[0]!;
  await until('the drift gauge', async () => {
    const [m, s] = [
      await metric(server, 'smarterbase_index_drift', { collection: C, kind: 'missing' }),
      await metric(server, 'smarterbase_index_drift', { collection: C, kind: 'stale' }),
    ];
    return m === 3 && s === 4 ? true : undefined;
  });
  expect(await metric(server, 'smarterbase_index_drift_repairs_total', { collection: C })).toBeUndefined();

  // A server that repairs any drift: exactly the seven faulty documents.
  repairer = await startServer({ ...stackEnv(), ...env(0) });
  await until('the repairs', async () =>
    (await metric(repairer!, 'smarterbase_index_drift_repairs_total', { collection: C })) === 7 ? true : undefined,
  );
  const after = (await check(a)).pop();
  expect(counts(after)).toEqual({ missing: 0, stale: 0, done: true });
  expect(Number(after?.entriesChecked)).toBe(3 * DOCS);
  await until('a clean sample', async () =>
    (await metric(repairer!, 'smarterbase_index_drift', { collection: C, kind: 'stale' })) === 0 ? true : undefined,
  );
  expect(await metric(repairer, 'smarterbase_index_drift_repairs_total', { collection: C })).toBe(7);

  // Every document is found through every index.
  const ids = async (filterExpression: string): Promise<string[]> => {
    const out: string[] = [];
    for await (const m of a.query.query({ collection: C, filterExpression, requireIndex: true })) if (m.document) out.push(m.document.id);
    return out;
  };
  expect(await ids('status = "active"')).toEqual(Array.from({ length: DOCS / 3 }, (_, k) => pad(3 * k + 1)));
  expect(await ids(`email = "${email(7)}"`)).toEqual([pad(7)]);
  expect(await ids('n >= 9 AND n < 10')).toEqual([pad(9)]);
  expect(await ids('n >= 12345')).toEqual([]);

  // CheckIndexes with repair set fixes a fresh corruption by itself (no server left that repairs on its own).
  await repairer.stop();
  repairer = undefined;
  await corrupt();
  const fixed = (await check(a, true)).pop();
  expect(Number(fixed?.missing) + Number(fixed?.stale)).toBe(7);
  expect(Number(fixed?.repaired)).toBe(7);
  expect(counts((await check(a)).pop())).toEqual({ missing: 0, stale: 0, done: true });
});

/** The environment the stack's servers run with (S3 and Redis of the stack). */
function stackEnv(): Record<string, string> {
  return {
    SB_STORAGE: 's3',
    SB_S3_ENDPOINT: stack.s3.endpoint,
    SB_S3_BUCKET: stack.s3.bucket,
    SB_S3_FORCE_PATH_STYLE: 'true',
    SB_COORDINATION: 'redis',
    SB_REDIS_URL: stack.redis.url,
  };
}
