/**
 * What the soak benchmark sends: a seeded, reproducible sequence of calls in
 * a fixed mix of unary Gets and Puts and server streams (Query scans,
 * BatchGets), of which a few are cancelled after their first message or sent
 * by a client that stops reading.
 */

/** The RPC one scheduled call makes. */
export type SoakMethod = 'get' | 'put' | 'query' | 'batchGet';

/** How the client treats a stream: read it to its end, cancel it after the first message, or never read it. */
export type StreamBehaviour = 'read' | 'cancel' | 'stall';

/** One scheduled call. */
export interface PlannedCall {
  /** The RPC. */
  readonly method: SoakMethod;
  /** For streams: what the client does with it; always 'read' for unary calls. */
  readonly behaviour: StreamBehaviour;
  /** Which server port carries it: 0 = the grpc-js port, 1 = the connect-node port. */
  readonly port: 0 | 1;
}

/** The share of each method among all calls (sums to 1). */
export interface SoakMix {
  /** Share of DocumentService.Get. */
  readonly get: number;
  /** Share of DocumentService.Put. */
  readonly put: number;
  /** Share of QueryService.Query (server stream). */
  readonly query: number;
  /** Share of DocumentService.BatchGet (server stream). */
  readonly batchGet: number;
  /** Share of streams cancelled after their first message (issue 8: 5 %). */
  readonly cancelStreams: number;
  /** Share of streams sent by a client that stops reading (issue 8: 1 %). */
  readonly stallStreams: number;
}

/** The default mix: 40 % Get, 20 % Put, 20 % Query, 20 % BatchGet; 5 % of streams cancelled, 1 % stalled. */
export const DEFAULT_MIX: SoakMix = { get: 0.4, put: 0.2, query: 0.2, batchGet: 0.2, cancelStreams: 0.05, stallStreams: 0.01 };

/** A deterministic pseudo-random source in [0, 1) (mulberry32), so a run can be replayed from its seed. */
export { seededRandom } from '../test/harness/bank-workload.js';

/** Draws the next call of `mix` from `random`. Throws when the method shares do not sum to 1. */
export function planCall(random: () => number, mix: SoakMix = DEFAULT_MIX): PlannedCall {
  const total = mix.get + mix.put + mix.query + mix.batchGet;
  if (Math.abs(total - 1) > 1e-9) throw new RangeError(`method shares sum to ${total}, not 1`);
  const port: 0 | 1 = random() < 0.5 ? 0 : 1;
  const r = random();
  const method: SoakMethod = r < mix.get ? 'get' : r < mix.get + mix.put ? 'put' : r < mix.get + mix.put + mix.query ? 'query' : 'batchGet';
  if (method === 'get' || method === 'put') return { method, behaviour: 'read', port };
  const b = random();
  const behaviour: StreamBehaviour = b < mix.stallStreams ? 'stall' : b < mix.stallStreams + mix.cancelStreams ? 'cancel' : 'read';
  return { method, behaviour, port };
}

/**
 * How many calls of an open-loop schedule at `ratePerSecond` are due
 * `elapsedMs` after its start (the first is due at 0).
 */
export function callsDue(elapsedMs: number, ratePerSecond: number): number {
  if (elapsedMs < 0) return 0;
  // The epsilon keeps a call due exactly at its dueAtMs despite floating-point rounding.
  return Math.floor((elapsedMs * ratePerSecond) / 1000 + 1e-9) + 1;
}

/** The time, ms after the start, at which call number `index` (from 0) is due. */
export function dueAtMs(index: number, ratePerSecond: number): number {
  return (index * 1000) / ratePerSecond;
}
