import { epochMarkerKey, leaseKeys } from './lease-scripts.js';

describe('leaseKeys', () => {
  it('puts both keys of a lock under one hash tag, apart from mutex keys', () => {
    expect(leaseKeys('sb:', 'orders/1')).toEqual({ lease: 'sb:{l:orders/1}:lease', fence: 'sb:{l:orders/1}:fence' });
  });

  it('keeps the epoch marker outside every lock and mutex tag', () => {
    expect(epochMarkerKey('sb:')).toBe('sb:epoch');
  });
});
