/**
 * Document expiry on the embedded default (filesystem storage, in-process
 * coordination) against real server processes (docs/streams.md, "Document
 * expiry (TTL)"):
 * - 1,000 documents with TTLs of 1–5 s (and 100 that never expire) under
 *   concurrent readers of every read path: no read sent at or after a
 *   document's expire time returns it (server and test share a clock);
 * - each is purged within a measured bound (< 10 s after its expiry):
 *   exactly one EXPIRE per document in a Watch, none for the others;
 *   CheckIndexes finds no stale entry; Count is exact;
 * - a unique value held by an expired document can be taken again;
 * - after a crash (SIGKILL) and restart the schedule is rebuilt (from the collection marker)
 *   and the documents written before it are purged.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IndexKind } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import type { Document } from '../../server/src/gen/smarterbase/v1/document_pb.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { recordWatch, type WatchRecorder } from '../harness/watch-recorder.js';

jest.setTimeout(120_000);

const C = 'sessions';
const N = 1000;
const KEEP = 100;
/** The purge bound this test holds (SB_TTL_SWEEP_MS = 1000, the default). */
const BOUND_MS = 10_000;

const dirs: string[] = [];
let server: ServerProcess | undefined;
let watch: WatchRecorder | undefined;
afterAll(async () => {
  await watch?.stop();
  await server?.stop('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ms = (t: { seconds: bigint; nanos: number } | undefined): number | undefined =>
  t === undefined ? undefined : Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);
const ttl = (millis: number) => ({
  expiration: { expiration: { case: 'ttl' as const, value: { seconds: BigInt(Math.floor(millis / 1000)), nanos: (millis % 1000) * 1e6 } } },
});

/** Every read of a present document sent at `sentAt`: a violation when the document had expired by then. */
class Violations {
  readonly found: string[] = [];
  reads = 0;
  constructor(private readonly expiry: Map<string, number>) {}
  present(path: string, id: string, sentAt: number, doc?: Document): void {
    this.reads++;
    const at = doc === undefined ? this.expiry.get(id) : ms(doc.expireTime);
    if (doc !== undefined && this.expiry.has(id) && at !== this.expiry.get(id))
      this.found.push(`${path} ${id}: expire_time ${at} ≠ ${this.expiry.get(id)}`);
    if (at !== undefined && sentAt >= at) this.found.push(`${path} ${id}: returned ${sentAt - at} ms after its expiry`);
  }
}

/** Readers of every path, round robin, until `stop`. */
async function readers(c: ServerClients, ids: string[], v: Violations, stop: AbortSignal): Promise<void> {
  const pick = (): string => ids[Math.floor(Math.random() * ids.length)]!;
  const paths: (() => Promise<void>)[] = [
    async () => {
      const id = pick();
      const sentAt = Date.now();
      const r = await c.docs.get({ collection: C, id }).catch(() => undefined);
      if (r?.document) v.present('Get', id, sentAt, r.document);
    },
    async () => {
      const batch = Array.from({ length: 20 }, pick);
      const sentAt = Date.now();
      for await (const r of c.docs.batchGet({ collection: C, ids: [...new Set(batch)] }))
        if (r.document) v.present('BatchGet', r.id, sentAt, r.document);
    },
    async () => {
      const id = pick();
      const sentAt = Date.now();
      if ((await c.docs.exists({ collection: C, id })).exists) v.present('Exists', id, sentAt);
    },
    async () => {
      const batch = [...new Set(Array.from({ length: 20 }, pick))];
      const sentAt = Date.now();
      const r = await c.docs.batchExists({ collection: C, ids: batch });
      r.results.forEach((e) => e.exists && v.present('BatchExists', e.id, sentAt));
    },
    async () => {
      const sentAt = Date.now();
      const page = await c.docs.list({ collection: C, pageSize: 200, idPrefix: `d${Math.floor(Math.random() * 10)}` });
      for (const d of page.documents) v.present('List', d.id, sentAt, d);
    },
    async () => {
      const sentAt = Date.now();
      const page = await c.docs.list({ collection: C, pageSize: 1000, keysOnly: true });
      for (const d of page.documents) v.present('List keys_only', d.id, sentAt);
    },
    async () => {
      const sentAt = Date.now();
      const group = Math.floor(Math.random() * 10);
      for await (const m of c.query.query({ collection: C, filterExpression: `group = ${group}`, requireIndex: true }))
        if (m.document) v.present('Query', m.document.id, sentAt, m.document);
    },
  ];
  let i = 0;
  const worker = async (): Promise<void> => {
    while (!stop.aborted) await paths[i++ % paths.length]!();
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** When each id's EXPIRE changes arrived (one entry per change). */
function expiresOf(w: WatchRecorder): Map<string, number[]> {
  const out = new Map<string, number[]>();
  w.batches.forEach((b, i) => {
    for (const c of b.changes) if (c.type === 'expire') out.set(c.id, [...(out.get(c.id) ?? []), w.arrivedAtMs[i]!]);
  });
  return out;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('hides expired documents from every read at once, purges each within the bound with one EXPIRE, and survives a restart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-ttl-'));
  dirs.push(dir);
  const env = { SB_STORAGE: 'filesystem', SB_DATA_DIR: dir, SB_COORDINATION: 'local' };
  server = await startServer(env);
  let c = serverClients(server.grpcUrl);
  await c.admin.createIndex({ index: { collection: C, name: 'by_group', fields: ['group'], kind: IndexKind.EQUALITY } });
  await c.admin.createIndex({ index: { collection: C, name: 'by_code', fields: ['code'], kind: IndexKind.UNIQUE } });
  watch = recordWatch(C, { after: 0, url: () => server!.grpcUrl });
  await watch.caughtUp(0);

  // 1,000 expiring documents (TTL 1–5 s) and 100 that never expire, written 32 at a time.
  const expiry = new Map<string, number>();
  const ids = [...Array.from({ length: N }, (_, i) => `d${i}`), ...Array.from({ length: KEEP }, (_, i) => `k${i}`)];
  const stop = new AbortController();
  const v = new Violations(expiry);
  const reading = readers(c, ids, v, stop.signal);
  let next = 0;
  const writer = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const keep = id.startsWith('k');
      const r = await c.docs.put({
        collection: C,
        id,
        data: { group: Number(id.slice(1)) % 10, code: `c-${id}` },
        ...(keep ? {} : ttl(1000 + Math.floor(Math.random() * 4000))),
      });
      if (!keep) expiry.set(id, ms(r.document!.expireTime)!);
      else expect(r.document!.expireTime).toBeUndefined();
    }
  };
  await Promise.all(Array.from({ length: 32 }, writer));
  const lastExpiry = Math.max(...expiry.values());

  // Read on until every document expired and was purged (its EXPIRE arrived).
  await until('every EXPIRE', () => expiresOf(watch!).size >= N, lastExpiry - Date.now() + BOUND_MS + 5000);
  stop.abort();
  await reading;
  expect(v.found.slice(0, 10)).toEqual([]);
  expect(v.reads).toBeGreaterThan(1000);

  const expires = expiresOf(watch);
  const lags = [...expiry].map(([id, at]) => {
    expect(expires.get(id)).toHaveLength(1);
    return expires.get(id)![0]! - at;
  });
  for (const id of ids.filter((x) => x.startsWith('k'))) expect(expires.has(id)).toBe(false);
  lags.sort((a, b) => a - b);
  const [p50, p99, max] = [lags[Math.floor(N * 0.5)]!, lags[Math.floor(N * 0.99)]!, lags[N - 1]!];
  process.stdout.write(`purge lag after expiry: p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (reads checked: ${v.reads})\n`);
  expect(max).toBeLessThan(BOUND_MS);

  // Index entries are gone; counts are exact; a freed unique value can be taken again.
  const checks = [];
  for await (const m of c.admin.checkIndexes({ collection: C })) checks.push(m);
  const last = checks[checks.length - 1]!;
  expect({ missing: Number(last.missing), stale: Number(last.stale), scanned: Number(last.documentsScanned) }).toEqual({
    missing: 0,
    stale: 0,
    scanned: KEEP,
  });
  expect(Number((await c.query.count({ collection: C })).count)).toBe(KEEP);
  expect(Number((await c.query.count({ collection: C, filterExpression: 'group = 3', requireIndex: true })).count)).toBe(KEEP / 10);
  await c.docs.put({ collection: C, id: 'u1', data: { code: 'shared' }, ...ttl(1000) });
  await new Promise((r) => setTimeout(r, 1100));
  expect((await c.docs.put({ collection: C, id: 'u2', data: { code: 'shared' } })).document!.version).toBe(1n);

  // Written before a crash, purged after the restart: the schedule is rebuilt from the collection's marker.
  const before = Array.from({ length: 20 }, (_, i) => `r${i}`);
  const expireAt = new Map<string, number>();
  for (const id of before) {
    const r = await c.docs.put({ collection: C, id, data: { group: 0 }, ...ttl(6000) });
    expireAt.set(id, ms(r.document!.expireTime)!);
  }
  await server.stop('SIGKILL');
  expect(Date.now()).toBeLessThan(Math.min(...expireAt.values())); // killed before any of them expired
  server = await startServer(env);
  c = serverClients(server.grpcUrl);
  await until(
    'the EXPIREs of the documents written before the crash',
    () => before.every((id) => expiresOf(watch!).has(id)),
    6000 + BOUND_MS + 5000,
  );
  const afterRestart = expiresOf(watch);
  const restartLags = before.map((id) => {
    expect(afterRestart.get(id)).toHaveLength(1);
    return afterRestart.get(id)![0]! - expireAt.get(id)!;
  });
  process.stdout.write(`after a crash and restart: purge lag max ${Math.max(...restartLags)} ms\n`);
  expect(Math.max(...restartLags)).toBeLessThan(BOUND_MS);
  expect(Number((await c.query.count({ collection: C })).count)).toBe(KEEP + 1); // k* and u2
});
