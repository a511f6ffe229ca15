import { ManualClock } from '../common/manual-clock.js';
import { MemoryBlobStore } from '../storage/memory/memory-store.js';
import { ExpiryService } from './expiry-service.js';
import type { PurgeSchedule } from './purge-schedule.js';

/** A schedule that records what the service asks of it. */
function recording(): PurgeSchedule & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    add: (c, id, at) => void calls.push(`add ${c}/${id}@${at}`),
    restore: (c, id, at) => void calls.push(`restore ${c}/${id}@${at}`),
    takeDue: () => [],
    settle: () => undefined,
    retry: () => undefined,
    dueAmong: (_c, ids) => new Set(ids.slice(0, 1)),
  };
}

describe('ExpiryService', () => {
  it('schedules writes, sends the same restore once per sweep interval, and asks the schedule for due ids', () => {
    const clock = new ManualClock({ startMs: 10_000 });
    const schedule = recording();
    const service = new ExpiryService(
      { store: new MemoryBlobStore(), clock, sweepMs: 1000, defaultTtlMs: new Map([['c', 5000]]) },
      schedule,
    );
    expect(service.defaultTtlMs('c')).toBe(5000);
    expect(service.defaultTtlMs('d')).toBeUndefined();
    void service.schedule('c', 'a', new Date(20_000));
    service.restore('c', 'b', new Date(9000));
    service.restore('c', 'b', new Date(9000)); // many reads meet it before its purge: sent once
    service.restore('c', 'b', new Date(8000)); // another version: sent
    clock.advance(1000);
    service.restore('c', 'b', new Date(9000)); // the next interval: sent again
    expect(schedule.calls).toEqual(['add c/a@20000', 'restore c/b@9000', 'restore c/b@8000', 'restore c/b@9000']);
    expect(service.dueAmong('c', ['x', 'y'], 10_000)).toEqual(new Set(['x']));
  });

  it('a restore that fails is only a lost hint', () => {
    const schedule = recording();
    schedule.restore = () => Promise.reject(new Error('redis down'));
    const service = new ExpiryService({ store: new MemoryBlobStore(), clock: new ManualClock(), sweepMs: 1000 }, schedule);
    expect(() => service.restore('c', 'b', new Date(1))).not.toThrow();
  });
});
