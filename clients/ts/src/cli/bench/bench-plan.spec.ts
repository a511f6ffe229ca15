import { UsageError } from '../cli-errors';
import { benchPlan, DEFAULT_MIX, mixPicker, parseMix, type BenchFlags } from './bench-plan';

const flags: BenchFlags = {
  rate: '100',
  duration: '30',
  mix: DEFAULT_MIX,
  keys: '1000',
  docBytes: '256',
  maxInFlight: '512',
  index: true,
  maxErrorRate: '0.01',
};

describe('parseMix', () => {
  test('reads KIND=WEIGHT pairs and drops zero weights', () => {
    expect([...parseMix('get=70, put=30,query=0')]).toEqual([
      ['get', 70],
      ['put', 30],
    ]);
  });

  test.each([['get'], ['get=x'], ['gets=1'], ['get=1=2'], ['get=-1'], ['get=0,put=0'], ['']])('refuses "%s" with a UsageError', (mix) => {
    expect(() => parseMix(mix)).toThrow(UsageError);
  });
});

describe('mixPicker', () => {
  test('the default mix gives every kind its exact share of each 100 operations, spread over them', () => {
    const pick = mixPicker(parseMix(DEFAULT_MIX));
    const picks = Array.from({ length: 300 }, pick);
    const count = (k: string, from: number, to: number): number => picks.slice(from, to).filter((p) => p === k).length;
    for (const start of [0, 100, 200]) {
      expect([count('get', start, start + 100), count('put', start, start + 100), count('put-if-match', start, start + 100)]).toEqual([
        70, 15, 5,
      ]);
      expect([count('query', start, start + 100), count('commit', start, start + 100)]).toEqual([5, 5]);
    }
    // Spread, not clumped: no 20 operations in a row without a write.
    for (let i = 0; i + 20 <= picks.length; i++) expect(picks.slice(i, i + 20).some((p) => p !== 'get')).toBe(true);
  });

  test('fractional weights keep their proportion', () => {
    const pick = mixPicker(parseMix('get=0.5,put=1.5'));
    const picks = Array.from({ length: 400 }, pick);
    expect(picks.filter((p) => p === 'get')).toHaveLength(100);
  });
});

describe('benchPlan', () => {
  test('turns the flags into numbers and names a new collection after the time', () => {
    expect(benchPlan(flags, 1_700_000_000_000)).toMatchObject({
      rate: 100,
      durationS: 30,
      keys: 1000,
      docBytes: 256,
      collection: 'bench_loyw3v28',
    });
  });

  test.each([
    [{ rate: '0' }, '--rate'],
    [{ rate: 'fast' }, '--rate'],
    [{ duration: '-1' }, '--duration'],
    [{ keys: '1.5' }, '--keys'],
    [{ maxInFlight: '0' }, '--max-in-flight'],
    [{ maxErrorRate: '2' }, '--max-error-rate'],
    [{ collection: '../x' }, '--collection'],
  ])('refuses %j naming %s', (bad, flag) => {
    expect(() => benchPlan({ ...flags, ...bad })).toThrow(new RegExp(flag.replace(/-/g, '\\-')));
  });
});
