/**
 * Watches the backends the server depends on (storage, coordination) with a
 * cheap periodic probe each, and tells listeners when one becomes unreachable
 * or comes back. Transport-free: probes are plain functions over the ports
 * (storage/probe-store.ts, Coordinator.ping), and the RPC layer only reports
 * what this says (rpc/services/health/health.ts); metrics read it (observability/metrics.ts).
 */
import { timeoutSignal } from './abort.js';

/** One probe: resolves when the backend answered, rejects otherwise; must honour `signal`. */
export type Probe = (signal: AbortSignal) => Promise<void>;

/** Options of HealthMonitor. */
export interface HealthMonitorOptions {
  /** The probe of each subsystem, by name (e.g. storage, coordination). */
  readonly probes: Readonly<Record<string, Probe>>;
  /** Time between the end of one round of probes and the start of the next, in ms. */
  readonly intervalMs: number;
  /** How long one probe may take before it counts as failed, in ms (default intervalMs). */
  readonly timeoutMs?: number;
  /** Consecutive failed probes that mark a subsystem down (default 2: one lost packet is not an outage). */
  readonly failuresToDown?: number;
  /** Receives the error of every failed probe (for logs). */
  readonly onProbeError?: (subsystem: string, err: unknown) => void;
}

/** Called with the subsystem whose state changed and its new state. */
export type HealthListener = (subsystem: string, up: boolean) => void;

/** Read-only view of subsystem health: what the RPC health service and metrics observe. */
export interface SubsystemHealth {
  /** Names of the watched subsystems. */
  readonly subsystems: readonly string[];
  /** True while the subsystem's backend answers (subsystems start up: start-up reached them). */
  isUp(subsystem: string): boolean;
  /** Calls `fn` on every change until the returned function is called. */
  subscribe(fn: HealthListener): () => void;
}

/**
 * Periodic probes with state per subsystem: up until `failuresToDown`
 * probes fail in a row, up again after one probe succeeds.
 */
export class HealthMonitor implements SubsystemHealth {
  /** Names of the watched subsystems. */
  readonly subsystems: readonly string[];
  private readonly up = new Map<string, boolean>();
  private readonly failures = new Map<string, number>();
  private readonly listeners = new Set<HealthListener>();
  private readonly stopped = new AbortController();
  private timer?: NodeJS.Timeout;
  private round?: Promise<void>;

  constructor(private readonly options: HealthMonitorOptions) {
    this.subsystems = Object.keys(options.probes);
    for (const s of this.subsystems) {
      this.up.set(s, true);
      this.failures.set(s, 0);
    }
  }

  /** True while the subsystem's backend answers; false for unknown names. */
  isUp(subsystem: string): boolean {
    return this.up.get(subsystem) ?? false;
  }

  /** Calls `fn` on every change until the returned function is called. */
  subscribe(fn: HealthListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Starts probing every intervalMs (the first round after one interval). Idempotent. */
  start(): void {
    if (this.timer !== undefined || this.stopped.signal.aborted) return;
    this.schedule();
  }

  /** Probes every subsystem once, now, and applies the outcomes. */
  async probeOnce(): Promise<void> {
    await Promise.all(this.subsystems.map((s) => this.probe(s)));
  }

  /** Stops probing and waits for a round in flight to end (its probes are aborted). */
  async close(): Promise<void> {
    this.stopped.abort();
    clearTimeout(this.timer);
    await this.round;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.round = this.probeOnce().finally(() => {
        this.round = undefined;
        if (!this.stopped.signal.aborted) this.schedule();
      });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  private async probe(subsystem: string): Promise<void> {
    const limit = timeoutSignal(this.stopped.signal, this.options.timeoutMs ?? this.options.intervalMs);
    try {
      await untilAborted(this.options.probes[subsystem]!(limit.signal), limit.signal);
      this.failures.set(subsystem, 0);
      this.set(subsystem, true);
    } catch (err) {
      if (this.stopped.signal.aborted) return;
      const failed = (this.failures.get(subsystem) ?? 0) + 1;
      this.failures.set(subsystem, failed);
      this.options.onProbeError?.(subsystem, err);
      if (failed >= (this.options.failuresToDown ?? 2)) this.set(subsystem, false);
    } finally {
      limit.release();
    }
  }

  private set(subsystem: string, up: boolean): void {
    if (this.up.get(subsystem) === up) return;
    this.up.set(subsystem, up);
    for (const l of [...this.listeners]) l(subsystem, up);
  }
}

/** `promise`, or a rejection as soon as `signal` aborts (a probe that ignores its signal cannot stall the rounds). */
function untilAborted(promise: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
