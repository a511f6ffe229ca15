/**
 * Indexes and queries across 3 server processes sharing a real S3 server
 * and a real redis-server: unique constraints hold under concurrent creates
 * through different servers, an index created through one server is used by
 * the others, and queries see writes made through any server.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import { Direction } from '../../server/src/gen/smarterbase/v1/query_pb.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';

jest.setTimeout(120_000);

let stack: SharedStack | undefined;
let clients: ServerClients[] = [];

beforeAll(async () => {
  stack = await startSharedStack(3);
  clients = stack.servers.map((s) => serverClients(s.grpcUrl));
});

afterAll(async () => {
  await stack?.stop();
});

async function waitReady(c: ServerClients, collection: string, name: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { index } = await c.admin.getIndex({ collection, name });
    if (index?.state === IndexState.READY) return;
    if (index?.state === IndexState.FAILED) throw new Error(`index ${name} failed: ${index.error}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`index ${name} not ready`);
}

async function ids(c: ServerClients, collection: string, filterExpression: string): Promise<string[]> {
  const out: string[] = [];
  for await (const m of c.query.query({ collection, filterExpression })) if (m.document) out.push(m.document.id);
  return out.sort();
}

it('a unique index holds under 24 concurrent creates of one value through 3 servers: exactly one wins', async () => {
  const collection = 'accounts';
  await clients[0]!.admin.createIndex({ index: { collection, name: 'by_email', fields: ['email'], kind: IndexKind.UNIQUE } });
  await waitReady(clients[1]!, collection, 'by_email');
  const results = await Promise.allSettled(
    Array.from({ length: 24 }, (_, i) =>
      clients[i % 3]!.docs.create({ collection, id: `a${i}`, data: { email: 'same@example.com', n: i } }),
    ),
  );
  const won = results.filter((r) => r.status === 'fulfilled');
  expect(won).toHaveLength(1);
  for (const r of results) {
    if (r.status !== 'rejected') continue;
    const e = ConnectError.from(r.reason);
    expect(e.code).toBe(Code.AlreadyExists);
    expect(e.findDetails(ErrorInfoSchema)[0]?.reason).toBe('UNIQUE_VIOLATION');
  }
  // Exactly one document was stored, and every server's index answers with it.
  const listed = await clients[2]!.docs.list({ collection, keysOnly: true });
  expect(listed.documents).toHaveLength(1);
  for (const c of clients) expect(await ids(c, collection, 'email = "same@example.com"')).toEqual([listed.documents[0]!.id]);
});

it('writes through one server are seen by indexed queries on the others; updates and deletes leave the index', async () => {
  const collection = 'items';
  await clients[2]!.admin.createIndex({ index: { collection, name: 'by_status', fields: ['status'], kind: IndexKind.EQUALITY } });
  await clients[2]!.admin.createIndex({ index: { collection, name: 'by_n', fields: ['n'], kind: IndexKind.ORDERED } });
  await waitReady(clients[0]!, collection, 'by_status');
  await waitReady(clients[0]!, collection, 'by_n');
  for (let n = 1; n <= 10; n++) {
    await clients[n % 3]!.docs.put({ collection, id: `d${n}`, data: { n, status: n % 2 === 0 ? 'even' : 'odd' } });
  }
  const page: number[] = [];
  for await (const m of clients[1]!.query.query({
    collection,
    orderBy: [{ field: 'n', direction: Direction.ASCENDING }],
    offset: 3,
    limit: 3,
    requireIndex: true,
  })) {
    if (m.document) page.push(Number(m.document.data!.n));
  }
  expect(page).toEqual([4, 5, 6]);
  expect(await ids(clients[0]!, collection, 'status = "even"')).toEqual(['d10', 'd2', 'd4', 'd6', 'd8']);
  await clients[1]!.docs.put({ collection, id: 'd2', data: { n: 2, status: 'odd' } });
  await clients[2]!.docs.delete({ collection, id: 'd4' });
  expect(await ids(clients[0]!, collection, 'status = "even"')).toEqual(['d10', 'd6', 'd8']);
  const count = await clients[0]!.query.count({ collection, filterExpression: 'status = "even"', requireIndex: true });
  expect(Number(count.count)).toBe(3);
  expect(Number(count.storageRequests)).toBe(0);
  const plan = await clients[2]!.query.explain({ collection, filterExpression: 'status = "odd"' });
  expect(plan.plan?.indexesUsed).toEqual(['by_status']);
  expect(plan.plan?.scan).toBe(false);
});
