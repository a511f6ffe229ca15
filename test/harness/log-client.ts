/**
 * A raw LogService client for cross-process tests (the generated descriptor
 * with connect-node's gRPC transport), and helpers to read a log to its end
 * and to record a follower.
 */
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { LogService } from '../../server/src/gen/smarterbase/v1/log_service_pb.js';

/** A LogService client. */
export type LogClient = Client<typeof LogService>;

/** A client speaking native gRPC to `baseUrl` (http://127.0.0.1:<grpcPort>). */
export function logClient(baseUrl: string): LogClient {
  return createClient(LogService, createGrpcTransport({ baseUrl }));
}

/** One line as read. */
export interface ReadLine {
  readonly sequence: number;
  readonly line: string;
}

/** Reads `log` from `fromSequence` to its current end (no follow). */
export async function readToEnd(client: LogClient, log: string, fromSequence = 0): Promise<ReadLine[]> {
  const out: ReadLine[] = [];
  for await (const res of client.readLog({ log, fromSequence: BigInt(fromSequence) }, { timeoutMs: 120_000 })) {
    for (const e of res.entries) out.push({ sequence: Number(e.sequence), line: e.line });
  }
  return out;
}

/** A follower that records every line it receives until stopped. */
export interface Follower {
  readonly lines: ReadLine[];
  /** Resolves once `count` lines arrived (rejects if the stream fails first). */
  until(count: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts following `log` from sequence `fromSequence` (0: the start). */
export function follow(client: LogClient, log: string, fromSequence = 0): Follower {
  const ac = new AbortController();
  const lines: ReadLine[] = [];
  const waiters: { count: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  let failed: unknown;
  const settle = (): void => {
    for (const w of [...waiters]) {
      if (failed !== undefined) w.reject(failed);
      else if (lines.length >= w.count) w.resolve();
      else continue;
      waiters.splice(waiters.indexOf(w), 1);
    }
  };
  const run = (async () => {
    try {
      for await (const res of client.readLog(
        { log, fromSequence: BigInt(fromSequence), follow: true, progressInterval: { seconds: 1n } },
        { signal: ac.signal },
      )) {
        for (const e of res.entries) lines.push({ sequence: Number(e.sequence), line: e.line });
        settle();
      }
    } catch (e) {
      if (!ac.signal.aborted) {
        failed = e;
        settle();
      }
    }
  })();
  return {
    lines,
    until: (count) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ count, resolve, reject });
        settle();
      }),
    async stop() {
      ac.abort();
      await run;
    },
  };
}
