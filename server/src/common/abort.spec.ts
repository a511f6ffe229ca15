import { DbError } from '../errors/db-error.js';
import { abortError, BackendTimeoutError, sleep, throwIfAborted, timeoutSignal } from './abort.js';

describe('abort helpers', () => {
  it('maps a plain abort to cancelled and a timeout to deadline_exceeded', () => {
    expect(abortError(AbortSignal.abort())).toMatchObject({ kind: 'cancelled', reason: 'CANCELLED' });
    const timeout = AbortSignal.abort(new DOMException('t', 'TimeoutError'));
    expect(abortError(timeout)).toMatchObject({ kind: 'deadline_exceeded', reason: 'DEADLINE_EXCEEDED' });
    const own = new DbError('deadline_exceeded', 'DEADLINE_EXCEEDED', 'x');
    expect(abortError(AbortSignal.abort(own))).toBe(own);
  });

  it('throwIfAborted throws only for an aborted signal', () => {
    expect(() => throwIfAborted(undefined)).not.toThrow();
    expect(() => throwIfAborted(new AbortController().signal)).not.toThrow();
    expect(() => throwIfAborted(AbortSignal.abort())).toThrow(DbError);
  });

  it('sleep resolves after the time, or rejects as soon as the signal aborts', async () => {
    const t0 = Date.now();
    await sleep(20);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(15);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 10);
    const t1 = Date.now();
    await expect(sleep(10_000, ac.signal)).rejects.toMatchObject({ kind: 'cancelled' });
    expect(Date.now() - t1).toBeLessThan(1000);
    await expect(sleep(10, AbortSignal.abort())).rejects.toMatchObject({ kind: 'cancelled' });
  });
});

describe('timeoutSignal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('aborts with a BackendTimeoutError once the limit passes, and says it timed out', () => {
    const parent = new AbortController();
    const t = timeoutSignal(parent.signal, 500);
    jest.advanceTimersByTime(499);
    expect(t.signal.aborted).toBe(false);
    jest.advanceTimersByTime(1);
    expect(t.signal.aborted).toBe(true);
    expect(t.signal.reason).toBeInstanceOf(BackendTimeoutError);
    expect((t.signal.reason as BackendTimeoutError).timeoutMs).toBe(500);
    expect(t.timedOut()).toBe(true);
    t.release();
  });

  test('follows the parent: its reason, and timedOut() is false', () => {
    const parent = new AbortController();
    const t = timeoutSignal(parent.signal, 500);
    const reason = new DbError('deadline_exceeded', 'DEADLINE_EXCEEDED', 'deadline exceeded');
    parent.abort(reason);
    expect(t.signal.reason).toBe(reason);
    expect(t.timedOut()).toBe(false);
    t.release();
    const already = timeoutSignal(parent.signal, 500);
    expect(already.signal.aborted).toBe(true);
    already.release();
  });

  test('release() clears the timer and leaves no listener on the parent', () => {
    const parent = new AbortController();
    const t = timeoutSignal(parent.signal, 500);
    t.release();
    jest.advanceTimersByTime(1000);
    expect(t.signal.aborted).toBe(false);
    parent.abort();
    expect(t.signal.aborted).toBe(false);
    expect(jest.getTimerCount()).toBe(0);
  });

  test('works without a parent', () => {
    const t = timeoutSignal(undefined, 10);
    jest.advanceTimersByTime(10);
    expect(t.timedOut()).toBe(true);
  });
});
