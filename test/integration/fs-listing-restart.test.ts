/**
 * The embedded default's List against a real server process: pages follow
 * writes and deletes made between them, and after a SIGKILL in the middle of
 * a burst of writes and deletes the restarted server lists exactly the
 * documents on disk, every acknowledged put present and every acknowledged
 * delete absent (the listing index is in memory and rebuilt from the data
 * directory; nothing of it can be stale after a crash).
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { docClient, type DocClient } from '../harness/doc-client.js';

jest.setTimeout(90_000);

let dir: string;
let server: ServerProcess | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sb-fslist-it-'));
});

afterAll(async () => {
  await server?.stop('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Every id of the collection, paged through List with keys_only. */
async function listIds(docs: DocClient, pageSize: number): Promise<string[]> {
  const ids: string[] = [];
  let pageToken = '';
  do {
    const page = await docs.list({ collection: 'c', pageSize, pageToken, keysOnly: true });
    ids.push(...page.documents.map((d) => d.id));
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return ids;
}

const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));
const id = (i: number): string => `k${String(i).padStart(4, '0')}`;

it('List follows writes between pages, and after a SIGKILL mid-burst lists exactly what is on disk', async () => {
  const env = { SB_STORAGE: 'filesystem', SB_DATA_DIR: dir, SB_COORDINATION: 'local' };
  server = await startServer(env);
  let docs = docClient(server.grpcUrl);
  for (let i = 0; i < 200; i += 20) {
    await Promise.all(Array.from({ length: 20 }, (_, j) => docs.put({ collection: 'c', id: id(i + j), data: { n: i + j } })));
  }
  const first = await docs.list({ collection: 'c', pageSize: 50, keysOnly: true });
  expect(first.documents.map((d) => d.id)).toEqual(Array.from({ length: 50 }, (_, i) => id(i)));
  await docs.put({ collection: 'c', id: 'k0010x', data: {} }); // behind the cursor: not on later pages
  await docs.put({ collection: 'c', id: 'k0100x', data: {} }); // ahead of it
  await docs.delete({ collection: 'c', id: id(120) });
  const rest: string[] = [];
  let pageToken = first.nextPageToken;
  while (pageToken !== '') {
    const page = await docs.list({ collection: 'c', pageSize: 50, pageToken, keysOnly: true });
    rest.push(...page.documents.map((d) => d.id));
    pageToken = page.nextPageToken;
  }
  expect(rest).toContain('k0100x');
  expect(rest).not.toContain('k0010x');
  expect(rest).not.toContain(id(120));
  expect(rest).toHaveLength(150); // 150 - 1 deleted + 1 created ahead

  // A burst of puts and deletes, killed part-way.
  const acked = { put: new Set<string>(), deleted: new Set<string>() };
  const burst = Promise.allSettled(
    Array.from({ length: 8 }, async (_, w) => {
      for (let i = 0; ; i++) {
        if (i % 2 === 0) {
          const key = `n${w}-${i}`;
          await docs.put({ collection: 'c', id: key, data: {} });
          acked.put.add(key);
        } else {
          const key = id((w * 25 + i) % 200);
          await docs.delete({ collection: 'c', id: key });
          acked.deleted.add(key);
        }
      }
    }),
  );
  while (acked.put.size < 20) await new Promise((r) => setTimeout(r, 5));
  expect(await server.stop('SIGKILL')).toBeNull();
  await burst;

  server = await startServer(env);
  docs = docClient(server.grpcUrl);
  const onDisk = (await readdir(join(dir, 'docs', 'c'))).sort(byteOrder);
  const listed = await listIds(docs, 37);
  expect(listed).toEqual(onDisk);
  for (const k of acked.put) expect(listed).toContain(k);
  for (const k of acked.deleted) expect(listed).not.toContain(k);
});
