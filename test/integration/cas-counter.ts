/**
 * The compare-and-swap counter workload of the concurrency proof: many
 * clients each perform read → PutIfMatch(n + 1) increments, retrying the
 * whole read-modify-write on ABORTED, exactly as a client of a database must,
 * and on UNAVAILABLE with reason STORAGE_INCONSISTENT: the server gives that
 * only when a read's body did not prove its etag after bounded re-reads
 * (issue 16), before anything was written, so the retry cannot apply an
 * increment twice (if it could, the final count would show it).
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import type { DocClient } from '../harness/doc-client.js';

/** Outcome of one run. */
export interface CounterRun {
  /** Increments that succeeded, as counted by the clients. */
  readonly acknowledged: number;
  /** ABORTED answers (lost races) that were retried. */
  readonly conflicts: number;
  /** UNAVAILABLE STORAGE_INCONSISTENT answers (reads the store tore past the server's re-reads) that were retried. */
  readonly inconsistent: number;
}

/** Whether `e` is the server's UNAVAILABLE STORAGE_INCONSISTENT (a read it could not prove; nothing written). */
function isInconsistentRead(e: unknown): boolean {
  if (!(e instanceof ConnectError) || e.code !== Code.Unavailable) return false;
  return e.findDetails(ErrorInfoSchema).some((d) => d.reason === 'STORAGE_INCONSISTENT');
}

/**
 * The wait before a worker's `retry`-th consecutive retry: exponential backoff with full jitter
 * (5 ms doubling up to 200 ms), as the TS client's own retries do (clients/ts/src/backoff.ts).
 * A fixed 0-5 ms wait made all 16 workers re-read and re-put at once after every success, so
 * about one attempt in 16 won and the rest were CPU spent on lost races; backing off keeps the
 * race (every success still meets others' attempts: `conflicts` stays well above 0) at a fraction
 * of the cost.
 */
function retryDelayMs(retry: number): number {
  return Math.random() * Math.min(200, 5 * 2 ** (retry - 1));
}

/** Reads the counter's value, etag and version. */
export async function readCounter(client: DocClient, collection: string, id: string) {
  const { document } = await client.get({ collection, id });
  return { n: Number(document!.data!.n), etag: document!.etag, version: Number(document!.version) };
}

/**
 * Runs `workers` concurrent workers, worker i using clients[i % clients.length],
 * each doing `perWorker` successful increments of the counter document.
 */
export async function runCounter(
  clients: DocClient[],
  collection: string,
  id: string,
  workers: number,
  perWorker: number,
): Promise<CounterRun> {
  let acknowledged = 0;
  let conflicts = 0;
  let inconsistent = 0;
  const worker = async (w: number) => {
    const client = clients[w % clients.length]!;
    let retry = 0;
    for (let done = 0; done < perWorker;) {
      try {
        const cur = await readCounter(client, collection, id);
        await client.putIfMatch({ collection, id, etag: cur.etag, data: { n: cur.n + 1, by: w } });
        acknowledged++;
        done++;
        retry = 0;
      } catch (e) {
        if (isInconsistentRead(e)) inconsistent++;
        else if (e instanceof ConnectError && e.code === Code.Aborted) conflicts++;
        else throw e;
        await new Promise((r) => setTimeout(r, retryDelayMs(++retry)));
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return { acknowledged, conflicts, inconsistent };
}
