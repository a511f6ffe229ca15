import type { GrpcThroughputResult } from './grpc-throughput.js';
import type { ThroughputFigure } from './throughput-figure.js';
import { formatTable, machineInfo, verdicts, type BenchReport } from './report.js';
import type { S3LatencyResult } from './s3-latency.js';
import type { LatencySummary } from './stats.js';

const lat = (p50: number): LatencySummary => ({ count: 10, mean: p50, min: p50, p50, p90: p50, p99: p50, max: p50 });
const load = (cps: number): ThroughputFigure => ({
  calls: cps,
  errors: 0,
  elapsedMs: 1000,
  callsPerSecond: cps,
  p50Ms: 1,
  p99Ms: 2,
  clientCpuPercent: 50,
  slices: [],
});

describe('verdicts', () => {
  it('passes S3 ratios up to 1.2 and gRPC ratios from 0.7', () => {
    const s3: S3LatencyResult = {
      scenarios: [
        {
          label: 'loopback, auto',
          oneWayDelayMs: 0,
          conditional: 'auto',
          get: { raw: lat(1), ours: lat(1.2), ratioP50: 1.2 },
          put: { raw: lat(1), ours: lat(2.5), ratioP50: 2.5 },
          rawHeadThenConditionalPut: lat(2),
          serverLog: [],
        },
        {
          label: 'rtt 10ms, native',
          oneWayDelayMs: 5,
          conditional: 'native',
          get: { raw: lat(10), ours: lat(11), ratioP50: 1.1 },
          put: { raw: lat(10), ours: lat(12.1), ratioP50: 1.21 },
          rawHeadThenConditionalPut: lat(20),
          serverLog: [],
        },
      ],
    };
    const grpc: GrpcThroughputResult = {
      client: 'grpc-js',
      concurrency: 32,
      echo: load(1000),
      ours: { memory: { ours: load(700), ratio: 0.7 }, filesystem: { ours: load(699), ratio: 0.699 } },
    };
    expect(verdicts(s3, grpc).map((v) => [v.name, v.pass])).toEqual([
      ['S3 Get p50 ours/raw, loopback, auto', true],
      ['S3 Put p50 ours/raw, loopback, auto', false],
      ['S3 Get p50 ours/raw, rtt 10ms, native', true],
      ['S3 Put p50 ours/raw, rtt 10ms, native', false],
      ['gRPC Get calls/s ours(memory)/echo', true],
      ['gRPC Get calls/s ours(filesystem)/echo', false],
    ]);
  });

  it('gives none for a baseline-only run', () => {
    const scenario = {
      label: 'loopback, auto',
      oneWayDelayMs: 0,
      conditional: 'auto' as const,
      get: { raw: lat(1) },
      put: { raw: lat(1) },
      rawHeadThenConditionalPut: lat(2),
      serverLog: [],
    };
    expect(verdicts({ scenarios: [scenario] }, undefined)).toEqual([]);
  });

  it('adds the h2load-driven Get as an informative line, judged by its ratio of means', () => {
    const h2 = (ratioMean: number) => ({
      rawMeanMs: 10,
      oursMeanMs: 10 * ratioMean,
      ratioMean,
      oursCalls: 400,
      oursErrors: 0,
      h2loadCpuPercent: 1,
    });
    const scenario = (label: string, ratioMean: number) => ({
      label,
      oneWayDelayMs: 5,
      conditional: 'native' as const,
      get: { raw: lat(10), ours: lat(13), ratioP50: 1.3 },
      put: { raw: lat(10), ours: lat(13), ratioP50: 1.3 },
      rawHeadThenConditionalPut: lat(20),
      getH2load: h2(ratioMean),
      serverLog: [],
    });
    const out = verdicts({ scenarios: [scenario('a', 1.11), scenario('b', 1.21)] }, undefined);
    expect(out.filter((v) => v.name.startsWith('(info)')).map((v) => [v.name, v.ratio, v.pass])).toEqual([
      ['(info) S3 Get mean ours/raw, h2load client, a', 1.11, true],
      ['(info) S3 Get mean ours/raw, h2load client, b', 1.21, false],
    ]);
    // The target stays the p50 with a Node client: both miss.
    expect(out.filter((v) => v.name.startsWith('S3 Get p50')).map((v) => v.pass)).toEqual([false, false]);
  });
});

describe('formatTable', () => {
  it('prints PASS and MISS beside each ratio', () => {
    const report: BenchReport = {
      startedAt: 'a',
      finishedAt: 'b',
      machine: machineInfo(),
      parameters: {},
      verdicts: [
        { name: 'x', ratio: 1.1, target: '<= 1.2', pass: true },
        { name: 'y', ratio: 0.5, target: '>= 0.7', pass: false },
      ],
    };
    const text = formatTable(report);
    expect(text).toMatch(/x\s+1\.100\s+<= 1\.2\s+PASS/);
    expect(text).toMatch(/y\s+0\.500\s+>= 0\.7\s+MISS/);
  });
});
