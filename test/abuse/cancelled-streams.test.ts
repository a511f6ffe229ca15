/**
 * Server streams whose clients cancel, disconnect, hit their deadline or
 * stop reading must end on the server: `active_calls` returns to zero and
 * the memory they held is released (issue 8, defect 1). A real server
 * process, raw HTTP/2 and HTTP/1.1 clients that control their own reading.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { BatchGetRequestSchema } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { QueryRequestSchema } from '../../server/src/gen/smarterbase/v1/query_service_pb.js';
import { docClient } from '../harness/doc-client.js';
import { heapSnapshotOptions, retainedHeapBytes } from '../harness/heap-snapshot.js';
import { eventually, grpcFrame, h2Connect, rssOf, scrapeSum, unreadConnectStream, unreadGrpcCall } from '../harness/raw-wire.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

const ACTIVE = 'smarterbase_rpc_server_active_calls';
const DOCS = 200;
const ids = Array.from({ length: DOCS }, (_, i) => `d${String(i).padStart(4, '0')}`);
const query = toBinary(QueryRequestSchema, create(QueryRequestSchema, { collection: 'big' }));
const batchGet = toBinary(BatchGetRequestSchema, create(BatchGetRequestSchema, { collection: 'big', ids }));
const QUERY_PATH = '/smarterbase.v1.QueryService/Query';
const BATCH_PATH = '/smarterbase.v1.DocumentService/BatchGet';

// Opening 100 streams may take most of a minute on a machine running other suites.
jest.setTimeout(120_000);

let srv: ServerProcess;
let metrics: number;
/** Where the server writes its heap snapshots (SIGUSR2). */
const snapshots = mkdtempSync(join(tmpdir(), 'sb-heap-'));
const active = (): Promise<number> => scrapeSum(metrics, ACTIVE);
async function settles(): Promise<boolean> {
  const ok = await eventually(async () => (await active()) === 0, 15_000);
  if (!ok) {
    const text = await (await fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
    console.log(
      text
        .split('\n')
        .filter((l) => l.startsWith(ACTIVE) && !l.endsWith(' 0'))
        .join('\n'),
    );
  }
  return ok;
}

beforeAll(async () => {
  srv = await startServer({ SB_STORAGE: 'memory', SB_STREAM_STALL_TIMEOUT_MS: '6000', NODE_OPTIONS: heapSnapshotOptions(snapshots) });
  metrics = srv.metricsPort!;
  const c = docClient(srv.grpcUrl);
  const blob = 'x'.repeat(32 * 1024);
  for (let i = 0; i < DOCS; i += 20) {
    await Promise.all(ids.slice(i, i + 20).map((id) => c.put({ collection: 'big', id, data: { blob, id } })));
  }
}, 60_000);
afterAll(async () => {
  await srv.stop();
  rmSync(snapshots, { recursive: true, force: true });
  if (process.env.DEBUG_OUT)
    console.log(
      srv
        .output()
        .split('\n')
        .filter((l) => l.includes('DEBUG'))
        .join('\n'),
    );
});

/**
 * Opens `n` unread Query and `n` unread BatchGet calls on `session` and waits until the server
 * has begun to serve every one of them (each has its response headers) and, unless their deadline
 * may have ended them already (`stillRunning` false), calls are running.
 */
async function openUnread(
  session: http2.ClientHttp2Session,
  n: number,
  headers: http2.OutgoingHttpHeaders = {},
  stillRunning = true,
): Promise<http2.ClientHttp2Stream[]> {
  const before = await active();
  const streams: http2.ClientHttp2Stream[] = [];
  for (let i = 0; i < n; i++) {
    streams.push(unreadGrpcCall(session, QUERY_PATH, grpcFrame(query), headers));
    streams.push(unreadGrpcCall(session, BATCH_PATH, grpcFrame(batchGet), headers));
  }
  const served = streams.map(
    (s) =>
      new Promise<boolean>((resolve) => {
        s.once('response', () => resolve(true));
        s.once('close', () => resolve(false));
      }),
  );
  // Liveness bounds, not speed claims: a machine running other suites may take long to open them.
  // Counting all 2n as active at once would race the stall timeout on such a machine (the first
  // ones may be reset before the last ones start), so each call's headers prove it was served.
  let timer: NodeJS.Timeout | undefined;
  const answered = await Promise.race([Promise.all(served), new Promise<boolean[]>((r) => (timer = setTimeout(() => r([]), 60_000)))]);
  clearTimeout(timer);
  expect(answered.filter(Boolean)).toHaveLength(2 * n);
  if (stillRunning) expect(await eventually(async () => (await active()) > before, 10_000)).toBe(true);
  // Let them fill their flow-control windows and block.
  await new Promise((r) => setTimeout(r, 500));
  return streams;
}

describe.each([
  ['grpc port (grpc-js)', () => srv.grpcPort],
  ['http port (connect-node, h2c gRPC)', () => srv.httpPort],
])('on the %s', (_name, port) => {
  test('cancelled unread streams end on the server', async () => {
    const session = await h2Connect(port());
    const streams = await openUnread(session, 25);
    for (const s of streams) s.close(http2.constants.NGHTTP2_CANCEL);
    expect(await settles()).toBe(true);
    session.destroy();
  });

  test('streams of a client that disconnects end on the server', async () => {
    const session = await h2Connect(port());
    await openUnread(session, 25);
    session.destroy();
    expect(await settles()).toBe(true);
  });

  test('streams whose deadline passes while the client reads nothing end on the server', async () => {
    const session = await h2Connect(port());
    const streams = await openUnread(session, 10, { 'grpc-timeout': '4000m' }, false);
    expect(await settles()).toBe(true);
    expect(streams.every((s) => s.closed || s.destroyed || s.rstCode !== undefined)).toBe(true);
    session.destroy();
  });

  test('a client that keeps its streams open but never reads is reset after the stall timeout', async () => {
    const session = await h2Connect(port());
    const streams = await openUnread(session, 10);
    const resets = streams.map((s) => new Promise<number | undefined>((resolve) => s.once('close', () => resolve(s.rstCode))));
    expect(await settles()).toBe(true);
    const codes = await Promise.all(resets);
    expect(codes.every((c) => c === http2.constants.NGHTTP2_CANCEL || c === http2.constants.NGHTTP2_INTERNAL_ERROR)).toBe(true);
    expect(session.destroyed).toBe(false);
    session.destroy();
  });
});

test('Connect server streams over HTTP/1.1: disconnected and unread clients end on the server', async () => {
  const left = Array.from({ length: 10 }, () => unreadConnectStream(srv.httpPort, QUERY_PATH, query));
  const stalled = Array.from({ length: 10 }, () => unreadConnectStream(srv.httpPort, BATCH_PATH, batchGet));
  // Over HTTP/1.1 the kernel's socket buffers (several MB on loopback) may absorb a whole response
  // of an unread client, so not every call is still running here; those that are must end below.
  expect(await eventually(async () => (await active()) >= 1, 10_000)).toBe(true);
  await new Promise((r) => setTimeout(r, 500));
  for (const r of left) r.destroy();
  // The other ten stay connected and unread: the stall timeout ends them.
  expect(await settles()).toBe(true);
  for (const r of stalled) r.destroy();
});

test('memory held by 100 abandoned streams is released after they end', async () => {
  /** Opens 100 unread streams, abandons them, waits until they ended; the server's RSS then. */
  const round = async (): Promise<number> => {
    const session = await h2Connect(srv.grpcPort);
    await openUnread(session, 50);
    session.destroy();
    expect(await settles()).toBe(true);
    await new Promise((r) => setTimeout(r, 1000)); // give the collector a moment
    return rssOf(srv.child.pid!);
  };
  const baseline = await rssOf(srv.child.pid!);
  const after = await round();
  // A process keeps freed pages, and V8 collects its old space when it decides to, so RSS stays
  // above the baseline by about what the held streams needed: 1 MiB HTTP/2 windows each since
  // session 11, 163-170 MB measured (the 150 MB bound of before failed a loaded CI run at 163 MB).
  // Kept responses would be far more: the 100 calls' answers total ~700 MB.
  expect(after - baseline).toBeLessThan(250 * 1024 * 1024);

  // RSS cannot tell retention from the collector's timing: over five rounds it climbed from 301
  // to 640 MB (session 13). The heap after a full collection can: it was 35.3 MB before the first
  // round, 36.3 MB after it (caches warmed once) and 36.2-36.6 MB after each of four more. So two
  // more rounds may add less than 1.5 MiB (-0.13 to +0.55 MB measured, three runs side by side):
  // a server that kept 2 % of the messages its calls wrote (tried, in the gRPC stream sink) grew by
  // 2.7 MB over the two.
  const warmed = await retainedHeapBytes(srv.child.pid!, snapshots);
  await round();
  await round();
  const later = await retainedHeapBytes(srv.child.pid!, snapshots);
  expect(later - warmed).toBeLessThan(1.5 * 1024 * 1024);
});
