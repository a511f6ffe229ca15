import { ManualClock } from '../../common/manual-clock.js';
import { systemRandom } from '../../common/clock.js';
import { isUploadId, newUploadId, uploadIdTime } from './upload-id.js';

describe('upload ids', () => {
  it('are UUIDv7 strings that carry their creation time', () => {
    const clock = new ManualClock({ startMs: 1_764_000_000_123 });
    const id = newUploadId(clock, systemRandom);
    expect(isUploadId(id)).toBe(true);
    expect(uploadIdTime(id)).toBe(1_764_000_000_123);
  });

  it('sort by creation time as strings', () => {
    const clock = new ManualClock({ startMs: 1_764_000_000_000 });
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      ids.push(newUploadId(clock, systemRandom));
      clock.advance(1);
    }
    expect([...ids].sort()).toEqual(ids);
  });

  it('keep 74 random bits: all-ones random bytes set every bit outside time, version and variant', () => {
    const ones = { random: () => 0, bytes: (n: number) => new Uint8Array(n).fill(0xff) };
    const id = newUploadId(new ManualClock({ startMs: 0 }), ones);
    expect(id).toBe('00000000-0000-7fff-bfff-ffffffffffff');
    const zeros = { random: () => 0, bytes: (n: number) => new Uint8Array(n) };
    expect(newUploadId(new ManualClock({ startMs: 0 }), zeros)).toBe('00000000-0000-7000-8000-000000000000');
  });

  it('rejects strings that are not upload ids (they would be put in storage keys)', () => {
    for (const bad of ['', '../x', '0193a2b4-0000-4000-8000-000000000000', '0193A2B4-0000-7000-8000-000000000000', 'x'.repeat(36)]) {
      expect(isUploadId(bad)).toBe(false);
    }
  });
});
