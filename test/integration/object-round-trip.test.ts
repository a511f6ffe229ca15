/**
 * Issue 13's round trip (docs/streams.md, "Objects"): one server process on a
 * real, disk-backed S3 server (versitygw). A large object (OBJECT_ROUND_TRIP_BYTES,
 * default 256 MiB; CI's long step sets 1073741824) goes up and comes back
 * through the gRPC port with its SHA-256 equal, and the server's resident
 * memory (VmRSS from /proc, sampled every 50 ms during each transfer) grows by
 * at most 64 MiB over its level after a small warm-up transfer; the same for
 * 100 MB through the Connect port. Then ranged downloads and an if_match
 * resume. Each transfer prints its time, throughput and RSS growth.
 */
import { randomBytes, createHash } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { startVersitygw } from '../harness/versitygw.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import {
  TestBody,
  connectObjectClient,
  download,
  grpcObjectClient,
  rssBytes,
  sampleRss,
  uploadMessages,
  type ObjectClient,
} from '../harness/object-client.js';

const MiB = 1024 * 1024;
const BIG = Number(process.env.OBJECT_ROUND_TRIP_BYTES ?? 256 * MiB);
const CONNECT_BYTES = 100_000_000;
const RSS_BOUND = 64 * MiB;

jest.setTimeout(Math.max(240_000, (BIG / MiB) * 1_000));

let s3: S3TestServer | undefined;
let server: ServerProcess | undefined;
/** The server's RSS right after start, before the warm-up (reported, not asserted). */
let startRss = 0;

beforeAll(async () => {
  s3 = await startVersitygw('objects');
  server = await startServer({ SB_STORAGE: 's3', SB_S3_ENDPOINT: s3.endpoint, SB_S3_BUCKET: s3.bucket, SB_S3_FORCE_PATH_STYLE: 'true' });
  startRss = rssBytes(server.child.pid!);
  // Warm-up: first calls load code and grow heaps once; the bound is about what a transfer adds.
  const client = grpcObjectClient(server.grpcUrl);
  const warm = new TestBody(20 * MiB);
  await client.upload(uploadMessages({ collection: 'warm', id: 'w' }, warm.chunks()));
  await download(client, { collection: 'warm', id: 'w' });
});

afterAll(async () => {
  await server?.stop();
  await s3?.stop();
});

/** Uploads then downloads `size` bytes through `client`, asserting SHA-256 equality and the RSS bound. */
async function roundTrip(client: ObjectClient, label: string, id: string, size: number): Promise<void> {
  const pid = server!.child.pid!;
  const body = new TestBody(size);
  const baseline = rssBytes(pid);
  let rss = sampleRss(pid);
  let t0 = performance.now();
  const res = await client.upload(uploadMessages({ collection: 'big', id, expectedSize: BigInt(size) }, body.chunks()));
  const upSeconds = (performance.now() - t0) / 1000;
  const upPeak = rss.stop() - baseline;
  expect(res.object).toMatchObject({ sizeBytes: BigInt(size), sha256: body.sha256(), version: 1n });

  rss = sampleRss(pid);
  t0 = performance.now();
  const got = await download(client, { collection: 'big', id });
  const downSeconds = (performance.now() - t0) / 1000;
  const downPeak = rss.stop() - baseline;
  expect(got).toMatchObject({ bytes: size, sizeBytes: size, receivedSha256: body.sha256(), sha256: body.sha256(), etag: res.object!.etag });

  const mb = size / 1e6;
  console.log(
    `${label}: ${(size / MiB).toFixed(0)} MiB up ${upSeconds.toFixed(1)} s (${(mb / upSeconds).toFixed(0)} MB/s, RSS +${(upPeak / MiB).toFixed(1)} MiB), ` +
      `down ${downSeconds.toFixed(1)} s (${(mb / downSeconds).toFixed(0)} MB/s, RSS +${(downPeak / MiB).toFixed(1)} MiB); baseline RSS ${(baseline / MiB).toFixed(0)} MiB (${(startRss / MiB).toFixed(0)} MiB at start)`,
  );
  expect(upPeak).toBeLessThanOrEqual(RSS_BOUND);
  expect(downPeak).toBeLessThanOrEqual(RSS_BOUND);
}

test(`gRPC port: ${BIG} bytes up and down, SHA-256 equal, server RSS growth ≤ 64 MiB`, async () => {
  await roundTrip(grpcObjectClient(server!.grpcUrl), 'gRPC', 'grpc', BIG);
});

test('Connect port: 100 MB up and down, SHA-256 equal, server RSS growth ≤ 64 MiB', async () => {
  await roundTrip(connectObjectClient(`http://127.0.0.1:${server!.httpPort}`), 'Connect', 'connect', CONNECT_BYTES);
});

test('ranged downloads, and a download resumed with if_match never mixes versions', async () => {
  const client = grpcObjectClient(server!.grpcUrl);
  const body = randomBytes(12 * MiB + 5);
  const sha = createHash('sha256').update(body).digest('hex');
  const chunks = Array.from({ length: Math.ceil(body.length / MiB) }, (_, i) => body.subarray(i * MiB, (i + 1) * MiB));
  const up = await client.upload(uploadMessages({ collection: 'ranges', id: 'r', expectedSha256: sha }, chunks));
  const etag = up.object!.etag;

  // Across the part boundary (8 MiB), to the end, and offset = size.
  const mid = await download(client, { collection: 'ranges', id: 'r', offset: BigInt(8 * MiB - 10), length: 20n }, true);
  expect(mid).toMatchObject({ startOffset: 8 * MiB - 10, bytes: 20 });
  expect(mid.body!.equals(body.subarray(8 * MiB - 10, 8 * MiB + 10))).toBe(true);
  const tail = await download(client, { collection: 'ranges', id: 'r', offset: BigInt(body.length - 3) }, true);
  expect(tail.body!.equals(body.subarray(body.length - 3))).toBe(true);
  expect(await download(client, { collection: 'ranges', id: 'r', offset: BigInt(body.length) })).toMatchObject({
    bytes: 0,
    sizeBytes: body.length,
  });
  await expect(download(client, { collection: 'ranges', id: 'r', offset: BigInt(body.length + 1) })).rejects.toMatchObject({
    code: Code.OutOfRange,
  });

  // Resume: the first 5 MiB, then the rest from there with if_match.
  const head = await download(client, { collection: 'ranges', id: 'r', length: BigInt(5 * MiB) }, true);
  const rest = await download(client, { collection: 'ranges', id: 'r', offset: BigInt(head.bytes), ifMatch: head.etag }, true);
  expect(createHash('sha256').update(head.body!).update(rest.body!).digest('hex')).toBe(sha);

  // Replaced meanwhile: the resume is refused instead of mixing versions.
  await client.upload(
    uploadMessages({ collection: 'ranges', id: 'r', precondition: { condition: { case: 'etag', value: etag } } }, [Buffer.from('v2')]),
  );
  const err = await download(client, { collection: 'ranges', id: 'r', offset: 5n, ifMatch: etag }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ConnectError);
  expect(err).toMatchObject({ code: Code.Aborted });
  expect((err as ConnectError).rawMessage).toContain('has changed');
});

test('a reader that stops for 3 s makes the server wait, not read ahead: RSS growth ≤ 64 MiB, bytes exact', async () => {
  const client = grpcObjectClient(server!.grpcUrl);
  const body = new TestBody(CONNECT_BYTES);
  await client.upload(uploadMessages({ collection: 'big', id: 'slow' }, body.chunks()));
  const pid = server!.child.pid!;
  const baseline = rssBytes(pid);
  const rss = sampleRss(pid);
  const hash = createHash('sha256');
  let bytes = 0;
  let paused = false;
  for await (const msg of client.download({ collection: 'big', id: 'slow' })) {
    hash.update(msg.data);
    bytes += msg.data.byteLength;
    if (!paused && bytes >= 10 * MiB) {
      paused = true;
      await new Promise((r) => setTimeout(r, 3_000));
    }
  }
  const peak = rss.stop() - baseline;
  console.log(`slow reader: 100 MB with a 3 s pause, server RSS +${(peak / MiB).toFixed(1)} MiB`);
  expect({ bytes, sha256: hash.digest('hex') }).toEqual({ bytes: CONNECT_BYTES, sha256: body.sha256() });
  expect(peak).toBeLessThanOrEqual(RSS_BOUND);
});
