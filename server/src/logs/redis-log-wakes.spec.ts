import { EventEmitter } from 'node:events';
import type { RedisClient } from '../coordination/redis/redis-connection.js';
import { LOG_WAKES_CHANNEL, RedisLogWakes, WAKE_MIN_INTERVAL_MS } from './redis-log-wakes.js';

/** A subscriber connection that delivers what the test emits, and a publisher that records. */
function fakes(): {
  sub: EventEmitter & { subscribe(): Promise<void>; disconnect(): void };
  pub: { publish(c: string, m: string): Promise<number> };
} {
  const sub = Object.assign(new EventEmitter(), { subscribe: () => Promise.resolve(), disconnect: () => undefined });
  return { sub, pub: { publish: () => Promise.resolve(1) } };
}

describe('RedisLogWakes (receiving side)', () => {
  afterEach(() => jest.useRealTimers());

  test("a log's followers wake at once, then at most once per interval: messages inside it wake them once at its end", async () => {
    jest.useFakeTimers();
    const { sub, pub } = fakes();
    const woken: string[] = [];
    await RedisLogWakes.open(pub as unknown as RedisClient, sub as unknown as RedisClient, (log) => woken.push(log));
    for (let i = 0; i < 5; i++) sub.emit('message', LOG_WAKES_CHANNEL, 'busy');
    sub.emit('message', LOG_WAKES_CHANNEL, 'other');
    sub.emit('message', 'another-channel', 'busy');
    expect(woken).toEqual(['busy', 'other']);
    jest.advanceTimersByTime(WAKE_MIN_INTERVAL_MS - 1);
    expect(woken).toEqual(['busy', 'other']);
    jest.advanceTimersByTime(1);
    expect(woken).toEqual(['busy', 'other', 'busy']); // the four inside the interval: one wake at its end
    jest.advanceTimersByTime(10 * WAKE_MIN_INTERVAL_MS);
    sub.emit('message', LOG_WAKES_CHANNEL, 'busy');
    expect(woken).toEqual(['busy', 'other', 'busy', 'busy']); // a quiet log wakes at once again
  });

  test('close drops the wakes still scheduled', async () => {
    jest.useFakeTimers();
    const { sub, pub } = fakes();
    const woken: string[] = [];
    const wakes = await RedisLogWakes.open(pub as unknown as RedisClient, sub as unknown as RedisClient, (log) => woken.push(log));
    sub.emit('message', LOG_WAKES_CHANNEL, 'a');
    sub.emit('message', LOG_WAKES_CHANNEL, 'a');
    await wakes.close();
    jest.advanceTimersByTime(10 * WAKE_MIN_INTERVAL_MS);
    sub.emit('message', LOG_WAKES_CHANNEL, 'a');
    expect(woken).toEqual(['a']);
  });
});
