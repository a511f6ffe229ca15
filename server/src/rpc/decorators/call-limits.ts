/**
 * The limits of a call's principal (docs/security.md, "Limits"): its own
 * (the principal record's `limits`) where set, else the server's settings.
 * A principal that sets its rate but not its burst gets twice its rate.
 */
import type { HandlerContext } from '@connectrpc/connect';
import type { Caller } from '../../access/authenticator.js';
import { CALLER_KEY } from './authorise-calls.js';
import type { CallLimits } from './principal-limits.js';

/** The server's defaults (SB_RATE_LIMIT_PER_SEC, SB_RATE_LIMIT_BURST, SB_MAX_STREAMS_PER_PRINCIPAL; 0 = none). */
export interface LimitDefaults {
  readonly ratePerSec: number;
  readonly burst: number;
  readonly maxStreams: number;
}

/** The limits of `caller` under `defaults`. */
export function limitsOfCaller(caller: Caller, defaults: LimitDefaults): CallLimits {
  const own = caller.limits;
  const rate = own?.callsPerSecond ?? defaults.ratePerSec;
  const burst = own?.burst ?? (own?.callsPerSecond === undefined && defaults.burst > 0 ? defaults.burst : Math.max(1, Math.ceil(2 * rate)));
  const maxStreams = own?.maxStreams ?? defaults.maxStreams;
  return {
    principal: caller.principal,
    ...(rate > 0 ? { rule: { ratePerSec: rate, burst } } : {}),
    ...(maxStreams > 0 ? { maxStreams } : {}),
  };
}

/** limitsOf for the principal-limits step: the limits of the caller the authorisation step found. */
export function callLimitsOf(defaults: LimitDefaults): (ctx: HandlerContext) => CallLimits | undefined {
  return (ctx) => {
    const caller = ctx.values.get(CALLER_KEY);
    return caller === undefined ? undefined : limitsOfCaller(caller, defaults);
  };
}
