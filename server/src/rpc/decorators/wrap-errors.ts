/**
 * Wraps every method of a connect-style service implementation so that
 * whatever it throws leaves as a ConnectError built by rpc/error-table.ts.
 * Both mounts (grpc-js and connect-node) serve wrapped implementations, so
 * both send the same codes and details.
 */
import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { toConnectError, type InternalErrorLogger } from '../error-table.js';

type AnyFn = (input: unknown, ctx: unknown) => unknown;

/** The same implementation, with errors translated by the error table. */
export function wrapErrors<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  logInternal?: InternalErrorLogger,
): ServiceImpl<S> {
  const out: Record<string, AnyFn> = {};
  const src = impl as unknown as Record<string, AnyFn>;
  for (const method of service.methods) {
    const fn = src[method.localName];
    if (typeof fn !== 'function') continue;
    const bound = fn.bind(impl);
    if (method.methodKind === 'unary' || method.methodKind === 'client_streaming') {
      out[method.localName] = async (input, ctx) => {
        try {
          return await bound(input, ctx);
        } catch (e) {
          throw toConnectError(e, logInternal);
        }
      };
    } else {
      out[method.localName] = (input, ctx) => wrapStream(bound(input, ctx) as AsyncIterable<unknown>, logInternal);
    }
  }
  return out as unknown as ServiceImpl<S>;
}

async function* wrapStream(source: AsyncIterable<unknown>, logInternal?: InternalErrorLogger): AsyncGenerator<unknown> {
  try {
    yield* source;
  } catch (e) {
    throw toConnectError(e, logInternal);
  }
}
