import { availableParallelism } from 'node:os';
import { defaultReadWindow, MAX_READ_WINDOW, MIN_READ_WINDOW, s3MaxSockets } from './read-concurrency.js';

describe('defaultReadWindow', () => {
  it('keeps the latency-hiding floor of 32 on one or two CPUs', () => {
    expect(defaultReadWindow(1)).toBe(MIN_READ_WINDOW);
    expect(defaultReadWindow(2)).toBe(32);
  });

  it('grows by 16 per CPU above that, up to 256', () => {
    expect(defaultReadWindow(4)).toBe(64);
    expect(defaultReadWindow(8)).toBe(128);
    expect(defaultReadWindow(64)).toBe(MAX_READ_WINDOW);
  });

  it('treats a nonsensical CPU count as one CPU', () => {
    expect(defaultReadWindow(0)).toBe(32);
    expect(defaultReadWindow(2.7)).toBe(32);
  });

  it("uses this machine's available parallelism by default", () => {
    expect(defaultReadWindow()).toBe(defaultReadWindow(availableParallelism()));
  });
});

describe('s3MaxSockets', () => {
  it('holds four of the largest window, never fewer than four of the floor', () => {
    expect(s3MaxSockets(32, 32)).toBe(128);
    expect(s3MaxSockets(128, 32)).toBe(512);
    expect(s3MaxSockets(1)).toBe(128);
    expect(s3MaxSockets()).toBe(128);
  });
});
