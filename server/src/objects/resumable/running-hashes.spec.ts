import { createHash } from 'node:crypto';
import { RunningHashes } from './running-hashes.js';

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

describe('RunningHashes', () => {
  it('continues a state only at exactly the offset it covers', () => {
    const hashes = new RunningHashes();
    const h = hashes.take('u', 0)!;
    h.update('abc');
    hashes.put('u', 3, h);
    expect(hashes.digest('u', 3)).toBe(sha('abc'));
    expect(hashes.digest('u', 4)).toBeUndefined();
    const again = hashes.take('u', 3)!;
    again.update('de');
    hashes.put('u', 5, again);
    expect(hashes.digest('u', 5)).toBe(sha('abcde'));
  });

  it('has no state for a write starting past 0 that another process continued (and forgets the stale one)', () => {
    const hashes = new RunningHashes();
    hashes.put('u', 3, hashes.take('u', 0)!.update('abc'));
    expect(hashes.take('u', 7)).toBeUndefined();
    expect(hashes.digest('u', 3)).toBeUndefined();
  });

  it('digest leaves the state usable', () => {
    const hashes = new RunningHashes();
    hashes.put('u', 1, hashes.take('u', 0)!.update('a'));
    hashes.digest('u', 1);
    expect(hashes.take('u', 1)!.update('b').digest('hex')).toBe(sha('ab'));
  });

  it('drops the oldest state past its bound', () => {
    const hashes = new RunningHashes(2);
    for (const id of ['a', 'b', 'c']) hashes.put(id, 0, hashes.take(id, 0)!);
    expect(hashes.size).toBe(2);
    expect(hashes.digest('a', 0)).toBeUndefined();
    expect(hashes.digest('c', 0)).toBe(sha(''));
  });
});
