/**
 * The one generic boundary of the call decorators (wrap-errors.ts,
 * observe-calls.ts, admission.ts): a connect ServiceImpl<S> is an object
 * whose method types depend on S, which TypeScript cannot follow through a
 * loop over `service.methods`. Here, and only here, the implementation is
 * seen as a record of untyped methods and the wrapped record is given back
 * its type; every wrapper keeps the signature (request, context) → result
 * of the method it wraps, so the type given back is the one taken.
 */
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';

/** A method of a service implementation, seen without its types. */
export type AnyMethod = (input: unknown, ctx: HandlerContext) => unknown;

/**
 * Wraps a method: `fn` is the implementation's method (bound to it),
 * `method` its descriptor. A unary or client-streaming method returns a
 * promise; a server-streaming or bidi one returns an async iterable, and so
 * must its wrapper.
 */
export type MethodWrapper = (fn: AnyMethod, method: DescMethod, streams: boolean) => AnyMethod;

/** `impl` with every method it implements replaced by `wrap` of it; methods it lacks stay absent. */
export function eachMethod<S extends DescService>(service: S, impl: ServiceImpl<S>, wrap: MethodWrapper): ServiceImpl<S> {
  const src = impl as unknown as Readonly<Record<string, unknown>>;
  const out: Record<string, AnyMethod> = {};
  for (const method of service.methods) {
    const fn = src[method.localName];
    if (typeof fn !== 'function') continue;
    const streams = method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming';
    out[method.localName] = wrap((fn as AnyMethod).bind(impl), method, streams);
  }
  return out as unknown as ServiceImpl<S>;
}
