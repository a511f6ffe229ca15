import { rssFigures, SoakTally, soakVerdicts, type SoakSample } from './soak-summary.js';

describe('SoakTally', () => {
  it('counts outcomes per method, keeps latencies of ok calls only, and sets cancellations and stall resets apart from errors', () => {
    const t = new SoakTally();
    t.record('get', 'ok', 2);
    t.record('get', 'ok', 4);
    t.record('put', 'ok', 6);
    t.record('put', 'UNAVAILABLE', 100);
    t.record('query', 'cancelled', 1);
    t.record('batchGet', 'stall-reset', 30_000);
    t.record('batchGet', 'DEADLINE_EXCEEDED', 1);
    t.record('query', 'UNAVAILABLE', 1);
    expect(t.outcomes.get).toEqual({ ok: 2 });
    expect(t.errorsByCode()).toEqual({ UNAVAILABLE: 2, DEADLINE_EXCEEDED: 1 });
    expect(t.count('cancelled')).toBe(1);
    expect(t.count('stall-reset')).toBe(1);
    expect(t.latency(['get', 'put'])).toMatchObject({ count: 3, p50: 4, max: 6 });
    expect(t.latency(['query'])).toBeUndefined();
  });
});

describe('rssFigures', () => {
  const samples: SoakSample[] = [
    { t: -1, rssMiB: 50, clientInFlight: 0 },
    { t: 0, rssMiB: 60, clientInFlight: 1 },
    { t: 1, rssMiB: 100, clientInFlight: 1 },
    { t: 2, rssMiB: 80, activeCalls: 3, clientInFlight: 1 },
    { t: 3, rssMiB: 88, clientInFlight: 1 },
    { t: 4, rssMiB: 70, activeCalls: 0, clientInFlight: 0 },
  ];

  it('compares the last sample of the load with the first at or after the mark', () => {
    expect(rssFigures(samples, 1.5, 3)).toEqual({
      markSeconds: 1.5,
      atMarkMiB: 80,
      endMiB: 88,
      ratio: 1.1,
      maxMiB: 100,
      startMiB: 60,
      afterDrainMiB: 70,
    });
  });

  it('throws when the load has no sample at or after the mark', () => {
    expect(() => rssFigures(samples, 10, 3)).toThrow(RangeError);
  });
});

describe('soakVerdicts', () => {
  const rss = { markSeconds: 120, atMarkMiB: 100, endMiB: 110, ratio: 1.1, maxMiB: 120, startMiB: 90, afterDrainMiB: 100 };

  it('passes a flat RSS, no errors and a drained server', () => {
    expect(soakVerdicts(rss, 0, 0).every((v) => v.pass)).toBe(true);
  });

  it('misses on RSS growth beyond 10 %, on any error and on calls left active', () => {
    const v = soakVerdicts({ ...rss, ratio: 1.11 }, 1, 2);
    expect(v.map((x) => x.pass)).toEqual([false, false, false]);
    expect(soakVerdicts(rss, 0, undefined)[2].pass).toBe(false);
  });
});
