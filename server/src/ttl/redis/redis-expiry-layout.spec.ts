import { keySlot } from '../../coordination/redis/cluster-slots.js';
import { collectionBase } from '../../index/redis/redis-index-layout.js';
import { registryKeys, scheduleKeys } from './redis-expiry-layout.js';

describe('redis-expiry-layout', () => {
  it("puts a collection's schedule keys under the index store's hash tag, so a script touches one Cluster slot", () => {
    const k = scheduleKeys('sb:', 'orders');
    expect(k).toEqual({ x: 'sb:{ix:orders}:x', xs: 'sb:{ix:orders}:xs', xb: 'sb:{ix:orders}:xb', xr: 'sb:{ix:orders}:xr' });
    for (const key of [k.x, k.xs, k.xb, k.xr]) expect(keySlot(key)).toBe(keySlot(`${collectionBase('sb:', 'orders')}cat`));
    expect(scheduleKeys('sb:', 'a').x).not.toBe(scheduleKeys('sb:', 'b').x);
  });

  it('keeps the registry keys in one slot of their own', () => {
    const r = registryKeys('p:');
    expect(r).toEqual({ collections: 'p:{ttl}:collections', born: 'p:{ttl}:born' });
    expect(keySlot(r.collections)).toBe(keySlot(r.born));
  });
});
