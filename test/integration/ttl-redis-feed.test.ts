/**
 * Expiry and the change feed together, with Redis coordination (docs/streams.md):
 * two servers sharing one S3 server and one redis-server; 300 documents with
 * TTLs of 1–3 s written through both, 60 of them rewritten (no expiry) around
 * their expire time, racing the purgers of both servers. Two watchers, one on
 * each server, record from before the first write. Afterwards each watcher's
 * history holds exactly one EXPIRE per purged document (none for a document
 * whose rewrite won), always after that document's put, and its replay is
 * the final listing; the two watchers agree message for message.
 */
import { serverClients } from '../harness/doc-client.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { recordWatch, replay, type RecordedChange } from '../harness/watch-recorder.js';

jest.setTimeout(300_000);

const C = 'ttlfeed';
const N = 300;
const RACED = 60;

let stack: SharedStack | undefined;
afterAll(async () => {
  await stack?.stop();
});

const sleep = (t: number) => new Promise((r) => setTimeout(r, t));
const ttl = (millis: number) => ({
  expiration: { expiration: { case: 'ttl' as const, value: { seconds: BigInt(Math.floor(millis / 1000)), nanos: (millis % 1000) * 1e6 } } },
});

test('one EXPIRE per purged document in every watcher, none for a rewrite that won, on both servers', async () => {
  stack = await startSharedStack(2, { SB_FEED_PENDING_AFTER_MS: '5000', SB_TTL_SWEEP_MS: '500' });
  const [a, b] = stack.servers.map((s) => serverClients(s.grpcUrl));
  // A collection's feed starts with its first write.
  await a!.docs.put({ collection: C, id: 'seed', data: { v: 0 } });
  const start = Number((await a!.docs.list({ collection: C, pageSize: 1 })).readRevision);
  expect(start).toBeGreaterThan(0);
  const watchers = stack.servers.map((s) => recordWatch(C, { after: start, url: () => s.grpcUrl }));

  const ids = Array.from({ length: N }, (_, i) => `d${i}`);
  const dueAt = new Map<string, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async (_, w) => {
      while (next < N) {
        const id = ids[next++]!;
        const r = await (w % 2 === 0 ? a! : b!).docs.put({
          collection: C,
          id,
          data: { v: 1 },
          ...ttl(1000 + Math.floor(Math.random() * 2000)),
        });
        const at = r.document!.expireTime!;
        dueAt.set(id, Number(at.seconds) * 1000 + Math.floor(at.nanos / 1e6));
      }
    }),
  );
  // Rewrites without expiry, through the other server, from just before to just after the expire time.
  const raced = ids.slice(0, RACED);
  await Promise.all(
    raced.map(async (id, i) => {
      await sleep(Math.max(0, dueAt.get(id)! - Date.now() - 300 + Math.floor(Math.random() * 900)));
      await (i % 2 === 0 ? b! : a!).docs.put({ collection: C, id, data: { v: 2 } });
    }),
  );

  // Every expiring document not rewritten is purged (Count is exact), then a fence write's revision is reached.
  const survivors = 1 + raced.length; // the seed and the rewrites
  for (let i = 0; i < 300 && Number((await a!.query.count({ collection: C })).count) !== survivors; i++) await sleep(200);
  expect(Number((await a!.query.count({ collection: C })).count)).toBe(survivors);
  for (let i = 0; i < 300; i++) {
    const listed = (await a!.docs.list({ collection: C, pageSize: 1000, keysOnly: true })).documents.length;
    if (listed === survivors) break;
    await sleep(200);
  }
  const fence = Number((await a!.docs.put({ collection: C, id: 'fence', data: { v: 0 } })).document!.revision);
  const final = new Map<string, { etag: string; data: unknown }>();
  let readRevision = 0;
  for (let i = 0; i < 600 && readRevision < fence; i++) {
    if (i > 0) await sleep(200);
    const page = await a!.docs.list({ collection: C, pageSize: 1000 });
    readRevision = Number(page.readRevision);
    final.clear();
    for (const d of page.documents) final.set(d.id, { etag: d.etag, data: d.data });
  }
  expect(readRevision).toBeGreaterThanOrEqual(fence);
  await Promise.all(watchers.map((w) => w.caughtUp(readRevision, 120_000)));
  await Promise.all(watchers.map((w) => w.stop()));

  for (const w of watchers) {
    const byId = new Map<string, RecordedChange['type'][]>();
    for (const batch of w.batches) for (const c of batch.changes) byId.set(c.id, [...(byId.get(c.id) ?? []), c.type]);
    for (const id of ids) {
      const types = byId.get(id) ?? [];
      if (!raced.includes(id)) expect([id, types]).toEqual([id, ['put', 'expire']]);
      // A rewrite either won (no expiry) or came after the purge (a new document).
      else
        expect([
          ['put', 'put'],
          ['put', 'expire', 'put'],
        ]).toContainEqual(types);
    }
    expect(replay(w.batches)).toEqual(new Map([...final].filter(([id]) => id !== 'seed')));
  }
  expect(watchers[1]!.batches).toEqual(watchers[0]!.batches);
  const expires = watchers[0]!.batches.flatMap((x) => x.changes).filter((c) => c.type === 'expire').length;
  process.stdout.write(`EXPIRE events: ${expires} (${N - RACED} expiring documents never rewritten, ${RACED} raced)\n`);
});
