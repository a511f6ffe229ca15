import { abortError } from './abort.js';
import { linkCallTally } from './call-tally.js';

/**
 * Maps `items` through the async `fn` with at most `concurrency` calls in
 * flight and yields the results in input order.
 *
 * It runs ahead of the consumer only by the concurrency window: a new call
 * starts when the consumer takes a result, so results never pile up beyond
 * `concurrency`. When `signal` aborts, no new call starts and the iteration
 * throws the abort DbError. When the consumer stops early (break, throw,
 * abort), the signal passed to the in-flight calls is aborted.
 */
export async function* orderedMap<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, signal: AbortSignal) => Promise<R>,
  signal?: AbortSignal,
): AsyncGenerator<R, void, undefined> {
  const width = Math.max(1, Math.floor(concurrency));
  const inner = new AbortController();
  linkCallTally(inner.signal, signal); // the calls' storage requests count for the RPC call
  const onAbort = (): void => inner.abort(signal?.reason);
  if (signal?.aborted) throw abortError(signal);
  signal?.addEventListener('abort', onAbort, { once: true });
  const window: Promise<R>[] = [];
  let next = 0;
  const startOne = (): void => {
    const p = fn(items[next] as T, inner.signal);
    next++;
    p.catch(() => undefined); // awaited below in order; avoid an unhandled rejection meanwhile
    window.push(p);
  };
  try {
    while (next < items.length && window.length < width) startOne();
    while (window.length > 0) {
      if (signal?.aborted) throw abortError(signal);
      const result = await (window.shift() as Promise<R>);
      if (signal?.aborted) throw abortError(signal);
      if (next < items.length) startOne();
      yield result;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (window.length > 0) inner.abort(signal?.reason);
  }
}
