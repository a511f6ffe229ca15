import { ChunkCache } from './chunk-cache.js';
import type { Chunk } from './chunk-format.js';

const chunk = (first: number): Chunk => ({ log: 'a', first, timeMs: 0, rids: new Map(), lines: ['1'] });

describe('ChunkCache', () => {
  test('keeps the most recently used chunks up to its capacity', () => {
    const cache = new ChunkCache(2);
    cache.put('k1', chunk(1));
    cache.put('k2', chunk(2));
    expect(cache.get('k1')?.first).toBe(1); // k1 now most recent
    cache.put('k3', chunk(3));
    expect(cache.get('k2')).toBeUndefined();
    expect(cache.get('k1')?.first).toBe(1);
    expect(cache.get('k3')?.first).toBe(3);
  });
});
