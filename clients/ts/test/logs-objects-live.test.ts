/**
 * Logs and objects against a real server (the one the fixture names or
 * starts): appended lines read back byte for byte with dense sequences, a
 * retried request id deduplicated, a bad line refused with nothing
 * appended, an appender's 1,000 lines reaching a follower in order; a 20 MiB
 * object (multipart above the 8 MiB part) round trips with its SHA-256,
 * create-only refuses a second upload, and delete follows the etag.
 */
import { createHash } from 'node:crypto';
import { createClient, type SmarterBaseClient, SmarterBaseError } from '../src/index.js';
import { startServer, uniqueCollection, type LiveServer } from './server-fixture.js';

let server: LiveServer | undefined;
let db: SmarterBaseClient;

beforeAll(async () => {
  server = await startServer();
  db = createClient({ address: server.grpcAddress, transport: 'grpc', timeoutMs: 30_000 });
});

afterAll(async () => {
  db?.close();
  await server?.stop();
});

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof SmarterBaseError) return e.reason;
    throw e;
  }
  throw new Error('expected a failure');
}

it('appends and reads back byte for byte, deduplicates a retried request id, refuses a bad line whole', async () => {
  const log = uniqueCollection('ts_log');
  const lines = ['{"n":1}', '12345678901234567890', '"text"', '{"nested":{"a":[1,2,3]}}'];
  const first = await db.logs.append(log, lines, { requestId: 'rid-1' });
  expect([first.firstSequence, first.lastSequence, first.deduplicated]).toEqual([1n, 4n, false]);
  const again = await db.logs.append(log, lines, { requestId: 'rid-1' });
  expect([again.firstSequence, again.lastSequence, again.deduplicated]).toEqual([1n, 4n, true]);
  expect(await reason(db.logs.append(log, ['{"ok":true}', '{not json']))).toBe('INVALID_LOG_LINE');
  const read: { sequence: bigint; line: string }[] = [];
  for await (const e of db.logs.read(log)) read.push({ sequence: e.sequence, line: e.line });
  expect(read.map((e) => e.line)).toEqual(lines);
  expect(read.map((e) => e.sequence)).toEqual([1n, 2n, 3n, 4n]);
});

it("a follower started first sees an appender's 1,000 lines in order", async () => {
  const log = uniqueCollection('ts_follow');
  await db.logs.append(log, ['"start"']);
  const n = 1000;
  const stop = new AbortController();
  const seen: bigint[] = [];
  const following = (async () => {
    try {
      for await (const e of db.logs.read(log, { fromSequence: 2n, follow: true, signal: stop.signal })) {
        seen.push(e.sequence);
        if (seen.length === n) return;
      }
    } catch (e) {
      if (!stop.signal.aborted) throw e;
    }
  })();
  const appender = db.logs.appender(log, { maxLines: 100 });
  const sequences = await Promise.all(Array.from({ length: n }, (_, i) => appender.add({ i })));
  await appender.close();
  expect(sequences).toEqual(Array.from({ length: n }, (_, i) => BigInt(i + 2)));
  await following;
  stop.abort();
  expect(seen).toEqual(sequences);
});

it('a 20 MiB object round trips with its SHA-256; create-only refuses a second upload; delete follows the etag', async () => {
  const col = uniqueCollection('ts_obj');
  const body = Buffer.alloc(20 * 2 ** 20);
  for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 12)) & 0xff;
  const sha = createHash('sha256').update(body).digest('hex');
  const info = await db.objects.upload(col, 'big', body, { createOnly: true, metadata: { k: 'v' } });
  expect([info.sha256, info.sizeBytes, info.version]).toEqual([sha, BigInt(body.length), 1n]);
  expect(await reason(db.objects.upload(col, 'big', Buffer.from('other'), { createOnly: true }))).toBe('OBJECT_ALREADY_EXISTS');
  const { info: got, data } = await db.objects.downloadBytes(col, 'big');
  expect(got.etag).toBe(info.etag);
  expect(Buffer.compare(Buffer.from(data), body)).toBe(0);
  const part = await db.objects.downloadBytes(col, 'big', { offset: 9 * 2 ** 20, length: 1000, ifMatch: info.etag });
  expect(Buffer.compare(Buffer.from(part.data), body.subarray(9 * 2 ** 20, 9 * 2 ** 20 + 1000))).toBe(0);
  expect((await db.objects.stat(col, 'big')).metadata).toEqual({ k: 'v' });
  expect((await db.objects.list(col)).objects.map((o) => o.id)).toEqual(['big']);
  expect(await reason(db.objects.delete(col, 'big', { etag: 'stale' }))).toBe('ETAG_MISMATCH');
  expect(await db.objects.delete(col, 'big', { etag: info.etag })).toBe(true);
  expect(await reason(db.objects.stat(col, 'big'))).toBe('OBJECT_NOT_FOUND');
});
