import {
  compareSides,
  formatParallelMarkdown,
  formatParallelTable,
  PARALLEL_THROUGHPUT_TARGET,
  sideResult,
  type ParallelRun,
} from './s3-parallel-report.js';
import { summarize } from './stats.js';

const latency = (p50: number) => summarize([p50, p50, p50 * 2]);

describe('sideResult', () => {
  it('derives calls/s and CPU per call in µs from the totals', () => {
    const s = sideResult({ calls: 2000, seconds: 4, latency: latency(10), cpuMs: 1000, clientCpuMs: 300 });
    expect(s.callsPerSecond).toBe(500);
    expect(s.cpuMicrosPerCall).toBe(500);
    expect(s.clientCpuMicrosPerCall).toBe(150);
  });

  it('leaves CPU out when it was not measured, and gives 0 calls/s for no time', () => {
    const s = sideResult({ calls: 0, seconds: 0, latency: latency(1) });
    expect(s.callsPerSecond).toBe(0);
    expect(s).not.toHaveProperty('cpuMicrosPerCall');
    expect(s).not.toHaveProperty('clientCpuMicrosPerCall');
  });
});

describe('compareSides', () => {
  const side = (callsPerSecond: number, p50: number) => sideResult({ calls: callsPerSecond, seconds: 1, latency: latency(p50) });

  it('passes at the target ratio and misses below it', () => {
    expect(compareSides(side(900, 12), side(1000, 11)).pass).toBe(true);
    expect(compareSides(side(899, 12), side(1000, 11)).pass).toBe(false);
    expect(compareSides(side(899, 12), side(1000, 11)).throughputRatio).toBeLessThan(PARALLEL_THROUGHPUT_TARGET);
  });

  it('reports the p50 ratio ours over raw', () => {
    expect(compareSides(side(500, 30), side(1000, 12)).p50Ratio).toBe(2.5);
  });
});

describe('formatting', () => {
  const ours = sideResult({ calls: 4000, seconds: 4, latency: latency(14), cpuMs: 1200, clientCpuMs: 400 });
  const raw = sideResult({ calls: 5000, seconds: 4, latency: latency(11.5), cpuMs: 1500 });
  const run: ParallelRun = {
    when: '2026-12-02T15:00:00.000Z',
    finishedAt: '2026-12-02T15:01:00.000Z',
    machine: { cpus: 2, node: 'v20', loadAverage: [1, 2, 3], loadAverageAtEnd: [1, 1, 1] },
    parameters: { concurrency: 16, oneWayDelayMs: 5, rounds: 4, sliceSeconds: 1, documentBytes: 1024 },
    ours,
    raw,
    ...compareSides(ours, raw),
  };

  it('prints both sides, the ratio and the verdict', () => {
    const table = formatParallelTable(run);
    expect(table).toContain('16 Gets in flight, 10 ms RTT');
    expect(table).toContain('1000.0');
    expect(table).toContain('1250.0');
    expect(table).toContain('calls/s 0.800');
    expect(table).toContain('MISS');
  });

  it('writes a markdown table with one row per side', () => {
    const md = formatParallelMarkdown(run);
    expect(md.split('\n').filter((l) => l.startsWith('| ours') || l.startsWith('| raw'))).toHaveLength(2);
    expect(md).toContain('**0.800** (MISS)');
  });
});
