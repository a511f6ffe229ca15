/**
 * Atomic visibility of Commit across server processes (docs/transactions.md),
 * on S3 (gofakes3) + Redis with 3 servers:
 *   - a writer commits T1..Tn, each setting X (collection vis_x) and Y
 *     (collection vis_y) to {k}; concurrent readers read one of them and
 *     then the other, through different servers and read APIs. The second
 *     read never shows an older k than the first (nobody sees half a
 *     transaction), no read shows an older k than one the reader saw before
 *     (once seen, a commit is never missed), and no read fails;
 *   - a transaction stuck before its commit point (its server died at
 *     txn.after-stage with the documents staged) is invisible to readers of
 *     every server, blocks single writes (TRANSACTION_CONTENTION) while it
 *     is live, and after SB_TXN_TIMEOUT_MS a write to its documents succeeds
 *     and nothing of it ever shows.
 */
import { Code } from '@connectrpc/connect';
import { crashCommit } from '../harness/crash-commit.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { sharedStackEnv } from '../harness/stack-env.js';
import { bucketDebris, testS3Client } from '../harness/txn-debris.js';
import { failure, setWrite } from '../harness/txn-writes.js';

jest.setTimeout(180_000);

const TIMEOUT_MS = 2000;
const SWEEP_MS = 200;
const COMMITS = 200;
const READERS = 6;

let stack: SharedStack | undefined;
let clients: ServerClients[] = [];

beforeAll(async () => {
  stack = await startSharedStack(3, { SB_TXN_TIMEOUT_MS: String(TIMEOUT_MS), SB_TXN_SWEEP_INTERVAL_MS: String(SWEEP_MS) });
  clients = stack.servers.map((s) => serverClients(s.grpcUrl));
});

afterAll(async () => {
  await stack?.stop();
});

/** The read APIs a reader cycles through; each returns the document's data (undefined when absent). */
const readers: Record<string, (c: ServerClients, collection: string, id: string) => Promise<Record<string, unknown> | undefined>> = {
  Get: async (c, collection, id) => (await c.docs.get({ collection, id })).document?.data,
  BatchGet: async (c, collection, id) => {
    for await (const r of c.docs.batchGet({ collection, ids: [id] })) return r.found ? r.document?.data : undefined;
    return undefined;
  },
  List: async (c, collection, id) => (await c.docs.list({ collection, idPrefix: id })).documents.find((d) => d.id === id)?.data,
};
const apiNames = Object.keys(readers);

it(`${READERS} readers through 3 servers never see half of any of ${COMMITS} transactions, nor go back in time`, async () => {
  const [cx, cy] = ['vis_x', 'vis_y'];
  await clients[0]!.docs.commit({ writes: [setWrite(cx, 'X', { k: 0 }), setWrite(cy, 'Y', { k: 0 })] });
  let writing = true;
  const violations: string[] = [];
  const errors: string[] = [];
  const seenValues = new Set<number>();
  let reads = 0;

  const writer = async (): Promise<void> => {
    try {
      for (let k = 1; k <= COMMITS; k++) {
        await clients[k % clients.length]!.docs.commit({ writes: [setWrite(cx, 'X', { k }), setWrite(cy, 'Y', { k })] });
      }
    } finally {
      writing = false;
    }
  };

  const reader = async (r: number): Promise<void> => {
    let maxSeen = 0;
    for (let i = 0; writing; i++) {
      // Alternate which document is read first; read each through another server and API.
      const [first, second] =
        i % 2 === 0
          ? [
              [cx, 'X'],
              [cy, 'Y'],
            ]
          : [
              [cy, 'Y'],
              [cx, 'X'],
            ];
      const api1 = apiNames[(r + i) % apiNames.length]!;
      const api2 = apiNames[(r + i + 1) % apiNames.length]!;
      const s1 = (r + i) % clients.length;
      const s2 = (r + i + 1) % clients.length;
      let k1: number;
      let k2: number;
      try {
        k1 = Number((await readers[api1]!(clients[s1]!, first![0]!, first![1]!))?.k);
        k2 = Number((await readers[api2]!(clients[s2]!, second![0]!, second![1]!))?.k);
      } catch (e) {
        errors.push(`reader ${r}: ${failure(e).message}`);
        continue;
      }
      reads += 2;
      seenValues.add(k1).add(k2);
      const where = `reader ${r} read ${first![1]}=${k1} (${api1}, server ${s1}) then ${second![1]}=${k2} (${api2}, server ${s2})`;
      if (!Number.isInteger(k1) || !Number.isInteger(k2)) violations.push(`${where}: a document without k`);
      if (k2 < k1) violations.push(`${where}: the second read misses a transaction the first showed`);
      if (k1 < maxSeen) violations.push(`${where}: already saw k=${maxSeen} before`);
      maxSeen = Math.max(maxSeen, k1, k2);
    }
  };

  const started = Date.now();
  await Promise.all([writer(), ...Array.from({ length: READERS }, (_, r) => reader(r))]);
  console.log(
    `${COMMITS} commits and ${reads} reads by ${READERS} readers in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
      `${seenValues.size} distinct k seen; ${violations.length} violations, ${errors.length} failed reads`,
  );
  expect(errors).toEqual([]);
  expect(violations).toEqual([]);
  // The reads overlapped the commits (or the run proves nothing).
  expect(seenValues.size).toBeGreaterThan(COMMITS / 10);
  for (const c of clients) {
    expect((await c.docs.get({ collection: cx, id: 'X' })).document?.data).toEqual({ k: COMMITS });
    expect((await c.docs.get({ collection: cy, id: 'Y' })).document?.data).toEqual({ k: COMMITS });
  }
});

it('a transaction stuck before its commit point is invisible, blocks writes while live, and is rolled back after the timeout', async () => {
  const [cx, cy] = ['stuck_x', 'stuck_y'];
  const stuckTimeoutMs = 6000; // the dead server's timeout: the intent's expiry
  const x0 = (await clients[0]!.docs.put({ collection: cx, id: 'X', data: { v: 'old' } })).document!;
  const y0 = (await clients[0]!.docs.put({ collection: cy, id: 'Y', data: { v: 'old' } })).document!;
  const crash = await crashCommit(
    sharedStackEnv(stack!, { SB_TXN_TIMEOUT_MS: String(stuckTimeoutMs), SB_TXN_SWEEP_INTERVAL_MS: String(SWEEP_MS) }),
    'txn.after-stage',
    [setWrite(cx, 'X', { v: 'new' }, { etag: x0.etag }), setWrite(cy, 'Y', { v: 'new' }, { etag: y0.etag })],
  );
  const crashedAt = Date.now();
  expect({ signal: crash.signal, answered: crash.response !== undefined, serverReason: failure(crash.error).reason }).toEqual({
    signal: 'SIGKILL',
    answered: false,
    serverReason: '',
  });
  const s3 = testS3Client(stack!.s3.endpoint);
  const debris = await bucketDebris(s3, stack!.s3.bucket, 'docs/stuck_');
  expect({ intents: debris.intentStates, marked: debris.markedDocs }).toEqual({
    intents: ['pending'],
    marked: [`docs/${cx}/X`, `docs/${cy}/Y`],
  });

  // A single write meets the live transaction: it waits (2 s), then TRANSACTION_CONTENTION.
  const blocked = clients[1]!.docs.put({ collection: cx, id: 'X', data: { v: 'blocked' } }).then(
    () => 'written',
    (e: unknown) => `${Code[failure(e).code]} ${failure(e).reason}`,
  );

  // Until the intent expires, every server shows the old documents with their old etags.
  let reads = 0;
  while (Date.now() < crashedAt + stuckTimeoutMs - 500) {
    for (const [i, c] of clients.entries()) {
      const api = apiNames[(reads + i) % apiNames.length]!;
      expect({ api, x: await readers[api]!(c, cx, 'X'), y: await readers[api]!(c, cy, 'Y') }).toEqual({
        api,
        x: { v: 'old' },
        y: { v: 'old' },
      });
      expect((await c.docs.get({ collection: cx, id: 'X' })).document?.etag).toBe(x0.etag);
      expect((await c.docs.exists({ collection: cy, id: 'Y' })).etag).toBe(y0.etag);
      reads++;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(await blocked).toBe('Aborted TRANSACTION_CONTENTION');
  expect(reads).toBeGreaterThan(10);

  // After the timeout a write succeeds, and the transaction never shows.
  await new Promise((r) => setTimeout(r, crashedAt + stuckTimeoutMs + 100 - Date.now()));
  const x1 = (await clients[2]!.docs.put({ collection: cx, id: 'X', data: { v: 'after' } })).document!;
  expect(x1.version).toBe(2n);
  for (const c of clients) {
    expect((await c.docs.get({ collection: cx, id: 'X' })).document?.data).toEqual({ v: 'after' });
    expect((await c.docs.get({ collection: cy, id: 'Y' })).document).toMatchObject({ data: { v: 'old' }, etag: y0.etag, version: 1n });
  }
  // Recovery finished: no intent, no marker; a transaction over both documents commits.
  await new Promise((r) => setTimeout(r, 5 * SWEEP_MS));
  const left = await bucketDebris(s3, stack!.s3.bucket, 'docs/stuck_');
  expect({ intents: left.intents, marked: left.markedDocs }).toEqual({ intents: [], marked: [] });
  await clients[0]!.docs.commit({
    writes: [setWrite(cx, 'X', { v: 'final' }, { etag: x1.etag }), setWrite(cy, 'Y', { v: 'final' }, { etag: y0.etag })],
  });
  s3.destroy();
});
