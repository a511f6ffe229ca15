/**
 * A fake LogService for the client's log specs: a real gRPC server on
 * 127.0.0.1:0. Append keeps one log in memory with the server's request-id
 * rule (a repeated id answers the first attempt's sequences, deduplicated) and
 * can be scripted per call to fail before or after storing, or to hang.
 * ReadLog plays scripts like the watch fake: call n plays readScripts[n] (a `reset` step
 * waits for `after`, then resets the HTTP/2 stream), then
 * stays open until cancelled; the cancellations are counted in the call's
 * termination callback (its abort signal), not after its last message.
 */
import * as http2 from 'node:http2';
import type * as net from 'node:net';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { createClient } from '../src/client.js';
import type { ClientOptions } from '../src/options.js';
import { ErrorInfoSchema, RetryInfoSchema } from '../src/gen/google/rpc/error_details_pb.js';
import {
  LogService,
  type AppendRequest,
  type ReadLogRequest,
  type ReadLogResponseSchema,
} from '../src/gen/smarterbase/v1/log_service_pb.js';

/** One message of a scripted ReadLog. */
export type ReadMsg = MessageInitShape<typeof ReadLogResponseSchema>;
/** One scripted step of a ReadLog call. */
export type ReadStep = ReadMsg | { error: ConnectError } | { reset: number; after: Promise<void> } | { end: true };
/** What Append call n does: fail before storing, store then fail (outcome unknown to the client), or store then hang. */
export type AppendStep = { error: ConnectError } | { storeThenError: ConnectError } | { storeThenHang: true } | undefined;

/** An error as the SmarterBase server sends it (ErrorInfo, optional RetryInfo). */
export const serverError = (code: Code, reason: string, metadata: Record<string, string> = {}, retryMs?: number) =>
  new ConnectError(reason.toLowerCase(), code, undefined, [
    { desc: ErrorInfoSchema, value: { reason, domain: 'smarterbase.v1', metadata } },
    ...(retryMs === undefined ? [] : [{ desc: RetryInfoSchema, value: { retryDelay: durationFromMs(retryMs) } }]),
  ]);

/** A ReadLog message carrying the entries of these sequences (line `{"n":seq}`). */
export const entries = (seqs: number[], tail = seqs[seqs.length - 1] ?? 0): ReadMsg => ({
  entries: seqs.map((s) => ({ sequence: BigInt(s), line: `{"n":${s}}`, appendTime: { seconds: 1_700_000_000n, nanos: 0 } })),
  tailSequence: BigInt(tail),
});

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
}

/** Starts the fake; `appendScript[n]` applies to Append call n (undefined: behave). */
export async function fakeLogServer(
  opts: { appendScript?: AppendStep[]; readScripts?: ReadStep[][]; client?: Partial<ClientOptions> } = {},
) {
  const appends: AppendRequest[] = [];
  const log: string[] = [];
  const byId = new Map<string, { first: number; count: number }>();
  const reads: ReadLogRequest[] = [];
  const cancelled: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let current: http2.ServerHttp2Stream | undefined;
  /** Appends (or finds by request id) like the server; returns the answer. */
  const store = (req: AppendRequest) => {
    const seen = byId.get(req.requestId);
    if (seen) return { firstSequence: BigInt(seen.first), lastSequence: BigInt(seen.first + seen.count - 1), deduplicated: true };
    const first = log.length + 1;
    log.push(...req.lines);
    if (req.requestId !== '') byId.set(req.requestId, { first, count: req.lines.length });
    return { firstSequence: BigInt(first), lastSequence: BigInt(log.length), deduplicated: false };
  };
  const adapter = connectNodeAdapter({
    routes: (r) =>
      r.service(LogService, {
        async append(req, ctx) {
          const n = appends.push(req) - 1;
          const step = opts.appendScript?.[n];
          maxInFlight = Math.max(maxInFlight, ++inFlight);
          try {
            await new Promise((resolve) => setImmediate(resolve)); // let other calls overlap, if the client sends any
            if (step && 'error' in step) throw step.error;
            const bad = req.lines.findIndex((l) => l.includes('BAD'));
            if (bad >= 0) throw serverError(Code.InvalidArgument, 'INVALID_LOG_LINE', { field: `lines[${bad}]`, index: String(bad) });
            const res = store(req);
            if (step && 'storeThenError' in step) throw step.storeThenError;
            if (step && 'storeThenHang' in step) await untilAborted(ctx.signal);
            return res;
          } finally {
            inFlight--;
          }
        },
        async *readLog(req, ctx) {
          const n = reads.push(req) - 1;
          const stream = current!;
          ctx.signal.addEventListener('abort', () => cancelled.push(n), { once: true });
          for (const step of opts.readScripts?.[n] ?? []) {
            if ('error' in step) throw step.error;
            if ('end' in step) return;
            if ('reset' in step) {
              await step.after; // the client has the entries sent before (a reset may discard data in flight)
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
  const db = createClient({ address: `127.0.0.1:${port}`, retry: false, ...opts.client });
  return {
    db,
    appends,
    log,
    reads,
    cancelled,
    maxInFlight: () => maxInFlight,
    close: async () => {
      db.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Polls cond every 10 ms (a hang guard of 5 s, not a timing assertion). */
export async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
