/**
 * Issue 10, "unique constraints hold through the loss", for the server that
 * knows least: two servers on S3 (gofakes3) + a real redis-server. Server A
 * creates a unique index and writes; server B has never touched the
 * collection and has not re-read the durable definitions since (refresh,
 * reconcile and loss checks all set to 10 minutes, so nothing but the write
 * path itself can tell B). Redis then loses its data (FLUSHALL: the same
 * empty state as a restart, without the reconnect that would trigger B's
 * loss check). A duplicate written through B must be refused — before this
 * was guarded, B checked it against the empty catalog and stored it.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import Redis from 'ioredis';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';
import { waitFor } from '../harness/redis-process.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';

jest.setTimeout(120_000);

const COLLECTION = 'unseen';
const LONG = '600000';
let stack: SharedStack;
let a: ServerClients;
let b: ServerClients;

beforeAll(async () => {
  stack = await startSharedStack(2, {
    SB_INDEX_RECONCILE_MS: LONG,
    SB_INDEX_DEFINITIONS_REFRESH_MS: LONG,
    SB_REDIS_LOSS_CHECK_MS: LONG,
  });
  [a, b] = stack.servers.map((s) => serverClients(s.grpcUrl)) as [ServerClients, ServerClients];
});

afterAll(async () => {
  await stack?.stop();
});

/** "Code/REASON" of a failed call, or "OK". */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'OK';
  } catch (e) {
    const err = ConnectError.from(e);
    return `${Code[err.code]}/${err.findDetails(ErrorInfoSchema)[0]?.reason ?? ''}`;
  }
}

it('a server that never saw a unique index refuses a duplicate after Redis lost the index, and checks it once the index is back', async () => {
  await a.admin.createIndex({ index: { collection: COLLECTION, name: 'by_email', fields: ['email'], kind: IndexKind.UNIQUE } });
  await waitFor(
    'by_email READY',
    async () => (await a.admin.listIndexes({ collection: COLLECTION })).indexes[0]?.state === IndexState.READY,
  );
  await a.docs.put({ collection: COLLECTION, id: 'alice', data: { email: 'alice@example.com' } });

  const redis = new Redis(stack.redis.url);
  try {
    await redis.flushall();
  } finally {
    redis.disconnect();
  }

  // B's first look at the collection: the catalog is gone, and B's copy of the definitions predates the index.
  expect(await outcome(b.docs.put({ collection: COLLECTION, id: 'dup', data: { email: 'alice@example.com' } }))).toBe(
    'Unavailable/INDEX_NOT_READY',
  );
  // A write that sets no unique field goes through meanwhile.
  expect(await outcome(b.docs.put({ collection: COLLECTION, id: 'other', data: { name: 'x' } }))).toBe('OK');
  // The refusal asked B to restore the index; once READY the duplicate is the usual ALREADY_EXISTS.
  await waitFor(
    'by_email READY on B',
    async () => (await b.admin.listIndexes({ collection: COLLECTION })).indexes[0]?.state === IndexState.READY,
  );
  expect(await outcome(b.docs.put({ collection: COLLECTION, id: 'dup', data: { email: 'alice@example.com' } }))).toBe(
    'AlreadyExists/UNIQUE_VIOLATION',
  );
  const { documents } = await a.docs.list({ collection: COLLECTION, pageSize: 10 });
  expect(documents.map((d) => d.id).sort()).toEqual(['alice', 'other']);
});
