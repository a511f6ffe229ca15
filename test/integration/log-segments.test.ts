/**
 * Log segments across 3 server processes on one S3 server and one Redis
 * (issue 13, logs part 2; docs/adr/0013 §12), with a short
 * SB_LOG_SEGMENT_MAX_AGE_MS and a small SB_LOG_SEGMENT_BYTES so that the
 * compactors run all along: 6 appenders (2 per server) append while a
 * follower started first records the log. Every line arrives once, dense and
 * in order, at the follower and in a final ReadLog from 0 and from the
 * middle; the bucket ends with segments and few chunks; a writer that finds
 * the tail in storage continues after the segments. A second log with a
 * small retainBytes (collections file `logs:` section) loses its old
 * segments: a read from 1 is SEQUENCE_TRIMMED, a read from the oldest works.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import { BucketView } from '../harness/object-bucket.js';
import { follow, logClient, readToEnd, type LogClient, type ReadLine } from '../harness/log-client.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';

jest.setTimeout(120_000);

const LOG = 'seg';
const APPENDERS = 6;
const APPENDS_EACH = 150;

let stack: SharedStack;
let clients: LogClient[];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-logseg-'));
  const file = join(dir, 'collections.yaml');
  await writeFile(file, 'logs:\n  trimmed: { retainBytes: 10000 }\n');
  stack = await startSharedStack(3, {
    SB_LOG_FOLLOW_POLL_MS: '200',
    SB_LOG_SEGMENT_MAX_AGE_MS: '300',
    SB_LOG_SEGMENT_BYTES: '4096',
    SB_COLLECTIONS_FILE: file,
  });
  clients = stack.servers.map((s) => logClient(s.grpcUrl));
});
afterAll(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('appenders and a follower on 3 servers while compaction runs: every line once, dense, in order; segments in the bucket', async () => {
  const follower = follow(clients[0]!, LOG);
  await Promise.all(
    Array.from({ length: APPENDERS }, async (_, a) => {
      const client = clients[a % clients.length]!;
      for (let i = 0; i < APPENDS_EACH; i++) {
        const lines = i % 10 === 9 ? [0, 1, 2].map((p) => JSON.stringify({ a, i, p })) : [JSON.stringify({ a, i, p: 0 })];
        await client.append({ log: LOG, lines, requestId: `a${a}-${i}` });
      }
    }),
  );
  const total = APPENDERS * (APPENDS_EACH + 2 * (APPENDS_EACH / 10));
  await follower.until(total);
  // Let a last age-triggered compaction happen: one more append after the age limit.
  await new Promise((r) => setTimeout(r, 600));
  await clients[1]!.append({ log: LOG, lines: ['"last"'], requestId: 'last' });
  await follower.until(total + 1);
  await follower.stop();

  const all = await readToEnd(clients[2]!, LOG);
  expect(all.map((l) => l.sequence)).toEqual(Array.from({ length: total + 1 }, (_, i) => i + 1));
  expect(follower.lines).toEqual(all);
  expect(new Set(all.map((l) => l.line)).size).toBe(total + 1);
  // Per appender, its lines in the order it appended them.
  for (let a = 0; a < APPENDERS; a++) {
    const mine = all.map((l) => JSON.parse(l.line) as { a?: number; i: number; p: number }).filter((v) => v.a === a);
    expect(mine.map((v) => v.i * 10 + v.p)).toEqual([...mine.map((v) => v.i * 10 + v.p)].sort((x, y) => x - y));
  }
  const middle = Math.floor(total / 2);
  expect(await readToEnd(clients[1]!, LOG, middle)).toEqual(all.slice(middle - 1));

  const bucket = new BucketView(stack.s3);
  const segments = await bucket.keys(`logs/${LOG}/s/`);
  const chunks = await bucket.keys(`logs/${LOG}/c/`);
  expect(segments.length).toBeGreaterThan(3);
  expect(chunks.length).toBeLessThan(segments.length);
  expect(await bucket.keys(`logs/${LOG}/meta`)).toHaveLength(1);

  // A retry of an id whose lines are in a segment by now is still deduplicated, and the next append is dense.
  const retry = await clients[2]!.append({ log: LOG, lines: [JSON.stringify({ a: 0, i: 0, p: 0 })], requestId: 'a0-0' });
  expect(retry.deduplicated).toBe(true);
  const next = await clients[0]!.append({ log: LOG, lines: ['"after"'] });
  expect(Number(next.firstSequence)).toBe(total + 2);
});

test('with a small retainBytes old segments go: a read from 1 is SEQUENCE_TRIMMED with the oldest, a read from the oldest works', async () => {
  const line = (i: number): string => JSON.stringify({ i, pad: 'x'.repeat(100) });
  for (let i = 1; i <= 400; i++) await clients[i % 3]!.append({ log: 'trimmed', lines: [line(i)] });
  // Age-triggered compaction (and so retention) runs after an append once the oldest chunk is old enough.
  await new Promise((r) => setTimeout(r, 600));
  await clients[0]!.append({ log: 'trimmed', lines: [line(401)] });
  const bucket = new BucketView(stack.s3);
  let err: ConnectError | undefined;
  for (let tries = 0; tries < 50 && err === undefined; tries++) {
    try {
      await readToEnd(clients[1]!, 'trimmed', 1);
      await new Promise((r) => setTimeout(r, 200));
      await clients[0]!.append({ log: 'trimmed', lines: [line(402 + tries)] });
    } catch (e) {
      err = ConnectError.from(e);
    }
  }
  expect(err?.code).toBe(Code.OutOfRange);
  expect(err?.rawMessage).toMatch(/below the oldest retained/);
  const oldestOf = (e: ConnectError): number => Number(/oldest retained \((\d+)\)/.exec(e.rawMessage)![1]);
  let oldest = oldestOf(err!);
  expect(oldest).toBeGreaterThan(1);
  // Retention runs beside reads (after appends, on other servers too): when it moved on between the
  // refusal and this read, the read is refused naming the new oldest; read from that one.
  let rest: ReadLine[] | undefined;
  for (let tries = 0; rest === undefined; tries++) {
    try {
      rest = await readToEnd(clients[2]!, 'trimmed', oldest);
    } catch (e) {
      const moved = ConnectError.from(e);
      if (tries >= 20 || moved.code !== Code.OutOfRange || oldestOf(moved) <= oldest) throw e;
      oldest = oldestOf(moved);
    }
  }
  expect(rest[0]!.sequence).toBe(oldest);
  expect(rest.map((l) => l.sequence)).toEqual(rest.map((_, i) => oldest + i));
  expect(rest.map((l) => (JSON.parse(l.line) as { i: number }).i)).toEqual(rest.map((l) => l.sequence));
  // From 0 means from the oldest retained, which retention may have moved on since (it runs after appends).
  const fromZero = await readToEnd(clients[0]!, 'trimmed');
  expect(fromZero[0]!.sequence).toBeGreaterThanOrEqual(oldest);
  expect(fromZero).toEqual(rest.filter((l) => l.sequence >= fromZero[0]!.sequence));
  expect((await bucket.keys('logs/trimmed/s/')).length).toBeGreaterThan(0);
});
