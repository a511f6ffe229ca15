import { ownCpuMs, parseStatChildrenCpuMs, parseStatCpuMs, processCpuMs } from './cpu-time.js';

describe('parseStatCpuMs', () => {
  it('adds utime and stime, even when the command name holds spaces and parentheses', () => {
    const stat = '4242 (my (odd) cmd) S 1 4242 4242 0 -1 4194304 122 0 0 0 250 50 0 0 20 0 1 0';
    expect(parseStatCpuMs(stat)).toBe(3000);
  });

  it('returns undefined for a truncated line', () => {
    expect(parseStatCpuMs('1 (x) R 0')).toBeUndefined();
  });
});

describe('parseStatChildrenCpuMs', () => {
  it("adds cutime and cstime (fields 16 and 17), not the process's own time", () => {
    const stat = '4242 (sh) S 1 4242 4242 0 -1 4194304 122 0 0 0 250 50 70 30 20 0 1 0';
    expect(parseStatChildrenCpuMs(stat)).toBe(1000);
  });

  it('returns undefined for a truncated line', () => {
    expect(parseStatChildrenCpuMs('1 (x) R 0 1 1 0 -1 0 0 0 0 0 1 1')).toBeUndefined();
  });
});

describe('processCpuMs', () => {
  it('grows for a busy process and is undefined for a missing one', () => {
    const before = processCpuMs(process.pid);
    if (before === undefined) return; // not Linux: nothing to measure
    const start = ownCpuMs();
    while (ownCpuMs() - start < 60) Math.sqrt(Math.random());
    expect((processCpuMs(process.pid) as number) - before).toBeGreaterThanOrEqual(30);
    expect(processCpuMs(2 ** 30)).toBeUndefined();
  });
});
