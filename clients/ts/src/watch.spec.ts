import * as http2 from 'node:http2';
import type * as net from 'node:net';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { createClient } from './client.js';
import { RevisionCompactedError, SmarterBaseError } from './errors.js';
import { ErrorInfoSchema, RetryInfoSchema } from './gen/google/rpc/error_details_pb.js';
import { DocumentSchema } from './gen/smarterbase/v1/document_pb.js';
import { ChangeType, StreamService, type WatchRequest, type WatchResponseSchema } from './gen/smarterbase/v1/stream_service_pb.js';
import type { WatchBatch, WatchOptions } from './watch.js';

type Msg = MessageInitShape<typeof WatchResponseSchema>;
/** One scripted step of a fake Watch call; after the last step the call stays open until cancelled. */
type Step = Msg | { error: ConnectError } | { reset: number; after: Promise<void> } | { end: true };

const change = (revision: number, id = `d${revision}`): Msg => ({
  revision: BigInt(revision),
  kind: {
    case: 'changes',
    value: {
      events: [
        {
          type: ChangeType.PUT,
          id,
          revision: BigInt(revision),
          document: create(DocumentSchema, { collection: 'c', id, data: { n: revision }, etag: `e${revision}`, version: 1n }),
        },
      ],
      commitTime: timestampFromMs(1_700_000_000_000),
    },
  },
});
const progress = (revision: number): Msg => ({ revision: BigInt(revision), kind: { case: 'progress', value: {} } });

const serverError = (code: Code, reason: string, metadata: Record<string, string> = {}, retryMs?: number) =>
  new ConnectError(reason.toLowerCase(), code, undefined, [
    { desc: ErrorInfoSchema, value: { reason, domain: 'smarterbase.v1', metadata } },
    ...(retryMs === undefined ? [] : [{ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(retryMs) } }]),
  ]);

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

/**
 * A real gRPC server on 127.0.0.1:0 implementing only StreamService.Watch:
 * call n plays scripts[n]. A `reset` step waits for `after`, then resets the
 * HTTP/2 stream with that code, as a dying server or proxy does.
 */
async function fakeWatchServer(scripts: Step[][]) {
  const requests: WatchRequest[] = [];
  const cancelled: number[] = [];
  let current: http2.ServerHttp2Stream | undefined;
  const adapter = connectNodeAdapter({
    routes: (r) =>
      r.service(StreamService, {
        async *watch(req, ctx) {
          const n = requests.push(req) - 1;
          const stream = current!;
          ctx.signal.addEventListener('abort', () => cancelled.push(n), { once: true });
          for (const step of scripts[n] ?? []) {
            if ('error' in step) throw step.error;
            if ('end' in step) return;
            if ('reset' in step) {
              await step.after;
              stream.close(step.reset);
              await untilAborted(ctx.signal);
              return;
            }
            yield step;
          }
          await untilAborted(ctx.signal);
        },
      }),
  });
  const server = http2.createServer((req, res) => {
    current = res.stream;
    adapter(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  const db = createClient({ address: `127.0.0.1:${port}`, retry: false });
  return {
    db,
    requests,
    cancelled,
    close: async () => {
      db.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Fast, recorded backoff for the tests. */
function fastBackoff(delays: number[] = []): WatchOptions {
  return { backoff: { initialBackoffMs: 1, maxBackoffMs: 5 }, hooks: { onResume: (_a, _e, ms) => delays.push(ms) } };
}

/** Collects batches until `count` were delivered, then leaves the loop. */
async function take(it: AsyncIterable<WatchBatch>, count: number, onBatch?: (b: WatchBatch) => void): Promise<WatchBatch[]> {
  const out: WatchBatch[] = [];
  for await (const b of it) {
    out.push(b);
    onBatch?.(b);
    if (out.length === count) break;
  }
  return out;
}

async function failure(it: AsyncIterable<WatchBatch>, seen: WatchBatch[] = []): Promise<SmarterBaseError> {
  try {
    for await (const b of it) seen.push(b);
  } catch (e) {
    expect(e).toBeInstanceOf(SmarterBaseError);
    return e as SmarterBaseError;
  }
  throw new Error('expected the watch to fail');
}

const revisions = (bs: WatchBatch[]) => bs.map((b) => Number(b.revision));

const snapshotPage = (revision: number, ids: string[]): Msg => ({
  revision: BigInt(revision),
  kind: {
    case: 'snapshot',
    value: { documents: ids.map((id) => create(DocumentSchema, { collection: 'c', id, data: { id }, etag: `e-${id}`, revision: 3n })) },
  },
});
const snapshotComplete = (revision: number): Msg => ({ revision: BigInt(revision), kind: { case: 'snapshot', value: { complete: true } } });

describe('watch', () => {
  it.each([
    ['RST_STREAM INTERNAL_ERROR', http2.constants.NGHTTP2_INTERNAL_ERROR],
    ['RST_STREAM CANCEL', http2.constants.NGHTTP2_CANCEL],
    ['RST_STREAM NO_ERROR (ended without status)', http2.constants.NGHTTP2_NO_ERROR],
  ])('resumes after %s from the last revision delivered, without duplicates or gaps', async (_name, code) => {
    const got7 = deferred();
    const fake = await fakeWatchServer([
      [change(5), change(7), { reset: code, after: got7.promise }],
      [change(7), change(6), change(9)], // the resumed call resends old revisions first
    ]);
    try {
      const stream = fake.db.watch('c', fastBackoff());
      const got = await take(stream, 3, (b) => b.revision === 7n && got7.resolve());
      expect(revisions(got)).toEqual([5, 7, 9]);
      expect(fake.requests.map((r) => Number(r.afterRevision))).toEqual([0, 7]);
      expect(stream.lastRevision).toBe(9n);
      expect(stream.resumes).toBe(1);
    } finally {
      await fake.close();
    }
  });

  it('yields a progress mark at the revision it started from once (caught up with a read), and no repeats', async () => {
    const fake = await fakeWatchServer([[progress(19), progress(19), change(20), progress(20), progress(20), progress(19), change(21)]]);
    try {
      const got = await take(fake.db.watch('c', { ...fastBackoff(), afterRevision: 19n }), 4);
      expect(got.map((b) => [Number(b.revision), b.progress])).toEqual([
        [19, true],
        [20, false],
        [20, true],
        [21, false],
      ]);
    } finally {
      await fake.close();
    }
  });

  it('resumes from a progress revision, and after the stream ends without an error', async () => {
    const fake = await fakeWatchServer([
      [change(3), progress(10), { error: serverError(Code.Unavailable, 'SHUTTING_DOWN') }],
      [progress(10), change(12), { end: true }],
      [change(13)],
    ]);
    try {
      const got = await take(fake.db.watch('c', { ...fastBackoff(), afterRevision: 2n }), 4);
      expect(revisions(got)).toEqual([3, 10, 12, 13]);
      expect(got.map((b) => b.progress)).toEqual([false, true, false, false]);
      expect(fake.requests.map((r) => Number(r.afterRevision))).toEqual([2, 10, 12]);
    } finally {
      await fake.close();
    }
  });

  it('resumes after WATCH_TOO_SLOW no sooner than its RetryInfo, and the backoff grows then resets', async () => {
    const delays: number[] = [];
    const fake = await fakeWatchServer([
      [change(1), { error: serverError(Code.ResourceExhausted, 'WATCH_TOO_SLOW', { limit: '10' }, 40) }],
      [{ error: serverError(Code.Unavailable, 'SHUTTING_DOWN') }],
      [change(2)],
    ]);
    try {
      const got = await take(fake.db.watch('c', { ...fastBackoff(), hooks: { onResume: (_a, _e, ms) => delays.push(ms) } }), 2);
      expect(revisions(got)).toEqual([1, 2]);
      expect(fake.requests.map((r) => Number(r.afterRevision))).toEqual([0, 1, 1]);
      expect(delays[0]).toBeGreaterThanOrEqual(40);
      expect(delays[1]).toBeLessThanOrEqual(5);
    } finally {
      await fake.close();
    }
  });

  it('retries FEED_RECOVERING (a Redis feed settling after a loss) from the same revision, no sooner than its RetryInfo', async () => {
    const delays: number[] = [];
    const fake = await fakeWatchServer([
      [{ error: serverError(Code.Unavailable, 'FEED_RECOVERING', { collection: 'c' }, 40) }],
      [change(8)],
    ]);
    try {
      const got = await take(
        fake.db.watch('c', { ...fastBackoff(), afterRevision: 7n, hooks: { onResume: (_a, _e, ms) => delays.push(ms) } }),
        1,
      );
      expect(revisions(got)).toEqual([8]);
      expect(fake.requests.map((r) => Number(r.afterRevision))).toEqual([7, 7]);
      expect(delays[0]).toBeGreaterThanOrEqual(40);
    } finally {
      await fake.close();
    }
  });

  it('fails with a typed RevisionCompactedError carrying the retained range, and does not resume', async () => {
    const meta = { collection: 'c', requestedRevision: '3', oldestRevision: '9007199254740993', currentRevision: '9007199254741000' };
    const fake = await fakeWatchServer([[{ error: serverError(Code.OutOfRange, 'REVISION_COMPACTED', meta) }]]);
    try {
      const err = await failure(fake.db.watch('c', { ...fastBackoff(), afterRevision: 3n }));
      expect(err).toBeInstanceOf(RevisionCompactedError);
      const rc = err as RevisionCompactedError;
      expect(rc.code).toBe(Code.OutOfRange);
      expect(rc.requestedRevision).toBe(3n);
      expect(rc.oldestRevision).toBe(9_007_199_254_740_993n);
      expect(rc.currentRevision).toBe(9_007_199_254_741_000n);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it.each([
    ['INVALID_ARGUMENT', serverError(Code.InvalidArgument, 'INVALID_ARGUMENT', { field: 'ids' })],
    ['RESOURCE_EXHAUSTED without WATCH_TOO_SLOW', serverError(Code.ResourceExhausted, 'SERVER_OVERLOADED')],
    ['INTERNAL with ErrorInfo', serverError(Code.Internal, 'INTERNAL_ERROR')],
  ])('stops on a non-retryable error (%s) after delivering what came before', async (_name, error) => {
    const fake = await fakeWatchServer([[change(4), { error }], [change(5)]]);
    try {
      const seen: WatchBatch[] = [];
      const err = await failure(fake.db.watch('c', fastBackoff()), seen);
      expect(err.code).toBe(error.code);
      expect(revisions(seen)).toEqual([4]);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('ends when the signal aborts (CANCELLED) or the loop is left, cancelling the server call', async () => {
    const fake = await fakeWatchServer([[change(1)], [change(1)]]);
    try {
      const abort = new AbortController();
      const seen: WatchBatch[] = [];
      const pending = failure(fake.db.watch('c', { ...fastBackoff(), signal: abort.signal }), seen);
      await waitFor(() => seen.length === 1);
      abort.abort();
      expect((await pending).code).toBe(Code.Canceled);
      await take(fake.db.watch('c', fastBackoff()), 1);
      await waitFor(() => fake.cancelled.length === 2);
      expect(fake.requests).toHaveLength(2);
    } finally {
      await fake.close();
    }
  });

  it('sends the filters and converts changes (put, delete, transaction)', async () => {
    const tx: Msg = {
      revision: 20n,
      kind: {
        case: 'changes',
        value: {
          transactionId: 'tx1',
          events: [
            { type: ChangeType.DELETE, id: 'a', revision: 20n, previousRevision: 11n },
            { type: ChangeType.PUT, id: 'b', revision: 21n, document: create(DocumentSchema, { id: 'b', data: { k: 1 }, version: 2n }) },
          ],
        },
      },
    };
    const fake = await fakeWatchServer([[tx]]);
    try {
      const opts = { ...fastBackoff(), ids: ['a', 'b'], progressIntervalMs: 250, afterRevision: 19n };
      const [b] = await take(fake.db.watch<{ k: number }>('c', opts), 1);
      expect(fake.requests[0]).toMatchObject({ collection: 'c', ids: ['a', 'b'], idPrefix: '', afterRevision: 19n });
      expect(fake.requests[0]!.progressInterval).toMatchObject({ seconds: 0n, nanos: 250_000_000 });
      expect(b!.transactionId).toBe('tx1');
      expect(b!.changes.map((c) => [c.type, c.id, c.revision, c.previousRevision])).toEqual([
        ['delete', 'a', 20n, 11n],
        ['put', 'b', 21n, 0n],
      ]);
      expect(b!.changes[0]!.document).toBeUndefined();
      expect(b!.changes[1]!.document?.data).toEqual({ k: 1 });
    } finally {
      await fake.close();
    }
  });
});

async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}

describe('watch with initialSnapshot and includePrevious', () => {
  it('pages, changes, complete; a resume after complete continues from the last revision without a snapshot', async () => {
    const withPrevious: Msg = {
      revision: 7n,
      kind: {
        case: 'changes',
        value: {
          events: [
            {
              type: ChangeType.PUT,
              id: 'a',
              revision: 7n,
              previousRevision: 3n,
              document: create(DocumentSchema, { id: 'a', etag: 'e7', revision: 7n }),
              previousDocument: create(DocumentSchema, { id: 'a', etag: 'e-a', revision: 3n, data: { id: 'a' } }),
            },
            { type: ChangeType.DELETE, id: 'b', revision: 7n, previousRevision: 2n, previousUnavailable: true },
          ],
        },
      },
    };
    const fake = await fakeWatchServer([
      [
        snapshotPage(5, ['a', 'b']),
        snapshotPage(5, ['c']),
        withPrevious,
        snapshotComplete(8),
        change(9),
        { error: serverError(Code.Unavailable, 'SHUTTING_DOWN') },
      ],
      [change(9), change(10)],
    ]);
    try {
      const stream = fake.db.watch('c', { ...fastBackoff(), initialSnapshot: true, includePrevious: true });
      const got = await take(stream, 6);
      expect(got.map((b) => [b.kind, Number(b.revision)])).toEqual([
        ['snapshot', 5],
        ['snapshot', 5],
        ['changes', 7],
        ['snapshotComplete', 8],
        ['changes', 9],
        ['changes', 10],
      ]);
      expect(got[0]!.documents.map((d) => [d.id, d.revision])).toEqual([
        ['a', 3n],
        ['b', 3n],
      ]);
      expect(got[2]!.changes[0]).toMatchObject({
        previousRevision: 3n,
        previousDocument: { etag: 'e-a', data: { id: 'a' } },
        previousUnavailable: false,
      });
      expect(got[2]!.changes[1]).toMatchObject({ type: 'delete', previousDocument: undefined, previousUnavailable: true });
      expect(fake.requests.map((r) => [r.initialSnapshot, Number(r.afterRevision), r.includePrevious])).toEqual([
        [true, 0, true],
        [false, 9, true],
      ]);
    } finally {
      await fake.close();
    }
  });

  it('an interruption before complete ends the watch with the error (no resume: the state is partial)', async () => {
    const fake = await fakeWatchServer([
      [snapshotPage(5, ['a']), change(6), { error: serverError(Code.Unavailable, 'SHUTTING_DOWN') }],
      [change(7)],
    ]);
    try {
      const seen: WatchBatch[] = [];
      const err = await failure(fake.db.watch('c', { ...fastBackoff(), initialSnapshot: true }), seen);
      expect(err).toMatchObject({ code: Code.Unavailable, reason: 'SHUTTING_DOWN' });
      expect(seen.map((b) => b.kind)).toEqual(['snapshot', 'changes']);
      expect(fake.requests).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });
});
