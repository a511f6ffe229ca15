import { ManualClock } from '../../common/manual-clock.js';
import { systemClock } from '../../common/clock.js';
import { LocalCoordinator } from '../../coordination/local/local-coordinator.js';
import { isDbError } from '../../errors/db-error.js';
import { acquireUploadLease, uploadLeaseName } from './upload-lease.js';

describe('acquireUploadLease', () => {
  it('grants increasing tokens, and waits for a busy lease until busyWait, then UPLOAD_BUSY with a retry delay', async () => {
    const clock = new ManualClock({ autoAdvance: true });
    const coordinator = new LocalCoordinator({ clock });
    const options = { coordinator, clock, leaseMs: 30_000, waitMs: 5_000, holder: 'a' };
    const first = await acquireUploadLease(options, 'u');
    let err: unknown;
    await acquireUploadLease(options, 'u').catch((e: unknown) => (err = e));
    expect(isDbError(err, 'UPLOAD_BUSY')).toBe(true);
    expect(err).toMatchObject({ kind: 'aborted', metadata: { uploadId: 'u' } });
    expect((err as { retryDelayMs: number }).retryDelayMs).toBeGreaterThan(0);
    await first.release();
    const second = await acquireUploadLease(options, 'u');
    expect(BigInt(second.token)).toBeGreaterThan(BigInt(first.token));
    await second.release();
  });

  it('a waiter gets the lease once the holder releases it within the wait', async () => {
    const coordinator = new LocalCoordinator();
    const real = { coordinator, clock: systemClock, leaseMs: 30_000, waitMs: 5_000, holder: 'a' };
    const first = await acquireUploadLease(real, 'u');
    const waiting = acquireUploadLease(real, 'u');
    setTimeout(() => void first.release(), 150);
    const second = await waiting;
    expect(BigInt(second.token)).toBeGreaterThan(BigInt(first.token));
    await second.release();
  });

  it('notices a lease that lapsed and was taken over (lost), and renews one it still holds', async () => {
    const clock = new ManualClock();
    const coordinator = new LocalCoordinator({ clock });
    const options = { coordinator, clock, leaseMs: 300, waitMs: 0, holder: 'a' };
    const held = await acquireUploadLease(options, 'u');
    clock.advance(100);
    await new Promise((r) => setImmediate(r));
    clock.advance(100);
    await new Promise((r) => setImmediate(r));
    expect(held.lost).toBe(false);
    expect((await coordinator.leaseInfo(uploadLeaseName('u')))?.expireAtMs).toBeGreaterThan(clock.now() + 200);
    await held.release();
    const other = await acquireUploadLease(options, 'v');
    // Simulate a pause longer than the lease: the clock jumps, another writer takes it.
    clock.set(clock.now() + 10_000);
    const thief = await acquireUploadLease(options, 'v');
    clock.advance(100);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    expect(other.lost).toBe(true);
    await other.release();
    await thief.release();
  });
});
