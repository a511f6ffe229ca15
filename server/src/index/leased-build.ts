/**
 * One build of a collection's indexes at a time across all servers: the pass
 * (index-builder.ts) runs under a lease of the Coordinator
 * (`\u0001index-build:<collection>`; user lock names cannot hold control
 * characters, so none collides), renewed at a third of its TTL. A server that finds the lease held leaves the build to
 * its holder; a build whose lease is lost (its renewal refused, e.g. Redis
 * restarted empty) is aborted, and the next reconcile starts it again under a
 * new lease. Two passes over one collection would not corrupt its indexes (apply() ignores a
 * write that is not newer), but would double the work.
 */
import type { Coordinator } from '../coordination/coordinator.js';
import { buildCollection, type IndexBuildInput, type IndexBuildResult } from './index-builder.js';

/** Default TTL of a build lease, in ms. */
export const BUILD_LEASE_TTL_MS = 30_000;

/** What a leased build needs beyond the build's own input. */
export interface LeasedBuildInput extends IndexBuildInput {
  /** Where the lease is taken; unset: the build runs without one (a single server). */
  readonly coordinator?: Coordinator;
  /** Aborts the build when the lease is lost (the caller's controller, whose signal is `signal`). */
  readonly controller: AbortController;
  /** TTL of the lease, in ms. Default BUILD_LEASE_TTL_MS. */
  readonly leaseTtlMs?: number;
}

/** How a leased build ended: the build's result, or 'busy' when another server holds the lease. */
export type LeasedBuildResult = IndexBuildResult | 'busy';

/** A pass that did not start (its targets stay BUILDING). */
const ABORTED: IndexBuildResult = { outcome: 'aborted', ready: [], failed: [], dropped: [] };

/** The lease name of a collection's index build. */
export function buildLeaseName(collection: string): string {
  return `\u0001index-build:${collection}`;
}

/** Runs buildCollection under the collection's build lease; never throws. */
export async function leasedBuild(input: LeasedBuildInput): Promise<LeasedBuildResult> {
  const { coordinator, controller, collection } = input;
  if (coordinator === undefined) return buildCollection(input);
  const ttlMs = input.leaseTtlMs ?? BUILD_LEASE_TTL_MS;
  const leaseName = buildLeaseName(collection);
  let leaseId: string;
  try {
    const attempt = await coordinator.tryAcquireLease(leaseName, ttlMs, 'index builder', controller.signal);
    if (!attempt.granted) return 'busy';
    leaseId = attempt.lease.leaseId;
  } catch (err) {
    input.log?.warn({ err, collection }, 'index build lease unavailable; the next reconcile retries');
    return ABORTED;
  }
  const renew = async (): Promise<void> => {
    try {
      if ((await coordinator.renewLease(leaseName, leaseId, ttlMs, controller.signal)) !== undefined) return;
    } catch {
      // a failed renewal is a lost lease: another server may take it once it expires
    }
    if (!controller.signal.aborted) input.log?.warn({ collection }, 'index build lease lost; build stopped');
    controller.abort();
  };
  const timer = setInterval(() => void renew(), Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();
  try {
    return await buildCollection(input);
  } finally {
    clearInterval(timer);
    await coordinator.releaseLease(leaseName, leaseId).catch(() => false);
  }
}
