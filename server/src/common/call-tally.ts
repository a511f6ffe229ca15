/**
 * What one RPC call cost the storage backend, found through the call's abort
 * signal: the signal is the one thing every layer between the RPC handler and
 * the storage adapter already passes along, so no ambient context
 * (AsyncLocalStorage and the promise hooks it turns on) is needed.
 *
 * The RPC layer opens a tally on the call's signal before the handler runs and
 * reads it when the call ends (observe-calls.ts, the
 * `smarterbase.rpc.server.storage_requests` histogram); the storage request
 * meter counts each request sent to the backend into the tally of the signal
 * it was sent with. A layer that derives a new signal for its work
 * (ordered-map.ts) links it to its parent. Requests without a signal, or with
 * a signal no call opened (sweepers, start-up, cleanup after the answer), are
 * counted by no call.
 */

/** The storage requests one call made so far. */
export interface CallTally {
  /** Requests sent to the storage backend (each HTTP request on S3; each call on memory and filesystem). */
  storageRequests: number;
}

const tallies = new WeakMap<AbortSignal, CallTally>();

/** Opens (or returns the already open) tally of the call whose signal is `signal`. */
export function openCallTally(signal: AbortSignal): CallTally {
  let tally = tallies.get(signal);
  if (tally === undefined) {
    tally = { storageRequests: 0 };
    tallies.set(signal, tally);
  }
  return tally;
}

/** Makes requests sent with `child` count into the tally of `parent`, when `parent` has one. */
export function linkCallTally(child: AbortSignal, parent: AbortSignal | undefined): void {
  const tally = parent === undefined ? undefined : tallies.get(parent);
  if (tally !== undefined) tallies.set(child, tally);
}

/** Counts one storage request into the tally of the call that sent it with `signal`, if any. */
export function countStorageRequest(signal: AbortSignal | undefined): void {
  if (signal === undefined) return;
  const tally = tallies.get(signal);
  if (tally !== undefined) tally.storageRequests++;
}
