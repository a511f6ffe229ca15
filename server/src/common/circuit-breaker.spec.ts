import { CircuitBreaker, type BreakerState, type CallOutcome } from './circuit-breaker.js';
import { ManualClock } from './manual-clock.js';

class Refused extends Error {
  constructor(readonly retryAfterMs: number) {
    super('refused');
  }
}

class Answer extends Error {}
class Aborted extends Error {}

const classify = (err: unknown): CallOutcome => (err instanceof Answer ? 'answer' : err instanceof Aborted ? 'neutral' : 'failure');

function setup(threshold = 3, coolDownMs = 1000) {
  const clock = new ManualClock({ startMs: 0 });
  const changes: [BreakerState, BreakerState][] = [];
  const causes: unknown[] = [];
  const breaker = new CircuitBreaker({
    failureThreshold: threshold,
    coolDownMs,
    clock,
    classify,
    rejection: (ms) => new Refused(ms),
    onStateChange: (s, p, cause) => {
      changes.push([s, p]);
      causes.push(cause);
    },
  });
  let calls = 0;
  const call = (outcome: 'ok' | 'fail' | 'answer' | 'abort') =>
    breaker.run(async () => {
      calls++;
      if (outcome === 'fail') throw new Error('Command timed out');
      if (outcome === 'answer') throw new Answer('ERR script refused');
      if (outcome === 'abort') throw new Aborted('cancelled');
      return 'ok';
    });
  return { clock, breaker, changes, causes, call, calls: () => calls };
}

describe('CircuitBreaker', () => {
  test('opens after threshold consecutive failures and then refuses without calling, with the rest of the cool-down', async () => {
    const { clock, breaker, call, calls, changes, causes } = setup(3, 1000);
    await expect(call('fail')).rejects.toThrow('Command timed out');
    await expect(call('fail')).rejects.toThrow('Command timed out');
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(2);
    await expect(call('fail')).rejects.toThrow('Command timed out');
    expect(breaker.state).toBe('open');
    expect(changes).toEqual([['open', 'closed']]);
    // The failure that opened it goes with the change (for the log: later calls only see "open").
    expect((causes[0] as Error).message).toBe('Command timed out');
    clock.advance(400);
    const refused = await call('ok').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Refused);
    expect((refused as Refused).retryAfterMs).toBe(600);
    expect(calls()).toBe(3); // no call went through while open
  });

  test('a success resets the count: failures must be consecutive', async () => {
    const { breaker, call } = setup(3);
    await expect(call('fail')).rejects.toThrow();
    await expect(call('fail')).rejects.toThrow();
    await call('ok');
    await expect(call('fail')).rejects.toThrow();
    await expect(call('fail')).rejects.toThrow();
    expect(breaker.state).toBe('closed');
  });

  test('an error the backend answered with is not a failure: it counts as a success', async () => {
    const { breaker, call } = setup(2);
    await expect(call('fail')).rejects.toThrow();
    await expect(call('answer')).rejects.toBeInstanceOf(Answer);
    await expect(call('fail')).rejects.toThrow();
    expect(breaker.state).toBe('closed');
    for (let i = 0; i < 10; i++) await expect(call('answer')).rejects.toBeInstanceOf(Answer);
    expect(breaker.state).toBe('closed');
  });

  test('after the cool-down one probe goes through while others are refused; its success closes the breaker', async () => {
    const { clock, breaker, changes, calls } = setup(1, 1000);
    await expect(breaker.run(() => Promise.reject(new Error('ECONNREFUSED')))).rejects.toThrow();
    clock.advance(999);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
    let finish!: (v: string) => void;
    const probe = breaker.run(() => new Promise<string>((r) => (finish = r)));
    const other = await breaker.run(async () => 'x').catch((e: unknown) => e);
    expect(other).toBeInstanceOf(Refused);
    expect((other as Refused).retryAfterMs).toBe(0);
    finish('pong');
    await expect(probe).resolves.toBe('pong');
    expect(breaker.state).toBe('closed');
    expect(changes).toEqual([
      ['open', 'closed'],
      ['half-open', 'open'],
      ['closed', 'half-open'],
    ]);
    expect(calls()).toBe(0);
  });

  test('a failed probe opens the breaker for a whole new cool-down', async () => {
    const { clock, breaker, call } = setup(1, 1000);
    await expect(call('fail')).rejects.toThrow();
    clock.advance(1500);
    await expect(call('fail')).rejects.toThrow('Command timed out');
    expect(breaker.state).toBe('open');
    clock.advance(999);
    await expect(call('ok')).rejects.toBeInstanceOf(Refused);
    clock.advance(1);
    await expect(call('ok')).resolves.toBe('ok');
    expect(breaker.state).toBe('closed');
  });

  test('a probe the caller abandoned proves nothing: the next call may probe at once', async () => {
    const { clock, breaker, call } = setup(1, 1000);
    await expect(call('fail')).rejects.toThrow();
    clock.advance(1000);
    await expect(call('abort')).rejects.toBeInstanceOf(Aborted);
    expect(breaker.state).toBe('half-open');
    await expect(call('answer')).rejects.toBeInstanceOf(Answer);
    expect(breaker.state).toBe('closed');
  });

  test('aborts never count toward opening; a late failure while open does not extend the cool-down', async () => {
    const { clock, breaker, call } = setup(2, 1000);
    for (let i = 0; i < 5; i++) await expect(call('abort')).rejects.toBeInstanceOf(Aborted);
    expect(breaker.state).toBe('closed');
    let failLate!: (e: Error) => void;
    const late = breaker.run(() => new Promise<void>((_r, reject) => (failLate = reject)));
    await expect(call('fail')).rejects.toThrow();
    await expect(call('fail')).rejects.toThrow();
    expect(breaker.state).toBe('open');
    clock.advance(800);
    failLate(new Error('Command timed out'));
    await expect(late).rejects.toThrow();
    clock.advance(200);
    expect(breaker.state).toBe('half-open');
  });

  test('rejects invalid options', () => {
    const clock = new ManualClock();
    const rejection = () => new Error('x');
    expect(() => new CircuitBreaker({ failureThreshold: 0, coolDownMs: 1, clock, rejection })).toThrow(RangeError);
    expect(() => new CircuitBreaker({ failureThreshold: 1, coolDownMs: -1, clock, rejection })).toThrow(RangeError);
  });
});
