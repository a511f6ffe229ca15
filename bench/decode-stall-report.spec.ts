import { addedP99, formatStallMarkdown, scenarioLabel, SCENARIOS, type StallRun } from './decode-stall-report.js';
import type { LatencySummary } from './stats.js';

const s = (p99: number): LatencySummary => ({ count: 100, mean: 1, min: 0.5, p50: 1, p90: 2, p99, max: p99 + 1 });

describe('decode-stall report', () => {
  test('the added p99 passes below 50 ms only', () => {
    expect(addedP99(s(30), s(2))).toEqual({ addedP99Ms: 28, pass: true });
    expect(addedP99(s(52), s(2))).toEqual({ addedP99Ms: 50, pass: false });
  });

  test('labels name the port, protocol and request', () => {
    expect(scenarioLabel(SCENARIOS[4]!, 300_000)).toBe('HTTP port, Connect binary: BatchGet, 300,000 ids');
    expect(scenarioLabel(SCENARIOS[1]!, 300_000)).toBe('gRPC port (grpc-js): Put, Struct of 300,000 keys');
  });

  test('the markdown has one row per scenario with its verdict', () => {
    const run: StallRun = {
      when: 't0',
      finishedAt: 't1',
      label: 'after',
      machine: { cpus: 2, node: 'v20', loadAverage: [1, 1, 1], loadAverageAtEnd: [1, 1, 1] },
      parameters: { clients: 4, intervalMs: 20, durationS: 10, maxMessageBytes: 5242880, elements: 300000 },
      scenarios: [
        {
          ...SCENARIOS[0]!,
          requestBytes: 4800003,
          oversizedAnswered: 7,
          outcomes: { 'INVALID_ARGUMENT: x|y': 7 },
          rejection: s(9),
          serverCpuMsPerRequest: 12.5,
          baseline: s(3),
          gets: s(80),
          getErrors: 0,
          addedP99Ms: 77,
          pass: false,
        },
      ],
    };
    const md = formatStallMarkdown(run);
    expect(md).toContain('| gRPC port (grpc-js): BatchGet, 300,000 ids | 4800003 | 7 | 1 | 12.5 | 3 | 1 | 80 | 81 | 0 | 77 | MISS |');
    expect(md).toContain('7× INVALID_ARGUMENT: x\\|y');
  });
});
