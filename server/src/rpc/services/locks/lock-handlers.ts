/**
 * LockService in connect-es style over a LockApi. Each handler only
 * translates: request → durations in ms (rpc/services/locks/convert-lock.ts) → one LockApi
 * call → proto response. Hold streams one HoldResponse per lease the engine
 * yields; when the client goes away ctx.signal aborts (the engine then
 * releases) and the engine's generator is closed. Errors are DbErrors,
 * translated by rpc/decorators/wrap-errors.ts.
 */
import type { ServiceImpl } from '@connectrpc/connect';
import type { LockApi, LockLease } from '../../../api/lock-api.js';
import { type LockService } from '../../../gen/smarterbase/v1/lock_service_pb.js';
import { expireTimeOf, MIN_HOLD_TTL_MS, MIN_TTL_MS, optionalTtlMs, requireTtlMs, waitMsOf } from './convert-lock.js';
import { callContextOf } from '../../convert/call-context.js';

/** The LockService implementation over a LockApi. */
export function createLockHandlers(api: LockApi): ServiceImpl<typeof LockService> {
  return {
    async acquire(req, ctx) {
      const ttlMs = requireTtlMs(req.ttl, 'ttl', MIN_TTL_MS);
      const waitMs = waitMsOf(req.waitTimeout);
      const lease = await api.acquire(callContextOf(ctx), {
        name: req.name,
        ttlMs,
        waitMs,
        ...(req.holder === '' ? {} : { holder: req.holder }),
      });
      return { leaseId: lease.leaseId, fencingToken: lease.fencingToken, expireTime: expireTimeOf(lease.expireAtMs) };
    },
    async renew(req, ctx) {
      const ttlMs = requireTtlMs(req.ttl, 'ttl', MIN_TTL_MS);
      const lease = await api.renew(callContextOf(ctx), req.name, req.leaseId, ttlMs);
      return { fencingToken: lease.fencingToken, expireTime: expireTimeOf(lease.expireAtMs) };
    },
    async release(req, ctx) {
      return { released: await api.release(callContextOf(ctx), req.name, req.leaseId) };
    },
    async get(req, ctx) {
      const info = await api.get(callContextOf(ctx), req.name);
      if (!info.held) return { held: false };
      return {
        held: true,
        holder: info.holder ?? '',
        fencingToken: info.fencingToken ?? 0n,
        ...(info.expireAtMs === undefined ? {} : { expireTime: expireTimeOf(info.expireAtMs) }),
      };
    },
    async *hold(req, ctx) {
      const ttlMs = optionalTtlMs(req.ttl, 'ttl', MIN_HOLD_TTL_MS);
      const waitMs = waitMsOf(req.waitTimeout);
      const leases: AsyncGenerator<LockLease, void, undefined> = api.hold(callContextOf(ctx), {
        name: req.name,
        ...(ttlMs === undefined ? {} : { ttlMs }),
        waitMs,
        ...(req.holder === '' ? {} : { holder: req.holder }),
      });
      let finished = false;
      try {
        for (;;) {
          const next = await leases.next();
          if (next.done === true) {
            finished = true;
            return;
          }
          yield { fencingToken: next.value.fencingToken, expireTime: expireTimeOf(next.value.expireAtMs) };
        }
      } finally {
        // The client went away or sending failed: close the engine's generator so it releases now.
        if (!finished) await leases.return(undefined);
      }
    },
  };
}
