import { ManualClock } from '../common/manual-clock.js';
import { ExpiryPurger } from './expiry-purger.js';
import { ExpirySchedule } from './expiry-schedule.js';

describe('ExpiryPurger', () => {
  it('purges the due ids with at most `concurrency` in flight, and leaves the others', async () => {
    const clock = new ManualClock({ startMs: 1000 });
    const schedule = new ExpirySchedule();
    for (let i = 0; i < 50; i++) schedule.add('c', `d${i}`, 1000);
    schedule.add('c', 'later', 2000);
    let inFlight = 0;
    let most = 0;
    const seen: string[] = [];
    const purge = async (_c: string, id: string): Promise<'purged'> => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setImmediate(r));
      seen.push(id);
      inFlight--;
      return 'purged';
    };
    const purger = new ExpiryPurger({ schedule, purge, clock, intervalMs: 1000, concurrency: 4 });
    expect(await purger.sweep()).toEqual({ purged: 50, dropped: 0, failed: 0 });
    expect(most).toBe(4);
    expect(new Set(seen).size).toBe(50);
    expect(schedule.get('c', 'later')).toBe(2000);
  });

  it('puts an id whose purge failed back on the schedule for the next round', async () => {
    const clock = new ManualClock({ startMs: 1000 });
    const schedule = new ExpirySchedule();
    schedule.add('c', 'a', 900);
    schedule.add('c', 'b', 900);
    let fail = true;
    const purge = async (_c: string, id: string): Promise<'purged' | 'dropped'> => {
      if (id === 'a' && fail) throw new Error('storage down');
      return id === 'a' ? 'purged' : 'dropped';
    };
    const warnings: string[] = [];
    const purger = new ExpiryPurger({ schedule, purge, clock, intervalMs: 1000, log: { warn: (_o, m) => warnings.push(m) } });
    expect(await purger.sweep()).toEqual({ purged: 0, dropped: 1, failed: 1 });
    expect(warnings).toHaveLength(1);
    fail = false;
    expect(await purger.sweep()).toEqual({ purged: 1, dropped: 0, failed: 0 });
    expect(schedule.takeDue(Infinity, 10)).toEqual([]);
  });

  it('tells each outcome, and a round whose take failed purges nothing and logs once', async () => {
    const clock = new ManualClock({ startMs: 1000 });
    const schedule = new ExpirySchedule();
    schedule.add('c', 'a', 900);
    schedule.add('c', 'b', 900);
    const outcomes: string[] = [];
    const warnings: string[] = [];
    let takeFails = true;
    const flaky = {
      add: schedule.add.bind(schedule),
      restore: schedule.restore.bind(schedule),
      settle: schedule.settle.bind(schedule),
      retry: schedule.retry.bind(schedule),
      dueAmong: schedule.dueAmong.bind(schedule),
      takeDue: async (now: number, max: number) => {
        if (takeFails) throw new Error('redis down');
        return schedule.takeDue(now, max);
      },
    };
    const purger = new ExpiryPurger({
      schedule: flaky,
      purge: async (_c, id) => (id === 'a' ? 'purged' : 'dropped'),
      clock,
      intervalMs: 1000,
      log: { warn: (_o, m) => warnings.push(m) },
      onOutcome: (o, e) => outcomes.push(`${o} ${e.id}`),
    });
    expect(await purger.sweep()).toEqual({ purged: 0, dropped: 0, failed: 0 });
    expect(warnings).toEqual(['taking due expiries failed; retried next round']);
    takeFails = false;
    expect(await purger.sweep()).toEqual({ purged: 1, dropped: 1, failed: 0 });
    expect(outcomes.sort()).toEqual(['dropped b', 'purged a']);
  });
});
