import { StartupError, causeChain, withoutPassword } from './startup-error.js';

describe('withoutPassword', () => {
  test.each([
    ['redis://:s3cret@10.0.0.1:6379', 'redis://10.0.0.1:6379'],
    ['redis://app:s3cret@10.0.0.1:6379/2', 'redis://app@10.0.0.1:6379/2'],
    ['rediss://r.internal:6380', 'rediss://r.internal:6380'],
    ['redis://:a@h1:1,redis://:a@h2:2', 'redis://h1:1,redis://h2:2'],
  ])('%s → %s', (url, shown) => {
    expect(withoutPassword(url)).toBe(shown);
  });
});

test('causeChain lists the error and its causes, outermost first', () => {
  const inner = new Error('connect ECONNREFUSED');
  const outer = new StartupError('Redis unreachable', 'SB_REDIS_URL', true, { cause: new Error('cannot connect', { cause: inner }) });
  expect(causeChain(outer).map((e) => e.message)).toEqual(['Redis unreachable', 'cannot connect', 'connect ECONNREFUSED']);
  expect(outer).toMatchObject({ setting: 'SB_REDIS_URL', retryable: true, name: 'StartupError' });
});
