/**
 * Document expiry against a real server (the embedded default, local
 * coordination, the purger sweeping every 200 ms): a put with a 1 s TTL
 * reads back with its expireTime, disappears from get once expired, and a
 * watch from the read's readRevision gets exactly one 'expire' change for it.
 */
import { createClient, isNotFound, type SmarterBaseClient, type WatchChange } from '../src/index.js';
import { startOwnServer, uniqueCollection, type LiveServer } from './server-fixture.js';

let server: LiveServer | undefined;
let db: SmarterBaseClient;

beforeAll(async () => {
  server = await startOwnServer({ SB_COORDINATION: 'local', SB_TTL_SWEEP_MS: '200' });
  db = createClient({ address: server.grpcAddress, transport: 'grpc', timeoutMs: 10_000 });
});

afterAll(async () => {
  db?.close();
  await server?.stop();
});

/** Polls get() until the document is gone (DOCUMENT_NOT_FOUND), up to `limitMs`; true when it went. */
async function goneWithin(collection: string, id: string, limitMs: number): Promise<boolean> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    try {
      await db.get(collection, id);
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

it('a 1 s TTL: read back with its expireTime, gone from get after it, one expire change in the watch', async () => {
  const col = uniqueCollection('ts_ttl');
  const put = await db.put(col, 'short', { v: 1 }, { expiry: { ttlMs: 1_000 } });
  expect(put.expireTime).toBeInstanceOf(Date);
  const lifetime = put.expireTime!.getTime() - put.updateTime!.getTime();
  expect(lifetime).toBeGreaterThanOrEqual(950);
  expect(lifetime).toBeLessThanOrEqual(2_000);

  const read = await db.getWithReadRevision(col, 'short');
  expect(read.document.expireTime).toEqual(put.expireTime);

  const at = new Date(Date.now() + 3_600_000);
  expect((await db.create(col, { v: 2 }, { id: 'later', expiry: { expireTime: at } })).expireTime).toEqual(at);
  expect((await db.put(col, 'kept', { v: 3 }, { expiry: { never: true } })).expireTime).toBeUndefined();

  const abort = new AbortController();
  const seen: Array<WatchChange> = [];
  const watching = (async () => {
    for await (const batch of db.watch(col, { afterRevision: read.readRevision, progressIntervalMs: 200, signal: abort.signal })) {
      seen.push(...batch.changes);
      if (batch.changes.some((c) => c.id === 'marker')) return;
    }
  })();

  expect(await goneWithin(col, 'short', 5_000)).toBe(true);
  // Wait for the purge's change, then write a marker: everything before it is what the watch saw of the expiry.
  const until = Date.now() + 5_000;
  while (!seen.some((c) => c.type === 'expire') && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  await db.put(col, 'marker', {});
  await watching;
  abort.abort();

  // The purge may land before 'later'/'kept' on a slow machine: compare as a set, the marker last.
  expect(seen.map((c) => `${c.type} ${c.id}`).sort()).toEqual(['expire short', 'put kept', 'put later', 'put marker']);
  expect(seen[seen.length - 1].id).toBe('marker');
  const expired = seen.find((c) => c.type === 'expire')!;
  expect(expired.document).toBeUndefined();
  expect(expired.previousRevision).toBe(put.revision);
}, 10_000);
