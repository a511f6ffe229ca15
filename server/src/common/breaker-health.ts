/**
 * Subsystem health that also reflects circuit breakers: a subsystem whose
 * breaker is not closed (open, or half-open and not yet proven) reads down
 * at once, without waiting for the periodic probes to fail. Listeners hear
 * every change of the combined state. The RPC health service and the
 * `smarterbase.backend.up` gauge read this view (main.ts wires it).
 */
import type { BreakerState } from './circuit-breaker.js';
import type { HealthListener, SubsystemHealth } from './health-monitor.js';

/** What this view needs of a breaker. */
export interface BreakerSource {
  /** The state now. */
  readonly state: BreakerState;
  /** Calls `fn` after every state change; returns the unsubscribe function. */
  subscribe(fn: () => void): () => void;
}

/** `inner`'s health, with each subsystem of `breakers` down while its breaker is not closed. */
export class BreakerGatedHealth implements SubsystemHealth {
  /** The inner view's subsystems. */
  readonly subsystems: readonly string[];
  private readonly last = new Map<string, boolean>();
  private readonly listeners = new Set<HealthListener>();

  constructor(
    private readonly inner: SubsystemHealth,
    private readonly breakers: Readonly<Record<string, BreakerSource>>,
  ) {
    this.subsystems = inner.subsystems;
    for (const s of this.subsystems) this.last.set(s, this.isUp(s));
    inner.subscribe((s) => this.changed(s));
    for (const s of Object.keys(breakers)) breakers[s]!.subscribe(() => this.changed(s));
  }

  /** Up when the inner view says so and the subsystem's breaker (if any) is closed. */
  isUp(subsystem: string): boolean {
    const breaker = this.breakers[subsystem];
    return this.inner.isUp(subsystem) && (breaker === undefined || breaker.state === 'closed');
  }

  /** Calls `fn` on every change of the combined state until the returned function is called. */
  subscribe(fn: HealthListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private changed(subsystem: string): void {
    const up = this.isUp(subsystem);
    if (this.last.get(subsystem) === up) return;
    this.last.set(subsystem, up);
    for (const l of [...this.listeners]) l(subsystem, up);
  }
}
