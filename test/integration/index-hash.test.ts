/**
 * Issue 14, hashed equality-index values (docs/security.md, "Indexes"):
 *   - Redis-backed (a real S3 server, a real redis-server, one server process
 *     with SB_INDEX_HASH_KEY_FILE): a hashed unique index on `email` answers
 *     eq and in, refuses a duplicate with ALREADY_EXISTS / UNIQUE_VIOLATION,
 *     Explain shows it for eq and not for a range, and no key or value of the
 *     collection's index keys holds the plaintext email (only the change
 *     feed's keys do: documents of PUT events, not covered), while the same
 *     search finds the value of a clear index on `city` (so it can find);
 *   - embedded (filesystem, in-process indexes): a server without the key
 *     answers CreateIndex with hash_values FAILED_PRECONDITION /
 *     ENCRYPTION_NOT_CONFIGURED, and a data directory holding a hashed index
 *     does not start without the key (a clear message naming the setting).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError } from '@connectrpc/connect';
import Redis from 'ioredis';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import { feedKeys } from '../../server/src/streams/redis/redis-feed-layout.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { waitFor } from '../harness/redis-process.js';
import { startServer } from '../harness/server-process.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';

jest.setTimeout(120_000);

const COLLECTION = 'people';
const EMAIL = 'hidden-7f3a91c2@example.com';
const CITY = 'Visible-City-5d2e';

let dir: string;
let keyFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-ihash-'));
  keyFile = join(dir, 'index-hash.key');
  await writeFile(keyFile, Buffer.alloc(32, 0x5a).toString('base64'));
});

afterAll(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** The gRPC code, ErrorInfo reason and metadata of a failed call. */
async function failure(call: () => Promise<unknown>): Promise<{ code: Code; reason?: string; metadata?: Record<string, string> }> {
  try {
    await call();
  } catch (e) {
    const err = ConnectError.from(e);
    const info = err.findDetails(ErrorInfoSchema)[0];
    return { code: err.code, reason: info?.reason, metadata: info?.metadata };
  }
  throw new Error('expected the call to fail');
}

async function waitReady(c: ServerClients, name: string): Promise<void> {
  await waitFor(`index ${name} ready`, async () => {
    const { index } = await c.admin.getIndex({ collection: COLLECTION, name });
    if (index?.state === IndexState.FAILED) throw new Error(`index ${name} failed: ${index.error}`);
    return index?.state === IndexState.READY;
  });
}

async function ids(c: ServerClients, filterExpression: string): Promise<string[]> {
  const out: string[] = [];
  for await (const m of c.query.query({ collection: COLLECTION, filterExpression })) if (m.document) out.push(m.document.id);
  return out.sort();
}

/** Every Redis key whose name or content (read by its type) contains `needle`. */
async function keysHolding(redis: Redis, needle: string): Promise<string[]> {
  const hits: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      let content: unknown;
      if (type === 'string') content = await redis.getBuffer(key);
      else if (type === 'hash') content = await redis.hgetallBuffer(key);
      else if (type === 'set') content = await redis.smembersBuffer(key);
      else if (type === 'zset') content = await redis.zrangeBuffer(key, 0, -1);
      else if (type === 'list') content = await redis.lrangeBuffer(key, 0, -1);
      else if (type === 'stream') content = await redis.xrange(key, '-', '+');
      const text = key + JSON.stringify(content, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : v)) + type;
      if (text.includes(needle)) hits.push(key);
    }
  } while (cursor !== '0');
  return hits.sort();
}

describe('Redis-backed: a hashed unique index on email', () => {
  let stack: SharedStack | undefined;
  let c: ServerClients;

  beforeAll(async () => {
    stack = await startSharedStack(1, { SB_INDEX_HASH_KEY_FILE: keyFile });
    c = serverClients(stack.servers[0]!.grpcUrl);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('answers eq and in, refuses a duplicate, and leaves no plaintext email in the index keys', async () => {
    await c.docs.put({ collection: COLLECTION, id: 'early', data: { email: 'early@example.com', city: 'Oslo' } });
    const created = await c.admin.createIndex({
      index: { collection: COLLECTION, name: 'by_email', fields: ['email'], kind: IndexKind.UNIQUE, hashValues: true },
    });
    expect(created.index?.hashValues).toBe(true);
    await c.admin.createIndex({ index: { collection: COLLECTION, name: 'by_city', fields: ['city'], kind: IndexKind.EQUALITY } });
    await waitReady(c, 'by_email');
    await waitReady(c, 'by_city');
    expect((await c.admin.listIndexes({ collection: COLLECTION })).indexes.map((i) => [i.name, i.hashValues])).toEqual([
      ['by_city', false],
      ['by_email', true],
    ]);

    await c.docs.put({ collection: COLLECTION, id: 'p1', data: { email: EMAIL, city: CITY } });
    await c.docs.put({ collection: COLLECTION, id: 'p2', data: { email: 'other@example.com', city: CITY } });
    expect(await ids(c, `email = "${EMAIL}"`)).toEqual(['p1']);
    expect(await ids(c, `email IN ["${EMAIL}", "early@example.com"]`)).toEqual(['early', 'p1']);
    const count = await c.query.count({ collection: COLLECTION, filterExpression: `email = "${EMAIL}"`, requireIndex: true });
    expect([Number(count.count), Number(count.storageRequests)]).toEqual([1, 0]);

    const dup = await failure(() => c.docs.create({ collection: COLLECTION, id: 'p3', data: { email: EMAIL } }));
    expect([dup.code, dup.reason]).toEqual([Code.AlreadyExists, 'UNIQUE_VIOLATION']);

    const eqPlan = await c.query.explain({ collection: COLLECTION, filterExpression: `email = "${EMAIL}"` });
    expect(eqPlan.plan?.indexesUsed).toEqual(['by_email']);
    const rangePlan = await c.query.explain({ collection: COLLECTION, filterExpression: 'email >= "a"' });
    expect(rangePlan.plan?.indexesUsed).toEqual([]);
    expect(rangePlan.plan?.scan).toBe(true);
    expect(await ids(c, 'email >= "hidden"')).toEqual(['p1', 'p2']);

    // CheckIndexes recomputes the entries through the same encoding: nothing missing or stale.
    let last: { missing: bigint; stale: bigint; entriesChecked: bigint } | undefined;
    for await (const p of c.admin.checkIndexes({ collection: COLLECTION })) last = p;
    expect([last?.missing, last?.stale]).toEqual([0n, 0n]);
    expect(last!.entriesChecked).toBeGreaterThan(0n);

    const redis = new Redis(stack!.redis.url);
    try {
      // The collection's index keys: its hash tag, minus the change feed's keys that share it (redis-feed-layout.ts).
      const feed = new Set(Object.values(feedKeys('sb:', COLLECTION)));
      const isIndexKey = (k: string): boolean => k.startsWith(`sb:{ix:${COLLECTION}}:`) && !feed.has(k);
      const withEmail = await keysHolding(redis, EMAIL);
      const withCity = await keysHolding(redis, CITY);
      // The search finds what is there: the clear index on city shows its value in index keys.
      expect(withCity.filter(isIndexKey).length).toBeGreaterThan(0);
      // The hashed index shows nothing; only the change feed holds the bodies (not covered: docs/security.md).
      expect(withEmail.filter(isIndexKey)).toEqual([]);
      expect(withEmail.every((k) => feed.has(k))).toBe(true);
      console.log(JSON.stringify({ keysWithEmail: withEmail, indexKeysWithCity: withCity.filter(isIndexKey) }));
    } finally {
      redis.disconnect();
    }
  });
});

describe('embedded: without the key', () => {
  it('CreateIndex with hash_values is FAILED_PRECONDITION, and a hashed index in the data directory stops start-up', async () => {
    const data = join(dir, 'data');
    const withKey = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: data, SB_INDEX_HASH_KEY_FILE: keyFile });
    try {
      const c = serverClients(withKey.grpcUrl);
      await c.admin.createIndex({
        index: { collection: COLLECTION, name: 'by_email', fields: ['email'], kind: IndexKind.UNIQUE, hashValues: true },
      });
      await c.docs.put({ collection: COLLECTION, id: 'p1', data: { email: EMAIL } });
      expect(await ids(c, `email = "${EMAIL}"`)).toEqual(['p1']);
      const ordered = await failure(() =>
        c.admin.createIndex({ index: { collection: COLLECTION, name: 'by_n', fields: ['n'], kind: IndexKind.ORDERED, hashValues: true } }),
      );
      expect([ordered.code, ordered.reason]).toEqual([Code.InvalidArgument, 'INVALID_ARGUMENT']);
    } finally {
      await withKey.stop();
    }

    const keyless = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: join(dir, 'keyless') });
    try {
      const refused = await failure(() =>
        serverClients(keyless.grpcUrl).admin.createIndex({
          index: { collection: COLLECTION, name: 'by_email', fields: ['email'], kind: IndexKind.UNIQUE, hashValues: true },
        }),
      );
      expect(refused).toMatchObject({
        code: Code.FailedPrecondition,
        reason: 'ENCRYPTION_NOT_CONFIGURED',
        metadata: { setting: 'SB_INDEX_HASH_KEY_FILE' },
      });
    } finally {
      await keyless.stop();
    }

    // The data directory with the hashed index, started without the key: start-up fails, naming the setting.
    await expect(startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: data }, 30_000)).rejects.toThrow(/SB_INDEX_HASH_KEY_FILE/);
  });

  it('another key is refused at start-up (its lookups would miss every entry); replacing it on purpose, then a rebuild, finds them again', async () => {
    const data = join(dir, 'data'); // the previous case's: a hashed unique index holding p1
    const otherKey = join(dir, 'other.key');
    await writeFile(otherKey, Buffer.alloc(32, 0x33).toString('base64'));
    await expect(startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: data, SB_INDEX_HASH_KEY_FILE: otherKey }, 30_000)).rejects.toThrow(
      /SB_INDEX_HASH_KEY_FILE: this key \(fingerprint [0-9a-f]{32}\) is not the one/,
    );
    const replaced = await startServer({
      SB_STORAGE: 'filesystem',
      SB_DATA_DIR: data,
      SB_INDEX_HASH_KEY_FILE: otherKey,
      SB_INDEX_HASH_KEY_REPLACE: 'true',
    });
    try {
      const c = serverClients(replaced.grpcUrl);
      for await (const _ of c.admin.rebuildIndexes({ collection: COLLECTION })) void _;
      expect(await ids(c, `email = "${EMAIL}"`)).toEqual(['p1']);
    } finally {
      await replaced.stop();
    }
    // Now the first key is the stranger.
    await expect(startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: data, SB_INDEX_HASH_KEY_FILE: keyFile }, 30_000)).rejects.toThrow(
      /SB_INDEX_HASH_KEY_REPLACE=true/,
    );
  });
});
