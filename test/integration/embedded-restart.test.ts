/**
 * The embedded default (filesystem + in-process coordination) keeps its
 * indexes across a restart: their definitions are durable in the data
 * directory and the in-process index is rebuilt from the documents.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IndexKind, IndexState } from '../../server/src/gen/smarterbase/v1/index_pb.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { serverClients } from '../harness/doc-client.js';

jest.setTimeout(60_000);

let dir: string;
let server: ServerProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-embedded-'));
});

afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function readyIndex(baseUrl: string, collection: string, name: string) {
  const { admin } = serverClients(baseUrl);
  for (let i = 0; i < 200; i++) {
    const { index } = await admin.getIndex({ collection, name });
    if (index?.state === IndexState.READY) return index;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('index not ready');
}

it('an index and its answers survive a restart', async () => {
  const env = { SB_STORAGE: 'filesystem', SB_DATA_DIR: dir, SB_COORDINATION: 'local' };
  server = await startServer(env);
  let c = serverClients(server.grpcUrl);
  await c.admin.createIndex({ index: { collection: 'books', name: 'by_author', fields: ['author'], kind: IndexKind.EQUALITY } });
  for (let i = 0; i < 9; i++) await c.docs.put({ collection: 'books', id: `b${i}`, data: { author: i % 3 === 0 ? 'Le Guin' : 'Lem' } });
  expect(await server.stop()).toBe(0);

  server = await startServer(env);
  c = serverClients(server.grpcUrl);
  expect((await readyIndex(server.grpcUrl, 'books', 'by_author')).documentsScanned).toBe(9n);
  const found: string[] = [];
  for await (const m of c.query.query({ collection: 'books', filterExpression: 'author = "Le Guin"', requireIndex: true })) {
    if (m.document) found.push(m.document.id);
  }
  expect(found.sort()).toEqual(['b0', 'b3', 'b6']);
});
