/**
 * The lease of one session's writer (ADR 0013 §3): coordinator lease
 * `upload:<id>`, waited for up to busyWaitMs (then UPLOAD_BUSY with the
 * holder's remaining time as the retry delay), renewed every third of its
 * TTL while held. The lease only keeps a second writer waiting; correctness
 * comes from its fencing token, recorded in the session and checked by every
 * session CAS (upload-session.ts).
 */
import type { Clock } from '../../common/clock.js';
import type { Coordinator } from '../../coordination/coordinator.js';
import { uploadBusy } from './upload-errors.js';
import type { ResumableContext } from './resumable-context.js';

/** How often a waiting writer asks for the lease again, in ms. */
const POLL_MS = 100;

/** A held lease of a session. */
export interface UploadLease {
  /** The fencing token, as recorded in the session (decimal). */
  readonly token: string;
  /** True once a renewal found the lease gone (another writer may hold it now). */
  readonly lost: boolean;
  /** Stops renewing and frees the lease (never throws). */
  release(): Promise<void>;
}

/** Where and how to take leases. */
export interface UploadLeaseOptions {
  readonly coordinator: Coordinator;
  readonly clock: Clock;
  /** Lease TTL in ms. */
  readonly leaseMs: number;
  /** Longest wait for a busy lease, in ms. */
  readonly waitMs: number;
  /** Recorded as the lease's holder. */
  readonly holder: string;
}

/** The lease options of a resumable context (its coordinator, clock, lease length, busy wait and holder). */
export function leaseOptionsOf(ctx: ResumableContext): UploadLeaseOptions {
  return {
    coordinator: ctx.coordinator,
    clock: ctx.clock,
    leaseMs: ctx.settings.leaseMs,
    waitMs: ctx.settings.busyWaitMs,
    holder: ctx.holder,
  };
}

/** The lease name of a session. */
export function uploadLeaseName(uploadId: string): string {
  return `upload:${uploadId}`;
}

/** Takes the lease of `uploadId`, waiting up to waitMs; UPLOAD_BUSY when another writer keeps it. */
export async function acquireUploadLease(options: UploadLeaseOptions, uploadId: string, signal?: AbortSignal): Promise<UploadLease> {
  const { coordinator, clock } = options;
  const name = uploadLeaseName(uploadId);
  const deadline = clock.now() + options.waitMs;
  for (;;) {
    const attempt = await coordinator.tryAcquireLease(name, options.leaseMs, options.holder, signal);
    if (attempt.granted) return new HeldLease(options, name, attempt.lease.leaseId, attempt.lease.fencingToken.toString());
    const left = deadline - clock.now();
    if (left <= 0) throw uploadBusy(uploadId, Math.min(attempt.remainingMs, 1000));
    await clock.sleep(Math.min(POLL_MS, left), signal);
  }
}

class HeldLease implements UploadLease {
  lost = false;
  private readonly stop = new AbortController();
  private readonly renewing: Promise<void>;

  constructor(
    private readonly options: UploadLeaseOptions,
    private readonly name: string,
    private readonly leaseId: string,
    readonly token: string,
  ) {
    this.renewing = this.renewLoop();
  }

  async release(): Promise<void> {
    this.stop.abort();
    await this.renewing;
    await this.options.coordinator.releaseLease(this.name, this.leaseId).catch(() => undefined);
  }

  private async renewLoop(): Promise<void> {
    const every = Math.max(1, Math.floor(this.options.leaseMs / 3));
    while (!this.stop.signal.aborted && !this.lost) {
      try {
        await this.options.clock.sleep(every, this.stop.signal);
        const renewed = await this.options.coordinator.renewLease(this.name, this.leaseId, this.options.leaseMs, this.stop.signal);
        if (renewed === undefined) this.lost = true;
      } catch {
        // Stopped, or the backend failed this once: the next round retries; the fence keeps it safe meanwhile.
      }
    }
  }
}
