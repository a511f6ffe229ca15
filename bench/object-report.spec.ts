import { direction, formatObjectMarkdown, OBJECT_THROUGHPUT_TARGET, sideFigures, type ObjectRun } from './object-report.js';

const t = (mbPerSecond: number, serverCpuMs?: number) => ({ bytes: 100e6, seconds: 100 / mbPerSecond, serverCpuMs });

describe('sideFigures', () => {
  it('gives MB/s per round, their median and server CPU per MB', () => {
    const s = sideFigures([t(100, 500), t(50, 500), t(200, 500)]);
    expect(s.mbPerSecond).toEqual([100, 50, 200]);
    expect(s.medianMbPerSecond).toBe(100);
    expect(s.serverCpuMsPerMb).toBe(5);
  });

  it('leaves CPU out when a round lacks it', () => {
    expect(sideFigures([t(100), t(100, 10)])).not.toHaveProperty('serverCpuMsPerMb');
  });
});

describe('direction', () => {
  it('passes at the target ratio and misses below it', () => {
    expect(direction([t(80)], [t(100)]).pass).toBe(true);
    expect(direction([t(79)], [t(100)]).pass).toBe(false);
    expect(direction([t(79)], [t(100)]).ratio).toBeLessThan(OBJECT_THROUGHPUT_TARGET);
  });
});

describe('formatObjectMarkdown', () => {
  it('shows both directions with ratio and verdict', () => {
    const run: ObjectRun = {
      when: '2026-12-03T00:00:00Z',
      machine: { cpus: 2, node: 'v20', loadAverage: [1, 1, 1] },
      parameters: { objectBytes: 256 * 2 ** 20, rounds: 3, partBytes: 8 * 2 ** 20, s3: 'versitygw' },
      upload: direction([t(90, 100)], [t(100)]),
      download: direction([t(50, 100)], [t(100)]),
    };
    const md = formatObjectMarkdown(run);
    expect(md).toContain('| upload | 90 | 100 | 0.9 (pass) | 1 |');
    expect(md).toContain('| download | 50 | 100 | 0.5 (MISS) | 1 |');
    expect(md).toContain('256 MiB object');
  });
});
