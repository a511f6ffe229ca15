/**
 * Admission control, the innermost step of the decorator chain
 * (decorators/chain.ts), applied to every service but health: at most
 * `maxCallsInFlight` calls served at once by this server, and at most
 * `maxHoldsPerConnection` LockService.Hold streams per connection. Excess
 * calls are refused at once with RESOURCE_EXHAUSTED and RetryInfo, before
 * they cost anything: queueing them would only hold more memory. Refusals
 * are DbErrors; the chain's error step (wrap-errors.ts) converts them.
 */
import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { DbError } from '../../errors/db-error.js';
import { CONNECTION_KEY } from '../limits.js';
import { eachMethod } from './each-method.js';

/** How long a refused caller is told to wait, in ms. */
export const OVERLOAD_RETRY_MS = 250;

/** Counts calls in flight and Hold streams per connection. */
export class Admission {
  private inFlight = 0;
  private readonly holds = new Map<string, number>();

  constructor(private readonly limits: { readonly maxCallsInFlight: number; readonly maxHoldsPerConnection: number }) {}

  /** Calls being served now. */
  callsInFlight(): number {
    return this.inFlight;
  }

  /** Takes a call slot (and a Hold slot of `holdConnection`); returns its release, or throws a RESOURCE_EXHAUSTED DbError. */
  enter(holdConnection?: string): () => void {
    if (this.inFlight >= this.limits.maxCallsInFlight) {
      throw new DbError(
        'resource_exhausted',
        'SERVER_OVERLOADED',
        `the server is serving its maximum of ${this.limits.maxCallsInFlight} calls; retry later`,
        {
          retryDelayMs: OVERLOAD_RETRY_MS,
          metadata: { limit: String(this.limits.maxCallsInFlight) },
        },
      );
    }
    if (holdConnection !== undefined) {
      const held = this.holds.get(holdConnection) ?? 0;
      if (held >= this.limits.maxHoldsPerConnection) {
        throw new DbError(
          'resource_exhausted',
          'TOO_MANY_STREAMS',
          `this connection already holds ${held} Hold streams (the maximum); release one or use another connection`,
          {
            retryDelayMs: OVERLOAD_RETRY_MS,
            metadata: { limit: String(this.limits.maxHoldsPerConnection) },
          },
        );
      }
      this.holds.set(holdConnection, held + 1);
    }
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
      if (holdConnection === undefined) return;
      const left = (this.holds.get(holdConnection) ?? 1) - 1;
      if (left <= 0) this.holds.delete(holdConnection);
      else this.holds.set(holdConnection, left);
    };
  }
}

/** The Hold methods: long-lived streams limited per connection. */
const HOLD_METHODS: ReadonlySet<string> = new Set(['smarterbase.v1.LockService/Hold']);

/** `impl` with every call admitted through `admission` first. */
export function admitCalls<S extends DescService>(service: S, impl: ServiceImpl<S>, admission: Admission): ServiceImpl<S> {
  return eachMethod(service, impl, (fn, method, streams) => {
    const isHold = HOLD_METHODS.has(`${service.typeName}/${method.name}`);
    if (streams)
      return (input, ctx) =>
        admittedStream(() => fn(input, ctx) as AsyncIterable<unknown>, admission, isHold ? ctx.values.get(CONNECTION_KEY) : undefined);
    return async (input, ctx) => {
      const release = admission.enter();
      try {
        return await fn(input, ctx);
      } finally {
        release();
      }
    };
  });
}

async function* admittedStream(
  start: () => AsyncIterable<unknown>,
  admission: Admission,
  holdConnection?: string,
): AsyncGenerator<unknown> {
  const release = admission.enter(holdConnection);
  try {
    yield* start();
  } finally {
    release();
  }
}
