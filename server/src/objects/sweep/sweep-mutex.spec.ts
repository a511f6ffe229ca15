import { LocalCoordinator } from '../../coordination/local/local-coordinator.js';
import { exclusiveRound, SWEEP_MUTEXES } from './sweep-mutex.js';

describe('exclusiveRound', () => {
  test('runs the round when the mutex is free and releases it (a second round runs too)', async () => {
    const coordinator = new LocalCoordinator();
    expect(await exclusiveRound(coordinator, SWEEP_MUTEXES.trash, async () => 'one')).toBe('one');
    expect(await exclusiveRound(coordinator, SWEEP_MUTEXES.trash, async () => 'two')).toBe('two');
  });

  test('skips the round (undefined, not run) while another holder has the mutex; other sweeps are not blocked', async () => {
    const coordinator = new LocalCoordinator();
    const held = await coordinator.acquireMutex(SWEEP_MUTEXES.trash, { ttlMs: 60_000, waitMs: 0 });
    let ran = false;
    expect(
      await exclusiveRound(coordinator, SWEEP_MUTEXES.trash, async () => {
        ran = true;
      }),
    ).toBeUndefined();
    expect(ran).toBe(false);
    expect(await exclusiveRound(coordinator, SWEEP_MUTEXES.orphans, async () => 'scan')).toBe('scan');
    await held.release();
    expect(await exclusiveRound(coordinator, SWEEP_MUTEXES.trash, async () => 'now')).toBe('now');
  });

  test('a round that throws releases the mutex and passes the error on', async () => {
    const coordinator = new LocalCoordinator();
    await expect(exclusiveRound(coordinator, SWEEP_MUTEXES.uploads, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await exclusiveRound(coordinator, SWEEP_MUTEXES.uploads, async () => 'free')).toBe('free');
  });
});
