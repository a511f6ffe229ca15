/**
 * Watch's initial_snapshot and include_previous on the embedded default
 * (filesystem storage, in-process coordination), against a real server
 * process (docs/streams.md):
 * - writers of every kind run while a watch lists its snapshot: the client's
 *   state at `complete` is the collection at that revision (rebuilt from a
 *   listing taken before and a plain watcher's history), and every later
 *   change applies to it without gap or overlap, ending at the final listing;
 * - include_previous attaches the document at previous_revision, and
 *   DeleteResponse.revision is the revision of the delete's change.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '@bufbuild/protobuf';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { serverClients, type DocClient } from '../harness/doc-client.js';
import { recordWatch, streamClient, type RecordedBatch } from '../harness/watch-recorder.js';
import { runWorkload } from '../harness/feed-workload.js';
import { ChangeType, type WatchResponse } from '../../server/src/gen/smarterbase/v1/stream_service_pb.js';

jest.setTimeout(180_000);

type State = Map<string, { etag: string; data: JsonObject }>;

let dir: string;
let s: ServerProcess;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-snap-'));
  s = await startServer({ SB_STORAGE: 'filesystem', SB_DATA_DIR: dir, SB_COORDINATION: 'local' });
});
afterAll(async () => {
  await s?.stop('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The collection as List shows it, and the revision the listing reflects. */
async function listing(docs: DocClient, collection: string): Promise<{ state: State; readRevision: number }> {
  const state: State = new Map();
  let pageToken = '';
  let readRevision = 0;
  do {
    const page = await docs.list({ collection, pageSize: 500, pageToken });
    if (readRevision === 0) readRevision = Number(page.readRevision);
    for (const d of page.documents) state.set(d.id, { etag: d.etag, data: d.data! });
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return { state, readRevision };
}

/** `base` with the changes of `batches` up to `revision` applied. */
function stateAt(base: State, batches: readonly RecordedBatch[], revision: number): State {
  const state: State = new Map(base);
  for (const b of batches) {
    if (b.revision > revision) break;
    for (const c of b.changes) {
      if (c.type === 'put') state.set(c.id, { etag: c.etag!, data: c.data! });
      else state.delete(c.id);
    }
  }
  return state;
}

/** Applies one message to a snapshot client's state. */
function apply(state: State, m: WatchResponse): void {
  if (m.kind.case === 'snapshot') for (const d of m.kind.value.documents) state.set(d.id, { etag: d.etag, data: d.data! });
  if (m.kind.case !== 'changes') return;
  for (const e of m.kind.value.events) {
    if (e.type === ChangeType.PUT) state.set(e.id, { etag: e.document!.etag, data: e.document!.data! });
    else state.delete(e.id);
  }
}

test('writers run through a snapshot watch: its state at complete is the collection at that revision, later changes apply without gap or overlap', async () => {
  const { docs } = serverClients(s.grpcUrl);
  // 2,000 documents of 2.5 KB (20 engine pages, ~5 MB): more than the server buffers for one stream (16 messages
  // plus the gRPC port's 1 MiB window), so its listing must wait for this client, which reads slowly (below); the
  // last pages (ids d9…, which the writers also write) are listed while writes go on.
  let seeded = 0;
  const pad = 'p'.repeat(2500);
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let i = seeded++; i < 2000; i = seeded++) await docs.put({ collection: 'snap', id: `d${i}`, data: { seed: i, pad } });
    }),
  );
  const base = await listing(docs, 'snap');
  const plain = recordWatch('snap', { after: base.readRevision, url: () => s.grpcUrl });
  const workload = runWorkload({
    collection: 'snap',
    writers: 6,
    opsPerWriter: 150,
    ids: 1020,
    client: () => serverClients(s.grpcUrl).docs,
  });
  // Start the snapshot once writes are flowing (hang guard: 60 s).
  for (const deadline = Date.now() + 60_000; plain.batches.length < 30; await new Promise((r) => setTimeout(r, 10)))
    if (Date.now() > deadline) throw new Error('hang guard: no writes seen');
  const stop = new AbortController();
  const state: State = new Map();
  let snapshotRevision = 0;
  let complete = 0;
  const listedAt = new Map<string, number>(); // id → the revision the snapshot showed it at
  const overlaps: string[] = []; // changes the snapshot already showed, sent again
  let atCompleteClient: State | undefined;
  let changesBeforeComplete = 0;
  const after: number[] = [];
  let caughtUp: (n: number) => void = () => undefined;
  let target = Infinity;
  let lastRevision = 0;
  const reading = (async () => {
    for await (const m of streamClient(s.grpcUrl).watch({ collection: 'snap', initialSnapshot: true }, { signal: stop.signal })) {
      const revision = Number(m.revision);
      apply(state, m);
      lastRevision = revision;
      if (m.kind.case === 'snapshot') for (const d of m.kind.value.documents) listedAt.set(d.id, Number(d.revision));
      if (m.kind.case === 'changes')
        for (const e of m.kind.value.events) if (Number(e.revision) <= (listedAt.get(e.id) ?? 0)) overlaps.push(`${e.id}@${e.revision}`);
      if (m.kind.case === 'snapshot' && !m.kind.value.complete) {
        snapshotRevision = revision;
        await new Promise((r) => setTimeout(r, 25)); // a slow reader: the listing waits on it while writers go on
      } else if (m.kind.case === 'snapshot') {
        complete = revision;
        atCompleteClient = new Map(state);
      } else if (m.kind.case === 'changes') {
        if (complete === 0) changesBeforeComplete++;
        else after.push(revision);
      }
      if (complete > 0 && revision >= target) caughtUp(revision);
    }
  })().catch((e: unknown) => {
    if (!stop.signal.aborted) throw e;
  });
  const result = await workload;
  const final = await listing(docs, 'snap');
  await new Promise<void>((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('hang guard: the snapshot watch never reached the final listing')), 120_000);
    caughtUp = () => {
      clearTimeout(guard);
      resolve();
    };
    target = final.readRevision;
    if (complete > 0 && lastRevision >= target) caughtUp(lastRevision);
  });
  await plain.caughtUp(final.readRevision);
  stop.abort();
  await reading;
  await plain.stop();

  expect(result.acked.size).toBeGreaterThan(200);
  expect(snapshotRevision).toBeGreaterThan(base.readRevision);
  expect(complete).toBeGreaterThanOrEqual(snapshotRevision);
  // The snapshot's end is exact: the collection at `complete`, from the listing before everything and the plain watcher's history.
  const atComplete = stateAt(base.state, plain.batches, complete);
  expect(atCompleteClient).toEqual(atComplete);
  expect(overlaps).toEqual([]);
  expect([...listedAt.values()].some((r) => r > snapshotRevision)).toBe(true); // the listing saw writes made during it
  expect(after.every((r, i) => r > complete && (i === 0 || r > after[i - 1]!))).toBe(true);
  const sentAfter = plain.batches.filter((b) => b.revision > complete && b.revision <= final.readRevision).map((b) => b.revision);
  expect(after).toEqual(sentAfter); // every later change, once, in order: no gap, no overlap
  expect(state).toEqual(final.state);
  expect(after.length).toBeGreaterThan(0); // writes went on after the snapshot's end
  expect(complete).toBeGreaterThan(snapshotRevision); // writes landed while the snapshot was listed
  expect(changesBeforeComplete).toBeGreaterThan(0); // and some came as changes before its end
});

test('include_previous attaches the document at previous_revision; DeleteResponse.revision is the delete change’s revision', async () => {
  const { docs } = serverClients(s.grpcUrl);
  const start = (await listing(docs, 'prev')).readRevision;
  const v1 = (await docs.put({ collection: 'prev', id: 'a', data: { v: 1 } })).document!;
  const v2 = (await docs.put({ collection: 'prev', id: 'a', data: { v: 2 } })).document!;
  const del = await docs.delete({ collection: 'prev', id: 'a' });
  expect(del.deleted).toBe(true);
  expect(del.revision).toBeGreaterThan(v2.revision);
  expect((await docs.delete({ collection: 'prev', id: 'a' })).revision).toBe(0n);
  const stop = new AbortController();
  const events: WatchResponse[] = [];
  for await (const m of streamClient(s.grpcUrl).watch(
    { collection: 'prev', afterRevision: BigInt(start), includePrevious: true },
    { signal: stop.signal },
  )) {
    if (m.kind.case === 'changes') events.push(m);
    if (events.length === 3) break;
  }
  stop.abort();
  const [c1, c2, c3] = events.map((m) => (m.kind.case === 'changes' ? m.kind.value.events[0]! : undefined));
  expect(c1).toMatchObject({ previousRevision: 0n, previousUnavailable: false });
  expect(c1!.previousDocument).toBeUndefined();
  expect(c2).toMatchObject({ previousRevision: v1.revision, previousDocument: { etag: v1.etag, revision: v1.revision, data: { v: 1 } } });
  expect(c3).toMatchObject({ type: ChangeType.DELETE, revision: del.revision, previousRevision: v2.revision });
  expect(c3!.previousDocument).toMatchObject({ etag: v2.etag, version: 2n, data: { v: 2 } });
});
