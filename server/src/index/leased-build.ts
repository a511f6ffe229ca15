/**
 * One build of an index at a time across all servers: the build runs under a
 * lease of the Coordinator (`\u0001index-build:<collection>/<name>`; user
 * lock names cannot hold control characters, so none collides), renewed at
 * a third of its TTL. A server that finds the lease held leaves the build to
 * its holder; a build whose lease is lost (its renewal refused, e.g. Redis
 * restarted empty) is aborted, and the next reconcile starts it again under a
 * new lease. Two builds of one index would not corrupt it (apply() ignores a
 * write that is not newer), but would double the work.
 */
import type { Coordinator } from '../coordination/coordinator.js';
import { buildIndex, type IndexBuildInput, type IndexBuildResult } from './index-builder.js';

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

/** The lease name of an index's build. */
export function buildLeaseName(collection: string, name: string): string {
  return `\u0001index-build:${collection}/${name}`;
}

/** Runs buildIndex under the index's build lease; never throws. */
export async function leasedBuild(input: LeasedBuildInput): Promise<LeasedBuildResult> {
  const { coordinator, controller, collection, name } = input;
  if (coordinator === undefined) return buildIndex(input);
  const ttlMs = input.leaseTtlMs ?? BUILD_LEASE_TTL_MS;
  const leaseName = buildLeaseName(collection, name);
  let leaseId: string;
  try {
    const attempt = await coordinator.tryAcquireLease(leaseName, ttlMs, 'index builder', controller.signal);
    if (!attempt.granted) return 'busy';
    leaseId = attempt.lease.leaseId;
  } catch (err) {
    input.log?.warn({ err, collection, index: name }, 'index build lease unavailable; the next reconcile retries');
    return 'aborted';
  }
  const renew = async (): Promise<void> => {
    try {
      if ((await coordinator.renewLease(leaseName, leaseId, ttlMs, controller.signal)) !== undefined) return;
    } catch {
      // a failed renewal is a lost lease: another server may take it once it expires
    }
    if (!controller.signal.aborted) input.log?.warn({ collection, index: name }, 'index build lease lost; build stopped');
    controller.abort();
  };
  const timer = setInterval(() => void renew(), Math.max(1, Math.floor(ttlMs / 3)));
  timer.unref();
  try {
    return await buildIndex(input);
  } finally {
    clearInterval(timer);
    await coordinator.releaseLease(leaseName, leaseId).catch(() => false);
  }
}
