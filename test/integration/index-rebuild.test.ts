/**
 * Issue 10, "RebuildIndexes (online)": S3 (gofakes3) + a real redis-server +
 * two server processes; equality, unique and ordered indexes over 1,200
 * documents. Entries are deleted with raw Redis commands, then
 * RebuildIndexes runs over gRPC on one server while the other serves a
 * writer (new documents, rewrites, and duplicates of unique values) and a
 * `require_index` query loop:
 *
 * - no query fails (never INDEX_NOT_READY) and none misses a document whose
 *   entries were not corrupted; no duplicate of a unique value is accepted;
 * - the stream reports progress, then every index SWAPPED;
 * - afterwards ListIndexes shows the three indexes READY and no shadow,
 *   CheckIndexes reports zero, and every document (corrupted, written during
 *   the rebuild) is found through every index.
 */
import Redis from 'ioredis';
import { Code, ConnectError } from '@connectrpc/connect';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import { RebuildOutcome } from '../../server/src/gen/smarterbase/v1/admin_service_pb.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';

jest.setTimeout(180_000);

const C = 'rebuild';
const DOCS = 1200;
const BASE = `sb:{ix:${C}}:`;
const STATUSES = ['new', 'active', 'closed'] as const;
// The drift monitor must not repair the corruption before the rebuild does.
const ENV = { SB_INDEX_DRIFT_REPAIR_THRESHOLD: '1000000' };

let stack: SharedStack;
let raw: Redis;
let a: ServerClients;
let b: ServerClients;

beforeAll(async () => {
  stack = await startSharedStack(2, ENV);
  a = serverClients(stack.servers[0]!.grpcUrl);
  b = serverClients(stack.servers[1]!.grpcUrl);
  raw = new Redis(stack.redis.url);
});

afterAll(async () => {
  raw?.disconnect();
  await stack?.stop();
});

const pad = (i: number): string => `d${String(i).padStart(4, '0')}`;
const email = (id: string): string => `${id}@example.com`;

async function tok(index: string): Promise<string> {
  return (JSON.parse((await raw.hget(`${BASE}cat`, `d:${index}`)) as string) as { tok: string }).tok;
}

async function ids(c: ServerClients, filterExpression: string): Promise<string[]> {
  const out: string[] = [];
  for await (const m of c.query.query({ collection: C, filterExpression, requireIndex: true })) if (m.document) out.push(m.document.id);
  return out;
}

async function inBatches(n: number, size: number, f: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i += size) await Promise.all(Array.from({ length: Math.min(size, n - i) }, (_, k) => f(i + k)));
}

it('rebuilds every index online from storage while writes and require_index queries go on; CheckIndexes then reports zero', async () => {
  await a.admin.createIndex({ index: { collection: C, name: 'by_status', fields: ['status'], kind: IndexKind.EQUALITY } });
  await a.admin.createIndex({ index: { collection: C, name: 'by_email', fields: ['email'], kind: IndexKind.UNIQUE } });
  await a.admin.createIndex({ index: { collection: C, name: 'by_n', fields: ['n'], kind: IndexKind.ORDERED } });
  await inBatches(DOCS, 32, (i) =>
    a.docs.put({ collection: C, id: pad(i), data: { status: STATUSES[i % 3]!, email: email(pad(i)), n: i } }),
  );

  // Corrupt: every 10th active document loses its status entry, every 10th its email and n entries.
  const [st, em, n] = [await tok('by_status'), await tok('by_email'), await tok('by_n')];
  const corrupted = new Set<string>();
  for (let i = 1; i < DOCS; i += 30) {
    await raw.srem(`${BASE}e:${st}:["active"]`, pad(i));
    corrupted.add(pad(i));
  }
  for (let i = 5; i < DOCS; i += 10) {
    await raw.hdel(`${BASE}u:${em}`, `["${email(pad(i))}"]`);
    await raw.zrem(`${BASE}n:${n}`, pad(i));
    corrupted.add(pad(i));
  }
  const missingBefore = (await collect(a.admin.checkIndexes({ collection: C }))).pop();
  expect(Number(missingBefore?.missing)).toBe(corrupted.size + DOCS / 10);
  const activeIntact = Array.from({ length: DOCS }, (_, i) => i)
    .filter((i) => i % 3 === 1 && !corrupted.has(pad(i)))
    .map(pad);

  // The writer and the query loop run on the other server throughout the rebuild.
  let running = true;
  const written: string[] = [];
  const failures: string[] = [];
  let duplicatesRefused = 0;
  let queries = 0;
  const writer = (async () => {
    for (let k = 0; running; k++) {
      const id = `w${String(k).padStart(4, '0')}`;
      await b.docs.put({ collection: C, id, data: { status: 'active', email: email(id), n: DOCS + k } });
      written.push(id);
      try {
        await b.docs.put({ collection: C, id: `dup${k}`, data: { email: email(pad(2)) } });
        failures.push(`duplicate dup${k} accepted`);
      } catch (e) {
        if (ConnectError.from(e).code === Code.AlreadyExists) duplicatesRefused++;
        else failures.push(`duplicate: ${String(e)}`);
      }
    }
  })();
  const reader = (async () => {
    while (running) {
      try {
        const active = new Set(await ids(b, 'status = "active"'));
        const lost = activeIntact.filter((id) => !active.has(id));
        if (lost.length > 0) failures.push(`query missed ${lost.length} intact documents`);
        const one = await ids(b, `email = "${email(pad(2))}"`);
        if (one.join() !== pad(2)) failures.push(`unique lookup gave ${one.join()}`);
        queries++;
      } catch (e) {
        failures.push(`query failed: ${String(e)}`);
      }
    }
  })();

  const out = await collect(a.admin.rebuildIndexes({ collection: C }));
  running = false;
  await Promise.all([writer, reader]);

  expect(failures).toEqual([]);
  expect(queries).toBeGreaterThan(0);
  expect(duplicatesRefused).toBeGreaterThan(0);
  const last = out[out.length - 1];
  expect(out.filter((m) => m.done)).toHaveLength(1);
  expect(out.filter((m) => !m.done && m.index === 'by_status').length).toBeGreaterThan(1); // progress, page by page
  expect(last?.results.map((r) => [r.name, RebuildOutcome[r.outcome], r.error])).toEqual([
    ['by_email', 'SWAPPED', ''],
    ['by_n', 'SWAPPED', ''],
    ['by_status', 'SWAPPED', ''],
  ]);

  const { indexes } = await b.admin.listIndexes({ collection: C });
  expect(indexes.map((i) => [i.name, IndexState[i.state]])).toEqual([
    ['by_email', 'READY'],
    ['by_n', 'READY'],
    ['by_status', 'READY'],
  ]);
  expect(await raw.hkeys(`${BASE}cat`)).not.toContainEqual(expect.stringContaining('~shadow'));
  const after = (await collect(a.admin.checkIndexes({ collection: C }))).pop();
  expect([Number(after?.missing), Number(after?.stale), after?.done]).toEqual([0, 0, true]);

  // Every document is found through every index: the corrupted ones and those written during the rebuild.
  const active = new Set(await ids(a, 'status = "active"'));
  for (const id of [...activeIntact, ...written]) expect(active.has(id)).toBe(true);
  for (const id of corrupted) {
    const i = Number(id.slice(1));
    expect(await ids(a, `email = "${email(id)}"`)).toEqual([id]);
    expect(await ids(a, `n >= ${i} AND n < ${i + 1}`)).toEqual([id]);
    if (i % 3 === 1) expect(active.has(id)).toBe(true);
  }
  expect(await ids(a, `n >= ${DOCS}`)).toHaveLength(written.length);
});

async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const m of stream) out.push(m);
  return out;
}
