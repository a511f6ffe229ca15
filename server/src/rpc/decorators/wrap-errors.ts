/**
 * Wraps every method of a connect-style service implementation so that
 * whatever it throws leaves as a ConnectError built by rpc/error-table.ts.
 * It is the error step of the one decorator chain (decorators/chain.ts), so
 * both mounts (grpc-js and connect-node) serve the same codes and details,
 * and an error a handler or the admission step throws is converted here,
 * once.
 */
import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { toConnectError, type InternalErrorLogger } from '../error-table.js';
import { eachMethod } from './each-method.js';

/** The same implementation, with errors translated by the error table. */
export function wrapErrors<S extends DescService>(service: S, impl: ServiceImpl<S>, logInternal?: InternalErrorLogger): ServiceImpl<S> {
  return eachMethod(service, impl, (fn, _method, streams) => {
    if (streams) return (input, ctx) => wrapStream(fn(input, ctx) as AsyncIterable<unknown>, logInternal);
    return async (input, ctx) => {
      try {
        return await fn(input, ctx);
      } catch (e) {
        throw toConnectError(e, logInternal);
      }
    };
  });
}

async function* wrapStream(source: AsyncIterable<unknown>, logInternal?: InternalErrorLogger): AsyncGenerator<unknown> {
  try {
    yield* source;
  } catch (e) {
    throw toConnectError(e, logInternal);
  }
}
