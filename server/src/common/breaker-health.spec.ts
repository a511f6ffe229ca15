import { BreakerGatedHealth } from './breaker-health.js';
import { CircuitBreaker } from './circuit-breaker.js';
import type { HealthListener, SubsystemHealth } from './health-monitor.js';
import { ManualClock } from './manual-clock.js';

/** A health view whose states the test sets. */
function fakeHealth(): SubsystemHealth & { set(s: string, up: boolean): void } {
  const up = new Map([
    ['storage', true],
    ['coordination', true],
  ]);
  const listeners = new Set<HealthListener>();
  return {
    subsystems: ['storage', 'coordination'],
    isUp: (s) => up.get(s) ?? false,
    subscribe: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    set: (s, v) => {
      up.set(s, v);
      for (const l of listeners) l(s, v);
    },
  };
}

describe('BreakerGatedHealth', () => {
  test('a subsystem is down at once while its breaker is open or half-open, up again when it closes', async () => {
    const clock = new ManualClock({ startMs: 0 });
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 100, clock, rejection: () => new Error('refused') });
    const inner = fakeHealth();
    const health = new BreakerGatedHealth(inner, { coordination: breaker });
    const changes: [string, boolean][] = [];
    health.subscribe((s, up) => changes.push([s, up]));
    expect(health.subsystems).toEqual(['storage', 'coordination']);
    expect(health.isUp('coordination')).toBe(true);

    await expect(breaker.run(() => Promise.reject(new Error('timeout')))).rejects.toThrow();
    expect(health.isUp('coordination')).toBe(false);
    expect(health.isUp('storage')).toBe(true);
    clock.advance(100); // half-open: not proven yet
    expect(health.isUp('coordination')).toBe(false);
    await breaker.run(async () => 'PONG');
    expect(health.isUp('coordination')).toBe(true);
    expect(changes).toEqual([
      ['coordination', false],
      ['coordination', true],
    ]);
  });

  test('the inner view still counts: down when its probes say so, and changes are reported once', () => {
    const breaker = new CircuitBreaker({ failureThreshold: 1, coolDownMs: 100, clock: new ManualClock(), rejection: () => new Error('x') });
    const inner = fakeHealth();
    const health = new BreakerGatedHealth(inner, { coordination: breaker });
    const changes: [string, boolean][] = [];
    health.subscribe((s, up) => changes.push([s, up]));
    inner.set('coordination', false);
    inner.set('coordination', false);
    inner.set('storage', false);
    expect(health.isUp('coordination')).toBe(false);
    expect(health.isUp('storage')).toBe(false);
    inner.set('coordination', true);
    expect(changes).toEqual([
      ['coordination', false],
      ['storage', false],
      ['coordination', true],
    ]);
  });
});
