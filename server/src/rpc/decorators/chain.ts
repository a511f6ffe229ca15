/**
 * The one decorator chain: every registered service's handler set goes
 * through it once per mount (rpc/server/rpc-server.ts), so calls on both ports are
 * treated alike. Outermost first:
 *
 *   observe (span, counters, duration; per transport, omitted without telemetry)
 *   → errors (the one conversion of whatever is thrown, rpc/error-table.ts)
 *   → authorisation (who calls, and may they; omitted when auth is off; authorise-calls.ts)
 *   → principal limits (the caller's rate and streams; omitted when auth is off; principal-limits.ts)
 *   → admission (calls in flight, Holds per connection; omitted for health)
 *   → the service's handlers.
 *
 * Observation sits outside the error step so the status it records is the
 * one the client receives; admission sits inside it so its refusals are
 * converted like any other error. Authorisation sits outside admission so an
 * unauthenticated flood never takes a call slot, and inside the error step
 * so its refusals carry ErrorInfo like any other.
 */
import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { RpcTransport } from '../../observability/metrics.js';
import type { InternalErrorLogger } from '../error-table.js';
import { admitCalls, type Admission } from './admission.js';
import { authoriseCalls, type CallAuth } from './authorise-calls.js';
import { observeCalls, type RpcTelemetry } from './observe-calls.js';
import { limitPrincipals, type PrincipalLimits, type StreamSlots } from './principal-limits.js';
import { wrapErrors } from './wrap-errors.js';

/** What the chain's steps need. */
export interface CallChain {
  /** Receives unexpected errors and backend causes (never sent). */
  readonly logInternal?: InternalErrorLogger;
  /** Counts and times calls; undefined = no observation step. */
  readonly telemetry?: RpcTelemetry;
  /** The admission state shared by both ports. */
  readonly admission: Admission;
  /** Authenticates and authorises every call (docs/adr/0015); undefined = auth off. */
  readonly auth?: CallAuth;
  /** Per-principal rate and stream limits (inside authorisation, which finds the principal); undefined = none. */
  readonly limits?: { readonly limits: PrincipalLimits; readonly slots: StreamSlots };
}

/** `impl` decorated by the chain for `transport`; `admitted` false skips admission (health). */
export function decorate<S extends DescService>(
  service: S,
  impl: ServiceImpl<S>,
  chain: CallChain,
  transport: RpcTransport,
  admitted: boolean,
): ServiceImpl<S> {
  const admittedImpl = admitted ? admitCalls(service, impl, chain.admission) : impl;
  const limited =
    chain.limits === undefined ? admittedImpl : limitPrincipals(service, admittedImpl, chain.limits.limits, chain.limits.slots);
  const inner = chain.auth === undefined ? limited : authoriseCalls(service, limited, chain.auth);
  const converted = wrapErrors(service, inner, chain.logInternal);
  return chain.telemetry === undefined ? converted : observeCalls(service, converted, transport, chain.telemetry);
}
