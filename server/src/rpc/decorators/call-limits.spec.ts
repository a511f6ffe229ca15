import { limitsOfCaller } from './call-limits.js';

describe('limitsOfCaller', () => {
  const caller = { principal: 'p', roles: [], via: 'k' };
  const none = { ratePerSec: 0, burst: 0, maxStreams: 0 };

  test('no defaults and no own limits: unlimited', () => {
    expect(limitsOfCaller(caller, none)).toEqual({ principal: 'p' });
  });

  test('server defaults apply; burst 0 means twice the rate', () => {
    expect(limitsOfCaller(caller, { ratePerSec: 10, burst: 0, maxStreams: 5 })).toEqual({
      principal: 'p',
      rule: { ratePerSec: 10, burst: 20 },
      maxStreams: 5,
    });
    expect(limitsOfCaller(caller, { ratePerSec: 10, burst: 3, maxStreams: 0 })).toEqual({
      principal: 'p',
      rule: { ratePerSec: 10, burst: 3 },
    });
  });

  test("a principal's own limits win; its own rate without a burst gets twice its rate, not the server's burst", () => {
    const own = { ...caller, limits: { callsPerSecond: 2 } };
    expect(limitsOfCaller(own, { ratePerSec: 100, burst: 500, maxStreams: 5 })).toEqual({
      principal: 'p',
      rule: { ratePerSec: 2, burst: 4 },
      maxStreams: 5,
    });
    const all = { ...caller, limits: { callsPerSecond: 0.5, burst: 1, maxStreams: 2 } };
    expect(limitsOfCaller(all, none)).toEqual({ principal: 'p', rule: { ratePerSec: 0.5, burst: 1 }, maxStreams: 2 });
  });
});
