import { mutexKeys } from './mutex-scripts.js';

/** The Redis Cluster hash tag of a key: the text between the first '{' and the next '}', if non-empty. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  return close <= open + 1 ? key : key.slice(open + 1, close);
}

describe('mutexKeys', () => {
  it('puts the lock, fence and memo keys of a name under the same hash tag', () => {
    expect(mutexKeys('sb:', 'docs/c/x')).toEqual({
      lock: 'sb:{m:docs/c/x}:lock',
      fence: 'sb:{m:docs/c/x}:fence',
      memo: 'sb:{m:docs/c/x}:memo',
    });
    for (const [prefix, name] of [
      ['sb:', 'a'],
      ['sb:', 'we}ird{'],
      ['p{x}:', 'n'],
      ['', '}'],
    ] as const) {
      const { lock, fence, memo } = mutexKeys(prefix, name);
      expect(hashTag(lock)).toBe(hashTag(fence));
      expect(hashTag(lock)).toBe(hashTag(memo));
      expect(new Set([lock, fence, memo]).size).toBe(3);
    }
  });

  it('gives different names different keys', () => {
    expect(mutexKeys('sb:', 'a').lock).not.toBe(mutexKeys('sb:', 'b').lock);
  });
});
