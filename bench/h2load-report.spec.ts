import { fakeFigure } from './h2load-fixtures.js';
import { compareFigures } from './h2load-figure.js';
import { figureRow, h2loadMarkdown, h2loadVerdicts } from './h2load-report.js';
import type { H2loadThroughputResult } from './h2load-throughput.js';

function result(): H2loadThroughputResult {
  const figures = {
    echo: fakeFigure(4000, 100),
    'echo-pre-encoded': fakeFigure(5000, 80),
    memory: fakeFigure(3000, 160),
    'memory-before': fakeFigure(1000, 400),
  };
  return {
    load: 'h2load',
    concurrency: 32,
    rounds: 3,
    sliceMs: 2000,
    loadAverage: { start: [5.1, 6, 7], end: [4, 5, 6] },
    beforeServerMain: '/tmp/old/dist/server/src/main.js',
    figures,
    comparisons: compareFigures(figures, ['memory', 'memory-before'], ['echo', 'echo-pre-encoded']),
  };
}

describe('figureRow', () => {
  it('shows calls/s, CPU per call, both CPU shares, latency, bytes against the expected and each slice', () => {
    expect(figureRow('memory', fakeFigure(3000, 160))).toBe('| ours, memory storage | 3,000 | 160 | 90 | 20 | 4 | 1122 (1122) | 3000 |');
  });
});

describe('h2loadVerdicts', () => {
  it('checks our storages against the decoding echo only, not the other build or the pre-encoded ceiling', () => {
    expect(h2loadVerdicts(result())).toEqual([
      { name: 'gRPC Get (h2load) calls/s memory/echo', ratio: 0.75, target: '>= 0.7', pass: true },
      { name: 'gRPC Get (h2load) server CPU/call memory/echo', ratio: 1.6, target: '<= 1.5', pass: false },
    ]);
  });
});

describe('h2loadMarkdown', () => {
  it('states the command, machine, load average and load, then figures, ratios and verdicts', () => {
    const md = h2loadMarkdown(result(), { command: 'npm run bench -- --only grpc', startedAt: 'T0', cpuCount: 2, cpuModel: 'Some CPU' });
    expect(md).toContain('- command: `npm run bench -- --only grpc`');
    expect(md).toContain('nproc 2 (Some CPU); load average (1/5/15 min) 5.1, 6, 7 at start, 4, 5, 6 at end');
    expect(md).toContain('`h2load -c1 -m32 -t1`, 3 interleaved slices of 2000 ms');
    expect(md).toContain('| echo, pre-encoded response (no codec) | 5,000 | 80 |');
    expect(md).toContain('| memory-before ÷ echo | 0.25 | 4 |');
    expect(md).toContain('| gRPC Get (h2load) server CPU/call memory/echo | 1.6 | <= 1.5 | MISS |');
  });
});
