/**
 * Reflection's guard (docs/adr/0015): reflection is mounted outside the
 * decorator chain (it describes the chain's services), so when auth is on
 * and reflection is restricted its calls are authenticated here — any
 * principal may describe the API, none anonymously — and its refusals
 * converted by the error table.
 */
import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { InternalErrorLogger } from '../error-table.js';
import type { CallAuth } from './authorise-calls.js';
import { eachMethod } from './each-method.js';
import { wrapErrors } from './wrap-errors.js';

/** `impl` as is when `auth` is undefined; else with every call authenticated first. */
export function authenticatedOnly<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  auth: CallAuth | undefined,
  logInternal?: InternalErrorLogger,
): ServiceImpl<S> {
  if (auth === undefined) return impl;
  const guarded = eachMethod(service, impl, (fn, _method, streams) => {
    if (streams)
      return (input, ctx) =>
        (async function* () {
          await auth.authenticate(ctx);
          yield* fn(input, ctx) as AsyncIterable<unknown>;
        })();
    return async (input, ctx) => {
      await auth.authenticate(ctx);
      return fn(input, ctx);
    };
  });
  return wrapErrors(service, guarded, logInternal);
}
