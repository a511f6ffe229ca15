import { LocalLeases } from './local-leases.js';

describe('LocalLeases (fake clock)', () => {
  it('a lease is current strictly before its expiry; tokens keep counting per name', () => {
    let now = 0;
    const leases = new LocalLeases(() => now);
    const a = leases.tryAcquire('n', 100, 'a');
    expect(a).toMatchObject({ granted: true, lease: { fencingToken: 1n, expireAtMs: 100 } });
    now = 99;
    expect(leases.tryAcquire('n', 100, 'b')).toEqual({ granted: false, holder: 'a', remainingMs: 1 });
    expect(leases.tryAcquire('other', 100, 'b')).toMatchObject({ granted: true, lease: { fencingToken: 1n } });
    now = 100;
    expect(leases.info('n')).toBeUndefined();
    if (!a.granted) return;
    expect(leases.renew('n', a.lease.leaseId, 100)).toBeUndefined();
    expect(leases.tryAcquire('n', 100, 'b')).toMatchObject({ granted: true, lease: { fencingToken: 2n, expireAtMs: 200 } });
    expect(leases.release('n', a.lease.leaseId)).toBe(false);
    expect(leases.latestFence('n')).toBe(2n);
  });
});
