import { LocalCoordinator } from '../coordination/local/local-coordinator.js';
import { FenceChecker } from './fence-checker.js';

describe('FenceChecker', () => {
  it('passes only the latest granted token; older and never-granted tokens are LOCK_NOT_HELD', async () => {
    const coordinator = new LocalCoordinator();
    const fences = new FenceChecker(coordinator);
    await expect(fences.check({ name: 'l', fencingToken: 0n })).resolves.toBeUndefined();
    await expect(fences.check({ name: 'l', fencingToken: 1n })).rejects.toMatchObject({
      kind: 'failed_precondition',
      reason: 'LOCK_NOT_HELD',
      metadata: { name: 'l', fencingToken: '1', currentFencingToken: '0' },
    });
    await coordinator.tryAcquireLease('l', 1000, '');
    await expect(fences.check({ name: 'l', fencingToken: 1n })).resolves.toBeUndefined();
    await expect(fences.check({ name: 'l', fencingToken: 0n })).rejects.toMatchObject({ reason: 'LOCK_NOT_HELD' });
    await expect(fences.check({ name: 'l', fencingToken: 2n })).rejects.toMatchObject({ reason: 'LOCK_NOT_HELD' });
  });

  it('refuses malformed guards as invalid, naming the guard field', async () => {
    const fences = new FenceChecker(new LocalCoordinator());
    await expect(fences.check({ name: 'a\u0000', fencingToken: 0n })).rejects.toMatchObject({ kind: 'invalid', field: 'lock_guard.name' });
    await expect(fences.check({ name: 'a', fencingToken: -2n })).rejects.toMatchObject({
      kind: 'invalid',
      field: 'lock_guard.fencing_token',
    });
  });

  it('passes the signal to the coordinator', async () => {
    const fences = new FenceChecker(new LocalCoordinator());
    await expect(fences.check({ name: 'a', fencingToken: 0n }, AbortSignal.abort())).rejects.toMatchObject({ kind: 'cancelled' });
  });
});
