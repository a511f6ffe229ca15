/**
 * Records a StreamService.Watch for cross-process tests: every change batch
 * in arrival order, resuming after any interruption from the last revision
 * it received (as a client must), optionally reconnecting on purpose every
 * `reconnectEvery` batches. Replaying the batches rebuilds the collection.
 */
import { createClient, ConnectError, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { JsonObject, MessageInitShape } from '@bufbuild/protobuf';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { ChangeType, StreamService, type WatchRequestSchema } from '../../server/src/gen/smarterbase/v1/stream_service_pb.js';

/** A StreamService client over native gRPC. */
export type StreamClient = Client<typeof StreamService>;

/** A StreamService client of `baseUrl` (e.g. http://127.0.0.1:50051). */
export function streamClient(baseUrl: string): StreamClient {
  return createClient(StreamService, createGrpcTransport({ baseUrl }));
}

/** One recorded change. */
export interface RecordedChange {
  readonly type: 'put' | 'delete' | 'expire';
  readonly id: string;
  readonly revision: number;
  readonly previousRevision: number;
  /** The document's data and etag (put only). */
  readonly data?: JsonObject;
  readonly etag?: string;
}

/** One recorded message of changes. */
export interface RecordedBatch {
  readonly revision: number;
  readonly transactionId: string;
  readonly changes: readonly RecordedChange[];
}

/** A running recorder. */
export interface WatchRecorder {
  readonly batches: RecordedBatch[];
  /** When each batch arrived (this process's clock, ms), index for index with `batches`. */
  readonly arrivedAtMs: number[];
  /** The last revision received (a batch's or a progress message's). */
  last(): number;
  /** How many times it (re)connected. */
  connects(): number;
  /** Resolves once a progress message at or above `revision` arrived, or rejects after `timeoutMs`. */
  caughtUp(revision: number, timeoutMs?: number): Promise<void>;
  /** Stops watching. */
  stop(): Promise<void>;
}

/** Options of recordWatch. */
export interface RecordOptions {
  /** Where to watch from (0: now). */
  readonly after: number;
  /** Reconnect after this many batches (from the last revision). Default: never. */
  readonly reconnectEvery?: number;
  /** The server URL to use for each (re)connection (several servers: rotate). */
  readonly url: () => string;
  /** Called with errors that end a connection (e.g. to count them); default: ignore and resume. */
  readonly onError?: (e: ConnectError) => void;
}

/** Starts recording `collection`'s changes. */
export function recordWatch(collection: string, o: RecordOptions): WatchRecorder {
  const batches: RecordedBatch[] = [];
  const arrivedAtMs: number[] = [];
  let last = o.after;
  let connects = 0;
  let progressAt = -1;
  const waiters: { revision: number; resolve: () => void }[] = [];
  const stop = new AbortController();
  const notify = (): void => {
    for (const w of waiters.filter((x) => progressAt >= x.revision)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const loop = async (): Promise<void> => {
    while (!stop.signal.aborted) {
      connects++;
      const round = new AbortController();
      const onStop = (): void => round.abort();
      stop.signal.addEventListener('abort', onStop, { once: true });
      let received = 0;
      try {
        const req: MessageInitShape<typeof WatchRequestSchema> = {
          collection,
          afterRevision: BigInt(last),
          progressInterval: { seconds: 0n, nanos: 200_000_000 },
        };
        for await (const res of streamClient(o.url()).watch(req, { signal: round.signal })) {
          const revision = Number(res.revision);
          if (res.kind.case === 'changes') {
            batches.push({
              revision,
              transactionId: res.kind.value.transactionId,
              changes: res.kind.value.events.map((e) => ({
                type: e.type === ChangeType.PUT ? 'put' : e.type === ChangeType.EXPIRE ? 'expire' : 'delete',
                id: e.id,
                revision: Number(e.revision),
                previousRevision: Number(e.previousRevision),
                ...(e.document === undefined ? {} : { data: e.document.data as JsonObject, etag: e.document.etag }),
              })),
            });
            arrivedAtMs.push(Date.now());
            received++;
          } else if (res.kind.case === 'progress') {
            progressAt = revision;
            notify();
          }
          last = Math.max(last, revision);
          if (o.reconnectEvery !== undefined && received >= o.reconnectEvery) break;
        }
      } catch (e) {
        const err = ConnectError.from(e);
        if (!stop.signal.aborted) {
          o.onError?.(err);
          if (err.findDetails(ErrorInfoSchema)[0]?.reason === 'REVISION_COMPACTED') throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        stop.signal.removeEventListener('abort', onStop);
        round.abort();
      }
    }
  };
  const running = loop();
  running.catch(() => undefined);
  return {
    batches,
    arrivedAtMs,
    last: () => last,
    connects: () => connects,
    caughtUp: (revision, timeoutMs = 30_000) =>
      Promise.race([
        new Promise<void>((resolve) => {
          waiters.push({ revision, resolve });
          notify();
        }),
        running.then(() => Promise.reject(new Error('the watch ended'))),
        new Promise<void>((_, reject) =>
          setTimeout(() => reject(new Error(`no progress at ${revision} within ${timeoutMs} ms (last ${last})`)), timeoutMs).unref(),
        ),
      ]),
    async stop() {
      stop.abort();
      await running.catch(() => undefined);
    },
  };
}

/** The collection a replay of `batches` leaves: id → {etag, data}. */
export function replay(batches: readonly RecordedBatch[]): Map<string, { etag: string; data: JsonObject }> {
  const state = new Map<string, { etag: string; data: JsonObject }>();
  for (const b of batches)
    for (const c of b.changes) {
      if (c.type !== 'put') state.delete(c.id);
      else state.set(c.id, { etag: c.etag!, data: c.data! });
    }
  return state;
}
