import calculateSlot from 'cluster-key-slot';
import { SLOT_COUNT, crc16, epochTag, keySlot, markerKeyFor, slotMarkerKey } from './cluster-slots.js';

describe('keySlot', () => {
  it('matches the cluster specification and ioredis (cluster-key-slot) on plain keys, hash tags and UTF-8', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3); // the specification's check value
    expect(keySlot('foo')).toBe(12182);
    for (const key of ['sb:{l:job}:lease', 'sb:{ix:users}:cat', 'a{}b', 'x{y', 'sb:{m:docs/c/é}:lock', 'sb:epoch']) {
      expect(keySlot(key)).toBe(calculateSlot(key));
    }
    // An empty first tag hashes the whole key (CLUSTER KEYSLOT '{}{x}' on redis-server 7.0 answers 3257; cluster-key-slot says 11068).
    expect(keySlot('{}{x}')).toBe(3257);
  });

  it('puts the keys of one lock, one mutex and one collection on one slot', () => {
    expect(keySlot('sb:{l:job}:lease')).toBe(keySlot('sb:{l:job}:fence'));
    expect(keySlot('sb:{ix:c}:cat')).toBe(keySlot('sb:{ix:c}:e:name@1:x'));
  });
});

describe('epoch markers', () => {
  it('has one marker per slot, in that slot', () => {
    const seen = new Set<string>();
    for (let slot = 0; slot < SLOT_COUNT; slot++) {
      const key = slotMarkerKey('sb:', slot);
      expect(calculateSlot(key)).toBe(slot);
      seen.add(key);
    }
    expect(seen.size).toBe(SLOT_COUNT);
    expect(() => epochTag(SLOT_COUNT)).toThrow(RangeError);
  });

  it("finds the marker of a lock's slot", () => {
    const key = markerKeyFor('p:', 'p:{l:job}:lease');
    expect(key).toMatch(/^p:\{ep:\d+\}$/);
    expect(calculateSlot(key)).toBe(calculateSlot('p:{l:job}:lease'));
  });
});
