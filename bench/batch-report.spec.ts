import { BATCH_SPEEDUP_TARGET, formatBatchMarkdown, formatBatchTable, planVariants, variantResult, type BatchRun } from './batch-report.js';
import { summarize } from './stats.js';

describe('planVariants', () => {
  it('plans memory, loopback S3, then one proxied S3 variant per RTT with its own runs', () => {
    const plan = planVariants({ runs: 30, rttMs: [10, 30], delayedRuns: [30, 10] });
    expect(plan.map((v) => [v.key, v.storage, v.rttMs, v.runs])).toEqual([
      ['memory', 'memory', 0, 30],
      ['s3-loopback', 's3', 0, 30],
      ['s3-rtt-10ms', 's3', 10, 30],
      ['s3-rtt-30ms', 's3', 30, 10],
    ]);
    expect(plan[3].label).toBe('S3 via proxy, 30 ms RTT');
  });

  it('repeats the last delayed run count, and uses runs when none is given', () => {
    expect(planVariants({ runs: 7, rttMs: [10, 20, 30], delayedRuns: [4] }).map((v) => v.runs)).toEqual([7, 7, 4, 4, 4]);
    expect(planVariants({ runs: 7, rttMs: [10], delayedRuns: [] }).map((v) => v.runs)).toEqual([7, 7, 7]);
  });

  it('rejects an RTT of 0 or less and run counts below 1', () => {
    expect(() => planVariants({ runs: 5, rttMs: [0], delayedRuns: [] })).toThrow(RangeError);
    expect(() => planVariants({ runs: 0, rttMs: [], delayedRuns: [] })).toThrow(RangeError);
    expect(() => planVariants({ runs: 5, rttMs: [10], delayedRuns: [0] })).toThrow(RangeError);
  });
});

describe('variantResult', () => {
  const v = planVariants({ runs: 3, rttMs: [10], delayedRuns: [] })[2];

  it('takes the speed-up as sequential p50 over BatchGet p50 and passes at the target', () => {
    const r = variantResult(v, summarize([10, 11, 12]), summarize([100, 110, 200]), 11.456);
    expect(r.speedupP50).toBe(10);
    expect(r.pass).toBe(true);
    expect(r.rawS3GetP50Ms).toBe(11.46);
    expect(BATCH_SPEEDUP_TARGET).toBe(10);
  });

  it('misses just below the target and omits the S3 probe when there is none', () => {
    const r = variantResult(v, summarize([10, 11, 12]), summarize([99, 109, 200]));
    expect(r.speedupP50).toBe(9.91);
    expect(r.pass).toBe(false);
    expect('rawS3GetP50Ms' in r).toBe(false);
    expect('serverCpuMicrosPerDocument' in r).toBe(false);
  });

  it("gives the server's CPU per document in µs over all runs, each side apart", () => {
    // 3 runs × 100 documents: 150 ms of CPU in the BatchGets = 500 µs per document.
    const r = variantResult(v, summarize([10]), summarize([100]), undefined, { batchGetMs: 150, sequentialMs: 390 }, 100);
    expect(r.serverCpuMicrosPerDocument).toEqual({ batchGet: 500, sequentialGet: 1300 });
  });
});

describe('formatting', () => {
  const [mem, , delayed] = planVariants({ runs: 3, rttMs: [30], delayedRuns: [2] });
  const run: BatchRun = {
    when: '2026-11-26T20:00:00.000Z',
    finishedAt: '2026-11-26T20:02:00.000Z',
    machine: { cpus: 2, node: 'v20', loadAverage: [2.5, 2, 1], loadAverageAtEnd: [3.25, 2.5, 1.5] },
    parameters: { documents: 100, documentBytes: 923, quick: false },
    variants: [
      variantResult(mem, summarize([12, 12, 13]), summarize([120, 121, 122])),
      variantResult(delayed, summarize([140, 150]), summarize([3300, 3400]), 32.4),
    ],
  };

  it('prints one console line per variant with runs, p50s, speed-up and verdict, and both load averages', () => {
    const lines = formatBatchTable(run).split('\n');
    expect(lines[0]).toContain('2.50 / 2.00 / 1.00 at start, 3.25 / 2.50 / 1.50 at end');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/memory\s+3\s+-\s+12\.00\s+121\.00\s+10\.08×\s+PASS$/);
    expect(lines[3]).toMatch(/S3 via proxy, 30 ms RTT\s+2\s+32\.40\s+140\.00\s+3300\.00\s+23\.57×\s+PASS$/);
  });

  it('writes a markdown table row per variant', () => {
    const md = formatBatchMarkdown(run);
    expect(md).toContain('| memory | 3 | – | 12.00 | 13.00 | 121.00 | 122.00 | 10.08× | PASS |');
    expect(md).toContain('| S3 via proxy, 30 ms RTT | 2 | 32.40 | 140.00 | 150.00 | 3300.00 | 3400.00 | 23.57× | PASS |');
    expect(md).toContain('at start, 3.25 / 2.50 / 1.50 at end');
    expect(md).not.toContain('Server CPU per document');
  });

  it('adds the server CPU per document under both tables when it was measured', () => {
    const withCpu: BatchRun = {
      ...run,
      variants: [variantResult(mem, summarize([12]), summarize([121]), undefined, { batchGetMs: 30, sequentialMs: 60 }, 100)],
    };
    expect(formatBatchTable(withCpu)).toContain('memory: 100 µs in BatchGet, 200 µs per sequential Get');
    expect(formatBatchMarkdown(withCpu)).toContain('- memory: 100 µs in BatchGet, 200 µs per sequential Get');
  });
});
