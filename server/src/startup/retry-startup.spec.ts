import { retryStartup } from './retry-startup.js';
import { StartupError } from './startup-error.js';

/** A fake clock: sleep advances it. */
function fakeTime(): { now: () => number; sleep: (ms: number) => Promise<void>; waits: number[] } {
  let t = 0;
  const waits: number[] = [];
  return { now: () => t, sleep: async (ms) => void (waits.push(ms), (t += ms)), waits };
}

const down = (): StartupError => new StartupError('Redis down', 'SB_REDIS_URL', true);

test('retries a retryable failure with backoff 250 ms doubling to 5 s, and returns once the step succeeds', async () => {
  const time = fakeTime();
  let calls = 0;
  const retried: number[] = [];
  const result = await retryStartup(
    async () => {
      if (++calls < 7) throw new Error('ECONNREFUSED');
      return 'up';
    },
    () => down(),
    { budgetMs: 60_000, ...time, onRetry: (_e, _w, attempt) => retried.push(attempt) },
  );
  expect(result).toBe('up');
  expect(time.waits).toEqual([250, 500, 1000, 2000, 4000, 5000]);
  expect(retried).toEqual([1, 2, 3, 4, 5, 6]);
});

test('gives up with the explained error once the budget is spent; the last wait is cut to what is left', async () => {
  const time = fakeTime();
  await expect(
    retryStartup(
      () => Promise.reject(new Error('x')),
      () => down(),
      { budgetMs: 1000, ...time },
    ),
  ).rejects.toThrow('Redis down');
  expect(time.waits).toEqual([250, 500, 250]);
});

test('budget 0, a non-retryable StartupError or an unexplained error: one attempt, thrown as explained', async () => {
  const time = fakeTime();
  await expect(
    retryStartup(
      () => Promise.reject(new Error('x')),
      () => down(),
      { budgetMs: 0, ...time },
    ),
  ).rejects.toThrow('Redis down');
  const fixed = new StartupError('port in use', 'SB_GRPC_PORT', false);
  await expect(
    retryStartup(
      () => Promise.reject(new Error('x')),
      () => fixed,
      { budgetMs: 9999, ...time },
    ),
  ).rejects.toBe(fixed);
  const raw = new Error('bug');
  await expect(
    retryStartup(
      () => Promise.reject(raw),
      (e) => e,
      { budgetMs: 9999, ...time },
    ),
  ).rejects.toBe(raw);
  expect(time.waits).toEqual([]);
});
