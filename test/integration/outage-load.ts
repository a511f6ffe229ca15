/**
 * A client load and what a client may see of a backend outage, shared by the
 * outage suites on one redis-server (backend-outage.test.ts) and on a Redis
 * Cluster (test/cluster/cluster-outage.test.ts).
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema, RetryInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import type { DocClient } from '../harness/doc-client.js';

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Text of backend errors that must never reach a client. */
export const BACKEND_TEXT = /redis|stream isn't|writeable|offline|ECONN|EPIPE|socket|timed? ?out|127\.0\.0\.1|InternalError|aws|sdk|s3/i;

/** What a client can see of a failed call. */
export function summary(e: ConnectError): string {
  const retry = e.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return JSON.stringify({
    code: Code[e.code],
    reason: e.findDetails(ErrorInfoSchema)[0]?.reason,
    retryInfo: retry !== undefined && (retry.seconds > 0n || retry.nanos > 0),
    backendText: BACKEND_TEXT.test(e.rawMessage),
  });
}

/** How a call that failed for want of a backend must look to a client. */
export const EXPECTED = JSON.stringify({ code: 'Unavailable', reason: 'BACKEND_UNAVAILABLE', retryInfo: true, backendText: false });

/** A running load: its successes, its errors, and stop(). */
export interface Load {
  /** How many put + get rounds succeeded. */
  ok(): number;
  /** Every error a call of the load failed with. */
  readonly errors: ConnectError[];
  /** Stops the loops and waits for them. */
  stop(): Promise<void>;
}

/** Loads and Watch streams a failing test would leave running; afterEach ends them. */
export const leftovers: { stop(): Promise<void> | void }[] = [];

/** Puts and gets from `workers` loops until stopped; keeps every error. */
export function startLoad(client: DocClient, workers = 4): Load {
  let running = true;
  let ok = 0;
  const errors: ConnectError[] = [];
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let n = 0; running; n++) {
      try {
        await client.put({ collection: 'load', id: `w${w}-${n % 10}`, data: { n } }, { timeoutMs: 30_000 });
        await client.get({ collection: 'load', id: `w${w}-${n % 10}` }, { timeoutMs: 30_000 });
        ok++;
      } catch (e) {
        errors.push(ConnectError.from(e));
        await sleep(20);
      }
    }
  });
  const load: Load = {
    ok: () => ok,
    errors,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
  leftovers.push(load);
  return load;
}
