import { DbError } from '../errors/db-error.js';
import { abortError, sleep, throwIfAborted } from './abort.js';

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
