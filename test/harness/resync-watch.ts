/**
 * A watcher that follows docs/streams.md's recipe after a lost history, for
 * cross-process tests: it keeps the collection's state (a listing, then the
 * changes watched after the listing's read_revision); on OUT_OF_RANGE
 * REVISION_COMPACTED it re-reads (until read_revision is set) and watches
 * from there; on UNAVAILABLE FEED_RECOVERING (and any other interruption)
 * it waits and watches again from its last revision.
 */
import { ConnectError } from '@connectrpc/connect';
import type { JsonObject } from '@bufbuild/protobuf';
import { ErrorInfoSchema, RetryInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { ChangeType } from '../../server/src/gen/smarterbase/v1/stream_service_pb.js';
import type { DocClient } from './doc-client.js';
import { streamClient } from './watch-recorder.js';

/** A collection's documents: id → {etag, data}. */
export type CollectionState = Map<string, { etag: string; data: JsonObject }>;

/** The collection as List shows it, with the read_revision of its first page. */
export async function listCollection(docs: DocClient, collection: string): Promise<{ state: CollectionState; readRevision: number }> {
  const state: CollectionState = new Map();
  let pageToken = '';
  let readRevision = -1;
  do {
    const page = await docs.list({ collection, pageSize: 500, pageToken });
    if (readRevision < 0) readRevision = Number(page.readRevision);
    for (const d of page.documents) state.set(d.id, { etag: d.etag, data: d.data as JsonObject });
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
  return { state, readRevision };
}

/** A running resynchronising watcher. */
export interface ResyncWatcher {
  /** The state it holds now. */
  state(): CollectionState;
  /** The reasons of the errors it met (REVISION_COMPACTED, FEED_RECOVERING, …), in order. */
  readonly reasons: string[];
  /** How many times it re-read the collection. */
  resyncs(): number;
  /** Revisions that arrived not above the one before them (since the last re-read): must stay 0. */
  outOfOrder(): number;
  /** The last revision it holds. */
  last(): number;
  /** Resolves once a progress message at or above `revision` arrived after the last re-read. */
  caughtUp(revision: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts from `start` (a listing and its read_revision) against the server at `url`. */
export function resyncWatch(
  collection: string,
  start: { state: CollectionState; readRevision: number },
  url: string,
  docs: DocClient,
): ResyncWatcher {
  let state = new Map(start.state);
  let last = start.readRevision;
  let progressAt = -1;
  let resyncs = 0;
  let outOfOrder = 0;
  let mustReread = false;
  const reasons: string[] = [];
  const stop = new AbortController();
  const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const loop = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      if (mustReread) {
        const l = await listCollection(docs, collection).catch(() => undefined);
        if (l === undefined || (l.readRevision === 0 && l.state.size > 0)) {
          await pause(200); // read_revision unknown (the feed is settling): read again later
          continue;
        }
        ({ state } = l);
        last = l.readRevision;
        progressAt = -1;
        resyncs++;
        mustReread = false;
      }
      try {
        const req = { collection, afterRevision: BigInt(last), progressInterval: { seconds: 0n, nanos: 200_000_000 } };
        for await (const res of streamClient(url).watch(req, { signal: stop.signal })) {
          const revision = Number(res.revision);
          if (res.kind.case === 'changes') {
            if (revision <= last) outOfOrder++;
            for (const e of res.kind.value.events) {
              if (e.type === ChangeType.PUT) state.set(e.id, { etag: e.document!.etag, data: e.document!.data as JsonObject });
              else state.delete(e.id);
            }
          } else if (res.kind.case === 'progress') progressAt = revision;
          last = Math.max(last, revision);
        }
      } catch (e) {
        if (stop.signal.aborted) return;
        const err = ConnectError.from(e);
        const reason = err.findDetails(ErrorInfoSchema)[0]?.reason ?? `code ${err.code}`;
        reasons.push(reason);
        if (reason === 'REVISION_COMPACTED') mustReread = true;
        const delay = err.findDetails(RetryInfoSchema)[0]?.retryDelay;
        await pause(delay === undefined ? 100 : Number(delay.seconds) * 1000 + delay.nanos / 1e6);
      }
    }
  };
  const running = loop();
  return {
    state: () => state,
    reasons,
    resyncs: () => resyncs,
    outOfOrder: () => outOfOrder,
    last: () => last,
    async caughtUp(revision, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs; // a hang guard
      while (progressAt < revision) {
        if (Date.now() > deadline)
          throw new Error(`no progress at ${revision} within ${timeoutMs} ms (last ${last}, reasons ${reasons.join(',')})`);
        await pause(50);
      }
    },
    async stop() {
      stop.abort();
      await running;
    },
  };
}
