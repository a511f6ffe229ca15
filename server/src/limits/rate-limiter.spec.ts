import { LocalRateLimiter, MAX_LOCAL_BUCKETS, takeFromBucket } from './rate-limiter.js';

describe('takeFromBucket', () => {
  const rule = { ratePerSec: 10, burst: 3 };

  test('a new bucket is full: burst calls pass, the next waits for one token (100 ms at 10/s)', () => {
    let state;
    const got: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const r = takeFromBucket(state, rule, 1_000, 1);
      state = r.state;
      got.push(r.decision.allowed);
      if (!r.decision.allowed) expect(r.decision.retryAfterMs).toBe(100);
    }
    expect(got).toEqual([true, true, true, false]);
  });

  test('refills with time, never above the burst', () => {
    const empty = { tokens: 0, atMs: 0 };
    expect(takeFromBucket(empty, rule, 99, 1).decision.allowed).toBe(false);
    expect(takeFromBucket(empty, rule, 100, 1).decision.allowed).toBe(true);
    expect(takeFromBucket(empty, rule, 60_000, 1).state.tokens).toBe(2); // 3 at most, minus this call
    expect(takeFromBucket({ tokens: 0.5, atMs: 0 }, rule, 0, 1).decision.retryAfterMs).toBe(50);
  });

  test('a zero rate refuses once the burst is spent, with a finite wait', () => {
    const r = takeFromBucket({ tokens: 0, atMs: 0 }, { ratePerSec: 0, burst: 1 }, 10_000, 1);
    expect(r.decision).toEqual({ allowed: false, retryAfterMs: 60_000 });
  });
});

describe('LocalRateLimiter', () => {
  test('keys have their own buckets', async () => {
    let now = 0;
    const l = new LocalRateLimiter(() => now);
    const rule = { ratePerSec: 1, burst: 1 };
    expect((await l.take('a', rule)).allowed).toBe(true);
    expect((await l.take('a', rule)).allowed).toBe(false);
    expect((await l.take('b', rule)).allowed).toBe(true);
    now += 1_000;
    expect((await l.take('a', rule)).allowed).toBe(true);
  });

  test('keeps at most MAX_LOCAL_BUCKETS buckets, dropping the least recently used', async () => {
    const l = new LocalRateLimiter(() => 0);
    const rule = { ratePerSec: 1, burst: 1 };
    await l.take('first', rule); // now empty
    for (let i = 0; i < MAX_LOCAL_BUCKETS; i++) await l.take(`k${i}`, rule);
    // 'first' was dropped: it starts full again.
    expect((await l.take('first', rule)).allowed).toBe(true);
    expect((await l.take(`k${MAX_LOCAL_BUCKETS - 1}`, rule)).allowed).toBe(false);
  });
});
