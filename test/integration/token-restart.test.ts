/**
 * Issue 8, defect 7: page and resume tokens survive restarts. Three servers
 * on S3 + Redis; server A issues a List page token and a Query resume token;
 * then Redis restarts empty and server B restarts. Both tokens continue on
 * B and on C exactly as they did on A before (the token keys live in the
 * bucket, not in Redis).
 */
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { QueryService } from '../../server/src/gen/smarterbase/v1/query_service_pb.js';
import { Direction } from '../../server/src/gen/smarterbase/v1/query_pb.js';
import { serverClients } from '../harness/doc-client.js';
import { startRedis, type RedisTestServer } from '../harness/redis-server.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { sharedStackEnv } from '../harness/stack-env.js';

jest.setTimeout(120_000);

let stack: SharedStack;
let redis2: RedisTestServer | undefined;
let restartedB: ServerProcess | undefined;

beforeAll(async () => {
  stack = await startSharedStack(3);
});

afterAll(async () => {
  await restartedB?.stop();
  await stack?.stop();
  await redis2?.stop();
});

/** A client of the Connect port (HTTP/1.1 + JSON) and one of the gRPC port of `s`. */
function clientsOf(s: ServerProcess) {
  const connect = createConnectTransport({ baseUrl: `http://127.0.0.1:${s.httpPort}`, httpVersion: '1.1' });
  return [
    { port: 'grpc', ...serverClients(s.grpcUrl) },
    { port: 'connect', docs: createClient(DocumentService, connect), query: createClient(QueryService, connect) },
  ] as const;
}

const queryRequest = {
  collection: 'tok',
  filterExpression: 'n >= 3',
  orderBy: [{ field: 'n', direction: Direction.DESCENDING }],
};

async function queryIds(q: ReturnType<typeof serverClients>['query'], startAfter: string, limit: number): Promise<string[]> {
  const ids: string[] = [];
  for await (const m of q.query({ ...queryRequest, startAfter, limit })) if (m.document) ids.push(m.document.id);
  return ids;
}

it('a List page token and a Query resume token from server A continue on B and C after Redis restarts empty and B restarts', async () => {
  const [a, , c] = stack.servers as [ServerProcess, ServerProcess, ServerProcess];
  const onA = serverClients(a.grpcUrl);
  for (let n = 0; n < 25; n++) await onA.docs.put({ collection: 'tok', id: `d${String(n).padStart(2, '0')}`, data: { n } });

  const first = await onA.docs.list({ collection: 'tok', pageSize: 10 });
  expect(first.nextPageToken).not.toBe('');
  const expectedPage = (await onA.docs.list({ collection: 'tok', pageSize: 10, pageToken: first.nextPageToken })).documents.map(
    (d) => d.id,
  );
  expect(expectedPage).toEqual(Array.from({ length: 10 }, (_, i) => `d${i + 10}`));

  let resume = '';
  for await (const m of onA.query.query({ ...queryRequest, limit: 5 })) if (m.document) resume = m.resumeToken;
  expect(resume).not.toBe('');
  const expectedRest = await queryIds(onA.query, resume, 0);
  expect(expectedRest).toEqual(Array.from({ length: 17 }, (_, i) => `d${String(19 - i).padStart(2, '0')}`));

  // Redis restarts empty on the same port; server B restarts.
  const port = stack.redis.port;
  await stack.redis.stop();
  redis2 = await startRedis(port);
  await stack.servers[1]!.stop();
  restartedB = await startServer(sharedStackEnv(stack));

  for (const server of [restartedB, c]) {
    for (const client of clientsOf(server)) {
      const page = await client.docs.list({ collection: 'tok', pageSize: 10, pageToken: first.nextPageToken });
      expect([client.port, page.documents.map((d) => d.id)]).toEqual([client.port, expectedPage]);
      expect([client.port, await queryIds(client.query, resume, 0)]).toEqual([client.port, expectedRest]);
    }
  }
});
