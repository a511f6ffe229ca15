/**
 * Cancellation of S3 requests without per-request SDK options.
 *
 * The SDK resolves a command's whole middleware stack on every `send` unless
 * the client caches it (`cacheMiddleware: true`), and it caches only sends
 * made without options — yet the abort signal was one (`{ abortSignal }`).
 * Resolving the stack was the largest SDK cost in the profile of a Get on
 * S3 (docs/benchmarks.md, "S3 client path"). So the signal travels with the
 * command's input instead: `new GetObjectCommand(abortWith(signal, input))`
 * puts it under a symbol key of the input (an enumerable one: the SDK's SSE-C
 * middleware replaces the input by a spread copy, which keeps it; serializers
 * read only the schema's members, so it never reaches the wire). A middleware
 * at the deserialize step (after retries and signing, where the request is
 * the one sent) ties that signal to the HTTP request in a WeakMap, and the
 * HTTP handler hands it to the request (the socket is destroyed on abort).
 *
 * An earlier version carried the signal in an AsyncLocalStorage, which in
 * Node 20 turns on promise hooks for every promise of the process: ~45 µs
 * more SDK CPU per request, and a tax on the gRPC path besides
 * (docs/benchmarks.md, §18).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';

/** The input key holding the signal of the store call that built the input. */
const SIGNAL = Symbol('smarterbase.abortSignal');
/** Outgoing HTTP request → the signal of the store call it belongs to. */
const requestSignals = new WeakMap<object, AbortSignal>();

/** The middleware's name in the client's stack. */
export const ABORT_MIDDLEWARE_NAME = 'smarterbaseAbortSignal';

/** Returns `input` (a command's input), registered so that the requests its command sends abort with `signal`. */
export function abortWith<I extends object>(signal: AbortSignal, input: I): I {
  (input as { [SIGNAL]?: AbortSignal })[SIGNAL] = signal;
  return input;
}

/** Adds to `client` the middleware that ties each sent HTTP request to its input's signal (see abortWith). Idempotent. */
export function installAbortSignals(client: S3Client): void {
  client.middlewareStack.add(
    (next) => (args) => {
      const signal = (args.input as { [SIGNAL]?: AbortSignal } | undefined)?.[SIGNAL];
      if (signal !== undefined && typeof args.request === 'object' && args.request !== null) requestSignals.set(args.request, signal);
      return next(args);
    },
    { step: 'deserialize', name: ABORT_MIDDLEWARE_NAME, priority: 'low', override: true },
  );
}

/** The SDK's Node HTTP handler, taking its abort signal from abortWith's registration when the call passed none. */
export class ScopedAbortHttpHandler extends NodeHttpHandler {
  override handle(
    request: Parameters<NodeHttpHandler['handle']>[0],
    options: Parameters<NodeHttpHandler['handle']>[1] = {},
  ): ReturnType<NodeHttpHandler['handle']> {
    const signal = requestSignals.get(request);
    return super.handle(request, signal === undefined || options.abortSignal !== undefined ? options : { ...options, abortSignal: signal });
  }
}
