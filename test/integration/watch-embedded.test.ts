/**
 * The change feed of the embedded default (filesystem storage, in-process
 * coordination), against real server processes (docs/streams.md):
 * - concurrent writers of every kind while watchers record, one of them
 *   reconnecting from its last revision every ~40 batches: each replay is the
 *   final listing, no revision twice, every acknowledged write once, no
 *   refused write, each Commit in one message with its transaction id;
 * - SIGKILL between the storage write and the publication (a failpoint), and
 *   after an allocation with nothing stored: after a restart the stored write
 *   is published exactly once, the other never;
 * - the history survives a restart; a deleted journal or a trimmed history
 *   is OUT_OF_RANGE / REVISION_COMPACTED with the oldest revision.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import { StreamService } from '../../server/src/gen/smarterbase/v1/stream_service_pb.js';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { serverClients, type DocClient } from '../harness/doc-client.js';
import { recordWatch, replay, streamClient, type RecordedBatch } from '../harness/watch-recorder.js';
import { runWorkload } from '../harness/feed-workload.js';
import { samples, scrape } from '../harness/metrics-scrape.js';

jest.setTimeout(180_000);

const dirs: string[] = [];
const servers: ServerProcess[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sb-watch-'));
  dirs.push(d);
  return d;
}

async function server(dir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  const s = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: dir, SB_COORDINATION: 'local', ...env });
  servers.push(s);
  return s;
}

/** The collection as List shows it: id → {etag, data}. */
async function listing(
  docs: DocClient,
  collection: string,
): Promise<{ state: Map<string, { etag: string; data: unknown }>; readRevision: number }> {
  const state = new Map<string, { etag: string; data: unknown }>();
  let pageToken = '';
  let readRevision = 0;
  do {
    const page = await docs.list({ collection, pageSize: 500, pageToken });
    if (readRevision === 0) readRevision = Number(page.readRevision);
    for (const d of page.documents) state.set(d.id, { etag: d.etag, data: d.data });
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return { state, readRevision };
}

function tagsOf(batches: readonly RecordedBatch[]): string[] {
  return batches.flatMap((b) => b.changes.flatMap((c) => (c.type === 'put' ? [String(c.data!.tag)] : [])));
}

function expectOrdered(batches: readonly RecordedBatch[]): void {
  for (let i = 1; i < batches.length; i++) expect(batches[i]!.revision).toBeGreaterThan(batches[i - 1]!.revision);
  for (const b of batches) for (const c of b.changes) expect(c.revision).toBeGreaterThanOrEqual(b.revision);
}

async function reasonOf(p: Promise<unknown>): Promise<{ code: Code; reason?: string; metadata: Record<string, string> }> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => ConnectError.from(x),
  );
  expect(e).toBeDefined();
  const info = e!.findDetails(ErrorInfoSchema)[0];
  return { code: e!.code, reason: info?.reason, metadata: info?.metadata ?? {} };
}

/** The error `p` ends with (undefined when it succeeds), caught at once. */
function settled(p: Promise<unknown>): Promise<ConnectError | undefined> {
  return p.then(
    () => undefined,
    (x: unknown) => ConnectError.from(x),
  );
}

/** The first change batch of a Watch from `after` (or its error). */
async function firstChange(url: string, collection: string, after: number): Promise<unknown> {
  const stop = new AbortController();
  try {
    for await (const m of streamClient(url).watch({ collection, afterRevision: BigInt(after) }, { signal: stop.signal }))
      if (m.kind.case === 'changes') return m;
  } finally {
    stop.abort();
  }
  return undefined;
}

test('writers of every kind, three watchers: each replay is the final listing, every acknowledged write once, nothing refused', async () => {
  const s = await server(dataDir());
  const { docs } = serverClients(s.grpcUrl);
  const start = (await listing(docs, 'mix')).readRevision;
  expect(start).toBeGreaterThan(0);
  const watchers = [
    recordWatch('mix', { after: start, url: () => s.grpcUrl }),
    recordWatch('mix', { after: start, url: () => s.grpcUrl }),
    recordWatch('mix', { after: start, url: () => s.grpcUrl, reconnectEvery: 40 }),
  ];
  const result = await runWorkload({
    collection: 'mix',
    writers: 8,
    opsPerWriter: 120,
    ids: 40,
    client: () => serverClients(s.grpcUrl).docs,
  });
  const final = await listing(docs, 'mix');
  await Promise.all(watchers.map((w) => w.caughtUp(final.readRevision)));
  await Promise.all(watchers.map((w) => w.stop()));

  expect(result.acked.size).toBeGreaterThan(300);
  expect(result.refused.size).toBeGreaterThan(10); // stale etags and taken ids were really tried
  expect(result.commits.length).toBeGreaterThan(20);
  expect(watchers[2]!.connects()).toBeGreaterThan(3);
  for (const w of watchers) {
    expectOrdered(w.batches);
    expect(replay(w.batches)).toEqual(final.state);
    const tags = tagsOf(w.batches);
    expect(new Set(tags).size).toBe(tags.length); // no write twice
    for (const t of result.acked) expect(tags).toContain(t);
    for (const t of tags) expect(result.refused.has(t)).toBe(false);
    const singleDeletes = w.batches.filter((b) => b.transactionId === '').flatMap((b) => b.changes.filter((c) => c.type === 'delete'));
    expect(singleDeletes.length).toBe(result.deletes);
    for (const c of result.commits) {
      const group = w.batches.filter((b) => b.transactionId === c.txid);
      // One message per commit; a commit of only deletes of absent documents changed nothing.
      expect(group).toHaveLength(c.setIds.length > 0 ? 1 : group.length > 0 ? 1 : 0);
      if (group.length === 0) continue;
      const ids = group[0]!.changes.map((x) => x.id);
      for (const id of c.setIds) expect(ids).toContain(id);
      for (const id of ids) expect(c.ids).toContain(id);
    }
  }
  // The watchers agree message for message.
  expect(watchers[1]!.batches).toEqual(watchers[0]!.batches);
  expect(watchers[2]!.batches).toEqual(watchers[0]!.batches);
});

test.each(['feed.after-storage-write', 'feed.after-allocate'])(
  'SIGKILL at %s under load: after a restart the feed holds exactly what storage holds',
  async (failpoint) => {
    const dir = dataDir();
    let s = await server(dir);
    const start = (await listing(serverClients(s.grpcUrl).docs, 'crash')).readRevision;
    await s.stop('SIGTERM');
    for (let round = 0; round < 3; round++) {
      s = await server(dir, { SB_FAILPOINTS: `${failpoint}=crash` });
      const url = s.grpcUrl;
      // Writers run until the first write reaches the failpoint and the process dies under them.
      await runWorkload({ collection: 'crash', writers: 4, opsPerWriter: 20, ids: 10, client: () => serverClients(url).docs });
      expect(await s.stop('SIGKILL')).toBeNull();
    }
    s = await server(dir);
    const { docs } = serverClients(s.grpcUrl);
    const final = await listing(docs, 'crash');
    const w = recordWatch('crash', { after: start, url: () => s.grpcUrl });
    await w.caughtUp(final.readRevision);
    await w.stop();
    expectOrdered(w.batches);
    expect(replay(w.batches)).toEqual(final.state); // the stored write is in the feed, once; an unstored one is not
    const tags = tagsOf(w.batches);
    expect(new Set(tags).size).toBe(tags.length);
    expect(s.output()).toContain('revisions left by the last run resolved');
  },
);

test('the history survives a restart; a deleted journal and a trimmed history are REVISION_COMPACTED', async () => {
  const dir = dataDir();
  let s = await server(dir, { SB_FEED_RETAIN_COUNT: '30' });
  let { docs } = serverClients(s.grpcUrl);
  const start = (await listing(docs, 'h')).readRevision;
  for (let i = 0; i < 20; i++) await docs.put({ collection: 'h', id: `k${i % 5}`, data: { i } });
  const before = recordWatch('h', { after: start, url: () => s.grpcUrl });
  await before.caughtUp((await listing(docs, 'h')).readRevision);
  await before.stop();
  expect(before.batches).toHaveLength(20);
  await s.stop('SIGTERM');

  s = await server(dir, { SB_FEED_RETAIN_COUNT: '30' });
  ({ docs } = serverClients(s.grpcUrl));
  const again = recordWatch('h', { after: start, url: () => s.grpcUrl });
  await again.caughtUp((await listing(docs, 'h')).readRevision);
  await again.stop();
  expect(again.batches).toEqual(before.batches);

  for (let i = 0; i < 20; i++) await docs.put({ collection: 'h', id: `k${i % 5}`, data: { j: i } });
  const trimmed = await reasonOf(firstChange(s.grpcUrl, 'h', start));
  expect(trimmed).toMatchObject({ code: Code.OutOfRange, reason: 'REVISION_COMPACTED' });
  expect(Number(trimmed.metadata.oldestRevision)).toBeGreaterThan(start);
  expect(trimmed.metadata).toMatchObject({ collection: 'h', requestedRevision: String(start) });
  expect(await firstChange(s.grpcUrl, 'h', Number(trimmed.metadata.oldestRevision))).toMatchObject({ kind: { case: 'changes' } });
  await s.stop('SIGTERM');

  rmSync(join(dir, '.feed'), { recursive: true, force: true });
  s = await server(dir);
  const lost = await reasonOf(firstChange(s.grpcUrl, 'h', again.last()));
  expect(lost).toMatchObject({ code: Code.OutOfRange, reason: 'REVISION_COMPACTED' });
  expect(Number(lost.metadata.oldestRevision)).toBeGreaterThan(again.last());
});

test('Connect over HTTP/1.1 watches too; SIGTERM ends open watches with UNAVAILABLE SHUTTING_DOWN at once', async () => {
  const s = await server(dataDir());
  const { docs } = serverClients(s.grpcUrl);
  const start = (await listing(docs, 'ct')).readRevision;
  const connect = createClient(StreamService, createConnectTransport({ baseUrl: `http://127.0.0.1:${s.httpPort}`, httpVersion: '1.1' }));
  const got: number[] = [];
  const viaConnect = settled(
    (async () => {
      for await (const m of connect.watch({ collection: 'ct', afterRevision: BigInt(start) }))
        if (m.kind.case === 'changes') got.push(Number(m.revision));
    })(),
  );
  const viaGrpc = firstChange(s.grpcUrl, 'ct', start); // ends at its first message
  const put = await docs.put({ collection: 'ct', id: 'a', data: { x: 1 } });
  expect(await viaGrpc).toMatchObject({ kind: { case: 'changes' }, revision: put.document!.revision });
  let heldOpen = false;
  const held = settled(
    (async () => {
      for await (const _ of streamClient(s.grpcUrl).watch({ collection: 'ct', afterRevision: BigInt(start) })) heldOpen = true;
    })(),
  );
  while (got.length === 0 || !heldOpen) await new Promise((r) => setTimeout(r, 20));
  expect(got).toEqual([Number(put.document!.revision)]);
  expect(samples(await scrape(s), 'smarterbase_feed_watchers').map((x) => x.value)).toEqual([2]);
  expect(samples(await scrape(s), 'smarterbase_feed_pending_revisions')).toEqual([]);
  const t0 = Date.now();
  expect(await s.stop('SIGTERM')).toBe(0);
  expect(Date.now() - t0).toBeLessThan(8000); // well inside the 10 s grace: the watches did not hold it
  for (const ended of [viaConnect, held]) expect((await ended)?.code).toBe(Code.Unavailable);
});

test('a client that cancels its watch and drops its connection just as the server stops never holds the shutdown (5 rounds)', async () => {
  // The race of grpc-node #1458: a session destroyed by the client, its 'close' still pending, when shutdown begins.
  for (let round = 0; round < 5; round++) {
    const s = await server(dataDir());
    const session = new Http2SessionManager(s.grpcUrl);
    const client = createClient(StreamService, createGrpcTransport({ baseUrl: s.grpcUrl, sessionManager: session }));
    const stop = new AbortController();
    for await (const m of client.watch({ collection: 'sd' }, { signal: stop.signal })) {
      expect(m.kind.case).toBe('progress');
      break;
    }
    stop.abort();
    session.abort();
    const t0 = Date.now();
    expect(await s.stop('SIGTERM')).toBe(0);
    expect(Date.now() - t0).toBeLessThan(4000); // the grace period is 10 s
  }
});
