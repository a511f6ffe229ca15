/**
 * Issue 14, encryption at rest of logs and of the change feed (docs/adr/0016
 * "Logs" and "The change feed"): one server process with a keyring on a real,
 * disk-backed S3 server (versitygw) and a real redis-server (Redis
 * coordination, so the Redis feed), with a short segment age so the
 * compactor rolls chunks into segments while the test runs.
 *   - log lines carrying a marker are appended while a follower records them;
 *     the bucket ends with segments; a ReadLog from 0 and the follower both
 *     give every line back exactly; every object under logs/ is sealed; no
 *     file of versitygw's storage holds the marker (a control object written
 *     in clear by the test is found there, so the search works);
 *   - documents carrying a marker are written while a Watch records them: the
 *     watcher gets every body in clear, while no Redis key holds the marker
 *     (SCAN, then each key's DUMP and its content read by type: XRANGE of
 *     the feed's stream, HGETALL, ZRANGE, GET), though the feed's stream
 *     holds the changes (ids in clear, sealed data);
 *   - embedded mode (filesystem storage, the in-process feed's journal on
 *     disk): the journal holds the change (its id) but not the marker, and
 *     after a restart a Watch replays the change from the journal in clear.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Redis from 'ioredis';
import { S3BlobStore } from '../../server/src/storage/s3/s3-store.js';
import { isSealed } from '../../server/src/storage/crypto/sealed-body.js';
import { serverClients } from '../harness/doc-client.js';
import { follow, logClient, readToEnd } from '../harness/log-client.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import type { S3TestServer } from '../harness/s3-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { sharedStackEnv } from '../harness/stack-env.js';
import { startVersitygw } from '../harness/versitygw.js';
import { recordWatch } from '../harness/watch-recorder.js';
import { filesContaining } from '../harness/files-containing.js';

jest.setTimeout(120_000);

const MARKER = 'MARKER-5d0e2b7a-logs-and-feed';
const LOG = 'crypt-log';
const KEYRING = { primary: 'k1', keys: { k1: Buffer.alloc(32, 0x33).toString('base64') } };

let s3: S3TestServer | undefined;
let redis: RedisTestServer | undefined;
let server: ServerProcess | undefined;
let raw: S3BlobStore;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-logcrypt-'));
  await writeFile(join(dir, 'keyring.json'), JSON.stringify(KEYRING));
  [s3, redis] = await Promise.all([startVersitygw('logcrypt'), startRedis()]);
  server = await startServer({
    ...sharedStackEnv({ s3, redis }),
    SB_ENCRYPTION_KEYRING_FILE: join(dir, 'keyring.json'),
    SB_LOG_FOLLOW_POLL_MS: '200',
    SB_LOG_SEGMENT_MAX_AGE_MS: '300',
    SB_LOG_SEGMENT_BYTES: '4096',
  });
  raw = new S3BlobStore({ bucket: s3.bucket, endpoint: s3.endpoint, forcePathStyle: true, accessKeyId: 'test', secretAccessKey: 'test' });
});

afterAll(async () => {
  await server?.stop();
  await raw?.close();
  await Promise.all([s3?.stop(), redis?.stop()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

async function keysUnder(prefix: string): Promise<string[]> {
  const out: string[] = [];
  let startAfter: string | undefined;
  for (;;) {
    const page = await raw.list({ prefix, limit: 1000, ...(startAfter === undefined ? {} : { startAfter }) });
    out.push(...page.keys);
    if (!page.isTruncated || page.keys.length === 0) return out;
    startAfter = page.keys[page.keys.length - 1];
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('log lines with a marker: compacted into segments, followed and read back exactly; nothing under logs/ in clear on disk', async () => {
  const client = logClient(server!.grpcUrl);
  const follower = follow(client, LOG);
  const sent: string[] = [];
  for (let i = 0; i < 60; i++) {
    const lines = [0, 1, 2].map((p) => JSON.stringify({ i, p, note: `${MARKER} line ${i}.${p}`, pad: 'x'.repeat(40) }));
    await client.append({ log: LOG, lines, requestId: `r${i}` });
    sent.push(...lines);
    if (i % 20 === 19) await sleep(400); // past the segment age: the next flush rolls a segment
  }
  // One more append after the age limit, so the last chunks are rolled too; then wait for the segments to land.
  await sleep(400);
  await client.append({ log: LOG, lines: [JSON.stringify({ last: MARKER })], requestId: 'last' });
  sent.push(JSON.stringify({ last: MARKER }));
  await follower.until(sent.length);
  await follower.stop();
  for (let waited = 0; (await keysUnder(`logs/${LOG}/s/`)).length < 2 && waited < 30_000; waited += 200) await sleep(200);

  const all = await readToEnd(client, LOG);
  expect(all).toEqual(sent.map((line, i) => ({ sequence: i + 1, line })));
  expect(follower.lines).toEqual(all);
  expect(await readToEnd(client, LOG, 100)).toEqual(all.slice(99));

  const stored = await keysUnder(`logs/${LOG}/`);
  expect(stored.filter((k) => k.includes('/s/')).length).toBeGreaterThanOrEqual(2);
  for (const key of stored) expect([key, isSealed((await raw.get(key))!.body)]).toEqual([key, true]);

  await raw.put('control/clear', Buffer.from(`control ${MARKER}`));
  const root = dirname(s3!.dataDir!); // data and the sidecar metadata
  const hits = await filesContaining(root, MARKER);
  expect(hits).toHaveLength(1);
  expect(hits[0]).toContain('control');
});

test('documents with a marker: a Watch gets their bodies in clear while no Redis key holds the marker', async () => {
  const docs = serverClients(server!.grpcUrl).docs;
  await docs.put({ collection: 'feedc', id: 'seed', data: { seed: true } });
  const watch = recordWatch('feedc', { after: 0, url: () => server!.grpcUrl });
  await sleep(500); // the watch is open (after: 0 watches from now)
  const written = new Map<string, unknown>();
  for (let i = 0; i < 20; i++) {
    const data = { i, secret: `${MARKER} doc ${i}`, nested: { list: [MARKER, i] } };
    await docs.put({ collection: 'feedc', id: `d${i % 7}`, data });
    written.set(`d${i % 7}`, data);
  }
  const { readRevision } = await docs.list({ collection: 'feedc' });
  await watch.caughtUp(Number(readRevision), 60_000);
  await watch.stop();
  const puts = watch.batches.flatMap((b) => b.changes).filter((c) => c.type === 'put');
  expect(puts.map((c) => c.data)).toEqual(
    Array.from({ length: 20 }, (_, i) => ({ i, secret: `${MARKER} doc ${i}`, nested: { list: [MARKER, i] } })),
  );

  const r = new Redis(redis!.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await r.connect();
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, page] = await r.scan(cursor, 'COUNT', 1000);
      cursor = next;
      keys.push(...page);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(0);
    const streamed: { id: string; doc?: { sealedData?: string } }[] = [];
    for (const key of keys) {
      const dump = await r.dumpBuffer(key);
      expect([key, dump?.includes(MARKER)]).toEqual([key, false]);
      const type = await r.type(key);
      let content = '';
      if (type === 'stream') {
        const entries = await r.xrange(key, '-', '+');
        content = JSON.stringify(entries);
        for (const [, fields] of entries) {
          const e = fields[fields.indexOf('e') + 1];
          if (e !== undefined) streamed.push(...(JSON.parse(e) as { changes: (typeof streamed)[number][] }).changes);
        }
      } else if (type === 'hash') content = JSON.stringify(await r.hgetall(key));
      else if (type === 'zset') content = JSON.stringify(await r.zrange(key, 0, -1, 'WITHSCORES'));
      else if (type === 'string') content = (await r.getBuffer(key))?.toString('latin1') ?? '';
      else if (type === 'list') content = JSON.stringify(await r.lrange(key, 0, -1));
      else if (type === 'set') content = JSON.stringify(await r.smembers(key));
      expect([key, type, content.includes(MARKER)]).toEqual([key, type, false]);
    }
    // The feed's stream does hold these changes: ids in clear, the data sealed.
    const ours = streamed.filter((c) => written.has(c.id));
    expect(ours).toHaveLength(20);
    expect(ours.every((c) => typeof c.doc?.sealedData === 'string')).toBe(true);
  } finally {
    r.disconnect();
  }
});

test('embedded mode: the feed journal on disk holds no marker, and a Watch replays the change in clear after a restart', async () => {
  const fsEnv = {
    SB_STORAGE: 'filesystem',
    SB_DATA_DIR: join(dir, 'fsdata'),
    SB_FEED_DIR: join(dir, 'feed'),
    SB_ENCRYPTION_KEYRING_FILE: join(dir, 'keyring.json'),
  };
  let fs = await startServer(fsEnv);
  try {
    const data = { text: `${MARKER} embedded` };
    const put = await serverClients(fs.grpcUrl).docs.put({ collection: 'emb', id: 'journaled-e1', data });
    const revision = Number(put.document!.revision);
    await fs.stop();
    expect(await filesContaining(join(dir, 'feed'), 'journaled-e1')).not.toEqual([]); // the journal holds the change
    expect(await filesContaining(join(dir, 'feed'), MARKER)).toEqual([]);
    fs = await startServer(fsEnv);
    const watch = recordWatch('emb', { after: revision - 1, url: () => fs.grpcUrl });
    await watch.caughtUp(revision, 60_000);
    await watch.stop();
    expect(watch.batches.flatMap((b) => b.changes).map((c) => [c.id, c.data])).toEqual([['journaled-e1', data]]);
  } finally {
    await fs.stop();
  }
});
