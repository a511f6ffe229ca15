/**
 * Cancellation of S3 requests without per-request SDK options.
 *
 * The SDK resolves a command's whole middleware stack on every `send` unless
 * the client caches it (`cacheMiddleware: true`), and it caches only sends
 * made without options — yet the abort signal was one (`{ abortSignal }`).
 * Resolving the stack was the largest SDK cost in the profile of a Get on
 * S3 (docs/benchmarks.md, "S3 client path"). So the signal travels in an
 * AsyncLocalStorage instead: `withAbortSignal(signal, () => client.send(cmd))`,
 * and the HTTP handler, the last step of the stack, hands it to the request
 * (the socket is destroyed on abort, as before).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { NodeHttpHandler } from '@smithy/node-http-handler';

const scope = new AsyncLocalStorage<AbortSignal>();

/** Runs `send` (an S3 client call) with `signal` as the abort signal of the HTTP requests it makes. */
export function withAbortSignal<T>(signal: AbortSignal, send: () => Promise<T>): Promise<T> {
  return scope.run(signal, send);
}

/** The SDK's Node HTTP handler, taking its abort signal from withAbortSignal's scope when the call passed none. */
export class ScopedAbortHttpHandler extends NodeHttpHandler {
  override handle(
    request: Parameters<NodeHttpHandler['handle']>[0],
    options: Parameters<NodeHttpHandler['handle']>[1] = {},
  ): ReturnType<NodeHttpHandler['handle']> {
    const signal = scope.getStore();
    return super.handle(request, signal === undefined || options.abortSignal !== undefined ? options : { ...options, abortSignal: signal });
  }
}
