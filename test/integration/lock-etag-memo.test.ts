/**
 * Lock mode with the etag memo beside the Redis mutex
 * (docs/adr/0010-etag-beside-the-write-lock.md), on the production shape: 3
 * server processes, one gofakes3, one redis-server, SB_S3_CONDITIONAL=lock.
 * Storage requests are read from each server's /metrics, where they are
 * counted as sent to S3:
 *   (a) the compare-and-swap counter still ends exact across the 3 processes;
 *   (b) a PutIfMatch whose etag the memo holds is 1 request (a PUT), one whose
 *       memo is missing (deleted from Redis, as a Redis loss would) is 2 (HEAD + PUT);
 *   (c) a write through another process moves the memo: the first process
 *       then refuses the etag it wrote itself, without a HEAD or PUT, and
 *       accepts the new one.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import Redis from 'ioredis';
import { docClient, type DocClient } from '../harness/doc-client.js';
import { storageRequests } from '../harness/metrics-scrape.js';
import type { ServerProcess } from '../harness/server-process.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { readCounter, runCounter } from './cas-counter.js';

jest.setTimeout(240_000);

const WORKERS = 12;
const PER_WORKER = 25;

/** The Redis key of the memo beside the mutex of document collection/id (mutex-scripts.ts, locked-conditions.ts). */
const memoKey = (collection: string, id: string): string => `sb:{m:blob:docs/${collection}/${id}}:memo`;

/** Storage requests `server` sent while `fn` ran, by op (only ops that moved). */
async function requestsDuring(server: ServerProcess, fn: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await storageRequests(server);
  await fn();
  const after = await storageRequests(server);
  const moved: Record<string, number> = {};
  for (const [op, n] of Object.entries(after)) if (n !== (before[op] ?? 0)) moved[op] = n - (before[op] ?? 0);
  return moved;
}

async function codeOf(p: Promise<unknown>): Promise<Code | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    if (e instanceof ConnectError) return e.code;
    throw e;
  }
}

describe('lock mode, 3 server processes on gofakes3 + redis-server, etag memo beside the mutex', () => {
  let stack: SharedStack | undefined;
  let clients: DocClient[] = [];
  let redis: Redis | undefined;

  beforeAll(async () => {
    stack = await startSharedStack(3, { SB_S3_CONDITIONAL: 'lock', SB_METRICS_PORT: '0', SB_HEALTH_PROBE_INTERVAL_MS: '600000' });
    clients = stack.servers.map((s) => docClient(s.grpcUrl));
    redis = new Redis(stack.redis.url);
  });

  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
  });

  const server = (i: number): ServerProcess => stack!.servers[i]!;

  it(`(a) ${WORKERS} clients × ${PER_WORKER} read → PutIfMatch increments over 3 processes end exact`, async () => {
    await clients[0]!.create({ collection: 'counters', id: 'c', data: { n: 0 } });
    const run = await runCounter(clients, 'counters', 'c', WORKERS, PER_WORKER);
    expect(run.acknowledged).toBe(WORKERS * PER_WORKER);
    expect(run.conflicts).toBeGreaterThan(0); // contended, or it proves nothing about races
    for (const c of clients) {
      const final = await readCounter(c, 'counters', 'c');
      expect(final.n).toBe(WORKERS * PER_WORKER);
      expect(final.version).toBe(WORKERS * PER_WORKER + 1);
    }
  });

  it('(b) a sequential PutIfMatch with a warm memo is 1 storage request (PUT); with the memo gone, 2 (HEAD + PUT)', async () => {
    const c = clients[0]!;
    const created = await c.create({ collection: 'seq', id: 'd', data: { v: 0 } });
    let etag = created.document!.etag;
    for (let v = 1; v <= 5; v++) {
      const moved = await requestsDuring(server(0), async () => {
        etag = (await c.putIfMatch({ collection: 'seq', id: 'd', etag, data: { v } })).document!.etag;
      });
      expect(moved).toEqual({ put: 1 });
    }
    expect(await redis!.del(memoKey('seq', 'd'))).toBe(1);
    const cold = await requestsDuring(server(0), async () => {
      etag = (await c.putIfMatch({ collection: 'seq', id: 'd', etag, data: { v: 6 } })).document!.etag;
    });
    expect(cold).toEqual({ head: 1, put: 1 });
    const warmAgain = await requestsDuring(server(0), () => c.putIfMatch({ collection: 'seq', id: 'd', etag, data: { v: 7 } }));
    expect(warmAgain).toEqual({ put: 1 });
    expect((await c.get({ collection: 'seq', id: 'd' })).document!.data!.v).toBe(7);
  });

  it('(c) a write through another process moves the memo: the first refuses its own older etag, and nothing is lost', async () => {
    const [a, b, third] = clients as [DocClient, DocClient, DocClient];
    const e1 = (await a.create({ collection: 'cross', id: 'd', data: { by: 'a0' } })).document!.etag;
    const e2 = (await a.putIfMatch({ collection: 'cross', id: 'd', etag: e1, data: { by: 'a1' } })).document!.etag;
    const e3 = (await b.putIfMatch({ collection: 'cross', id: 'd', etag: e2, data: { by: 'b1' } })).document!.etag;
    const refused = await requestsDuring(server(0), async () => {
      expect(await codeOf(a.putIfMatch({ collection: 'cross', id: 'd', etag: e2, data: { by: 'lost?' } }))).toBe(Code.Aborted);
    });
    // Refused against the memo b left, so no HEAD and no PUT (the engine's own GET after a refusal stays).
    expect(refused.head).toBeUndefined();
    expect(refused.put).toBeUndefined();
    await b.put({ collection: 'cross', id: 'd', data: { by: 'b2' } }); // an unconditional write moves it too
    expect(await codeOf(third.putIfMatch({ collection: 'cross', id: 'd', etag: e3, data: { by: 'lost?' } }))).toBe(Code.Aborted);
    const cur = (await a.get({ collection: 'cross', id: 'd' })).document!;
    expect(cur.data!.by).toBe('b2');
    await a.putIfMatch({ collection: 'cross', id: 'd', etag: cur.etag, data: { by: 'a2' } });
    for (const c of clients) expect((await c.get({ collection: 'cross', id: 'd' })).document!.data!.by).toBe('a2');
  });
});
