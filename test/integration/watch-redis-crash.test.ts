/**
 * The change feed with Redis coordination survives servers killed between
 * the steps of a write (docs/streams.md, ADR 0012 §3): two healthy servers
 * share S3 and Redis and run a mixed workload, while a third server is
 * started 20 times with a feed failpoint armed and SIGKILLs itself on its
 * first write:
 * - at `feed.after-storage-write` the document is stored and its revision is
 *   still pending: a healthy server (a writer that overwrites it, or the
 *   sweeper) publishes it, exactly once;
 * - at `feed.after-allocate` nothing was stored: the revision becomes a hole,
 *   and the write never appears.
 * Two watchers (one reconnecting, on rotating servers) then replay exactly
 * the final listing, with no write twice and every acknowledged write once.
 */
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { sharedStackEnv } from '../harness/stack-env.js';
import { startServer } from '../harness/server-process.js';
import { serverClients, type DocClient } from '../harness/doc-client.js';
import { recordWatch, replay, type RecordedBatch, type WatchRecorder } from '../harness/watch-recorder.js';
import { runWorkload, type WorkloadResult } from '../harness/feed-workload.js';

jest.setTimeout(600_000);

const C = 'crash';
/** The sweeper takes over a revision pending this long (above the longest write here, even at load 10). */
const FEED_ENV = { SB_FEED_PENDING_AFTER_MS: '5000', SB_FEED_SWEEP_MS: '500' };
const ROUNDS = 20;

let stack: SharedStack;
beforeAll(async () => {
  stack = await startSharedStack(2, FEED_ENV);
});
afterAll(async () => {
  await stack?.stop();
});

/** The collection as List shows it, and the revision the listing reflects. */
async function listing(docs: DocClient): Promise<{ state: Map<string, { etag: string; data: unknown }>; readRevision: number }> {
  const state = new Map<string, { etag: string; data: unknown }>();
  let pageToken = '';
  let readRevision = 0;
  do {
    const page = await docs.list({ collection: C, pageSize: 500, pageToken });
    if (readRevision === 0) readRevision = Number(page.readRevision);
    for (const d of page.documents) state.set(d.id, { etag: d.etag, data: d.data });
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return { state, readRevision };
}

/** How many times each put tag appears in a watcher's history. */
function tagCounts(batches: readonly RecordedBatch[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const b of batches)
    for (const c of b.changes) if (c.type === 'put') counts.set(String(c.data!.tag), (counts.get(String(c.data!.tag)) ?? 0) + 1);
  return counts;
}

/** One victim: a server armed with `failpoint`, one writer doing puts until the process dies. The tag in flight. */
async function victimRound(failpoint: string, round: number): Promise<{ inFlight: string; acked: number; exit: number | null }> {
  const victim = await startServer(sharedStackEnv(stack, { ...FEED_ENV, SB_FAILPOINTS: `${failpoint}=crash` }));
  const { docs } = serverClients(victim.grpcUrl);
  let acked = 0;
  let inFlight: string;
  for (let i = 0; ; i++) {
    inFlight = `victim-${round}-${i}`;
    // Ids shared with the healthy writers, so they overwrite (and help) a pending revision too.
    const ok = await docs.put({ collection: C, id: `d${(round * 7 + i) % 40}`, data: { tag: inFlight } }).then(
      () => true,
      () => false,
    );
    if (!ok) break;
    acked++;
  }
  return { inFlight, acked, exit: await victim.stop('SIGKILL') };
}

test(`${ROUNDS} servers SIGKILLed between a write's steps under load: each stored write published once, an unstored one never`, async () => {
  const [a, b] = stack.servers;
  // A collection's feed starts with its first write (before it, reads reflect revision 0).
  await serverClients(a!.grpcUrl).docs.put({ collection: C, id: 'seed', data: { tag: 'seed' } });
  const start = (await listing(serverClients(a!.grpcUrl).docs)).readRevision;
  expect(start).toBeGreaterThan(0);
  let turn = 0;
  const watchers: WatchRecorder[] = [
    recordWatch(C, { after: start, url: () => a!.grpcUrl }),
    recordWatch(C, { after: start, url: () => (turn++ % 2 === 0 ? a! : b!).grpcUrl, reconnectEvery: 50 }),
  ];

  // The healthy servers' load, in short workloads until the rounds are done.
  let crashing = true;
  const loads: WorkloadResult[] = [];
  const background = (async () => {
    while (crashing) {
      loads.push(
        await runWorkload({
          collection: C,
          writers: 4,
          opsPerWriter: 10,
          ids: 40,
          client: (w) => serverClients((w % 2 === 0 ? a! : b!).grpcUrl).docs,
        }),
      );
    }
  })();

  const rounds: { failpoint: string; inFlight: string; acked: number; exit: number | null }[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const failpoint = round % 2 === 0 ? 'feed.after-storage-write' : 'feed.after-allocate';
      rounds.push({ failpoint, ...(await victimRound(failpoint, round)) });
    }
  } finally {
    crashing = false;
    await background;
  }

  // Every victim died at its first write (its own failpoint), so exactly one put of each was in flight.
  for (const r of rounds) expect(r).toMatchObject({ acked: 0, exit: null });

  // A last write after everything: once reads reflect its revision, every earlier revision is resolved
  // (the victims' pending ones by the sweeper, after its 5 s threshold) and the listing is final.
  const { docs } = serverClients(a!.grpcUrl);
  const fence = Number((await docs.put({ collection: C, id: 'fence', data: { tag: 'fence' } })).document!.revision);
  let final = await listing(docs);
  for (let i = 0; i < 600 && final.readRevision < fence; i++) {
    await new Promise((r) => setTimeout(r, 200));
    final = await listing(docs);
  }
  expect(final.readRevision).toBeGreaterThanOrEqual(fence);
  await Promise.all(watchers.map((w) => w.caughtUp(final.readRevision, 240_000)));
  await Promise.all(watchers.map((w) => w.stop()));

  console.log(
    `start ${start}, final read revision ${final.readRevision}, watchers at ${watchers.map((w) => `${w.last()} (${w.batches.length} batches)`).join(', ')}`,
  );
  const acked = loads.flatMap((l) => [...l.acked]);
  const refused = loads.flatMap((l) => [...l.refused]);
  expect(acked.length).toBeGreaterThan(100);
  expect(watchers[1]!.connects()).toBeGreaterThan(2);
  for (const w of watchers) {
    for (let i = 1; i < w.batches.length; i++) expect(w.batches[i]!.revision).toBeGreaterThan(w.batches[i - 1]!.revision);
    expect(replay(w.batches)).toEqual(new Map([...final.state].filter(([id]) => id !== 'seed'))); // written before `start`
    const counts = tagCounts(w.batches);
    for (const [tag, n] of counts) expect([tag, n]).toEqual([tag, 1]);
    for (const t of acked) expect(counts.has(t)).toBe(true);
    for (const t of refused) expect(counts.has(t)).toBe(false);
    for (const r of rounds)
      expect([r.failpoint, r.inFlight, counts.has(r.inFlight)]).toEqual([
        r.failpoint,
        r.inFlight,
        r.failpoint === 'feed.after-storage-write',
      ]);
  }
  expect(watchers[1]!.batches).toEqual(watchers[0]!.batches);
});
