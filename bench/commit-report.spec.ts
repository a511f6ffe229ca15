import {
  commitRatios,
  formatCommitMarkdown,
  latencyRatio,
  storageOpsTable,
  LATENCY_OPS,
  THROUGHPUT_OPS,
  type LatencyOp,
  type ThroughputFigure,
  type ThroughputOp,
} from './commit-report.js';
import type { LatencySummary } from './stats.js';

const lat = (p50: number, p99 = p50 * 2): LatencySummary => ({ count: 200, mean: p50, min: p50 / 2, p50, p90: p99, p99, max: p99 });

const latency: Record<LatencyOp, LatencySummary> = {
  commit10: lat(6, 12),
  commit10Etag: lat(6.5, 13),
  puts10Seq: lat(20, 30),
  puts10Par: lat(4, 16),
  putIfMatch10Seq: lat(26, 39),
  putIfMatch10Par: lat(5, 26),
  commit1: lat(3, 9),
  put1: lat(2, 3),
  commit10Rid: lat(7, 14),
  commit1Rid: lat(5, 10),
};

const tput = (units: number): ThroughputFigure => ({ unitsPerSecond: units, docsPerSecond: units * 10, p50Ms: 1, p99Ms: 2, errors: 0 });
const throughput: Record<ThroughputOp, ThroughputFigure> = {
  commit10: tput(300),
  commit10Etag: tput(280),
  puts10Seq: tput(100),
  puts10Par: tput(400),
};

describe('latencyRatio', () => {
  it('divides numerator by denominator at p50 and p99, rounded to 3 decimals', () => {
    expect(latencyRatio(lat(1, 3), lat(3, 9))).toEqual({ p50: 0.333, p99: 0.333 });
    expect(latencyRatio(lat(6, 12), lat(4, 16))).toEqual({ p50: 1.5, p99: 0.75 });
  });

  it('refuses a zero denominator', () => {
    expect(() => latencyRatio(lat(1), lat(0))).toThrow(RangeError);
  });
});

describe('commitRatios', () => {
  it('compares Commit with the Puts it replaces, and Commit 1 with Put 1', () => {
    const r = commitRatios(latency, throughput);
    expect(r.commit10VsSeqPuts).toEqual({ p50: 0.3, p99: 0.4 });
    expect(r.commit10VsParPuts).toEqual({ p50: 1.5, p99: 0.75 });
    expect(r.commit10EtagVsSeqPuts).toEqual({ p50: 0.325, p99: 0.433 });
    expect(r.commit10EtagVsParPutIfMatch).toEqual({ p50: 1.3, p99: 0.5 });
    expect(r.commit10EtagVsSeqPutIfMatch).toEqual({ p50: 0.25, p99: 0.333 });
    expect(r.commit1VsPut1).toEqual({ p50: 1.5, p99: 3 });
    expect(r.commit1MinusPut1P50Ms).toBe(1);
    expect(r.throughputCommit10VsParPuts).toBe(0.75);
    expect(r.throughputCommit10VsSeqPuts).toBe(3);
  });

  it('leaves the throughput ratios out without throughput figures or with a zero baseline', () => {
    expect(commitRatios(latency).throughputCommit10VsParPuts).toBeUndefined();
    const r = commitRatios(latency, { ...throughput, puts10Par: tput(0) });
    expect(r.throughputCommit10VsParPuts).toBeUndefined();
    expect(r.throughputCommit10VsSeqPuts).toBeUndefined();
  });
});

describe('formatCommitMarkdown', () => {
  const md = formatCommitMarkdown({
    when: '2026-11-26T20:00:00.000Z',
    machine: { cpus: 2, node: 'v20.20.2', loadAverage: [1.5, 1, 0.5], loadAverageAtEnd: [3, 2, 1] },
    parameters: { iterations: 200, warmup: 30, concurrency: 8, seconds: 6 },
    backends: [{ label: 'memory (embedded)', latency, throughput, ratios: commitRatios(latency, throughput) }],
  });

  it('has one latency row per operation with p50 and p99 in ms', () => {
    expect(md).toContain('| Commit, 10 sets | 6.00 | 12.00 |');
    expect(md).toContain('| 10 Puts, parallel | 4.00 | 16.00 |');
    expect(md).toContain('| 1 Put | 2.00 | 3.00 |');
    const lines = md.split('\n');
    const start = lines.indexOf('| operation | p50 ms | p99 ms |') + 2;
    const end = lines.indexOf('', start);
    expect(start).toBeGreaterThan(1);
    expect(lines.slice(start, end)).toHaveLength(LATENCY_OPS.length);
  });

  it('states the ratios, the fixed overhead, the throughput and the machine', () => {
    expect(md).toContain('| Commit 10 / 10 sequential Puts | 0.30 | 0.40 |');
    expect(md).toContain('| Commit 10 / 10 parallel Puts | 1.50 | 0.75 |');
    expect(md).toContain('| Commit 1 / Put 1 | 1.50 | 3.00 |');
    expect(md).toContain('(Commit 1 − Put 1, p50): 1.00 ms');
    expect(md).toContain('| 10 Puts, sequential | 100.0 | 1000 | 1.00 | 2.00 | 0 |');
    expect(md.split('\n').filter((l) => l.startsWith('| ') && l.endsWith(' | 0 |')).length).toBe(THROUGHPUT_OPS.length);
    expect(md).toContain('Throughput ratio Commit 10 / 10 parallel Puts: 0.75');
    expect(md).toContain('2 CPUs, node v20.20.2, load average at start 1.50 / 1.00 / 0.50, at end 3.00 / 2.00 / 1.00.');
    expect(md).toContain('## memory (embedded)');
  });
});

describe('storageOpsTable', () => {
  it('has one column per storage op seen, a total, and rows only for the operations counted', () => {
    const t = storageOpsTable({ commit10: { put: 21, get: 10, delete: 1 }, put1: { put: 1, get: 0.5 } });
    expect(t).toEqual([
      '',
      '| storage ops per unit | delete | get | put | total |',
      '|---|---:|---:|---:|---:|',
      '| Commit, 10 sets | 1 | 10 | 21 | 32 |',
      '| 1 Put | 0 | 0.5 | 1 | 1.5 |',
    ]);
  });
});
