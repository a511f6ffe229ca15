import { probeDetectionMarkdown, summarizeProbeRuns, type ProbeRun } from './probe-detection-report.js';

const run = (durationMs: number, checks: Record<string, boolean>): ProbeRun => ({
  durationMs,
  native: Object.values(checks).every((v) => v),
  checks,
});

describe('summarizeProbeRuns', () => {
  it('counts, per check, the runs in which it was false, and the native verdicts', () => {
    const s = summarizeProbeRuns([
      run(100, { a: true, b: true }),
      run(200, { a: true, b: false }),
      run(300, { a: false, b: false, c: true }),
      run(400, { a: true, b: false }),
    ]);
    expect(s.runs).toBe(4);
    expect(s.nativeRuns).toBe(1);
    expect(s.checks).toEqual([
      { check: 'a', falseRuns: 1, falseRate: 0.25 },
      { check: 'b', falseRuns: 3, falseRate: 0.75 },
      // A check missing from a run (an older probe) counts as not passed there.
      { check: 'c', falseRuns: 3, falseRate: 0.75 },
    ]);
    expect(s.duration.max).toBe(400);
    expect(s.duration.count).toBe(4);
  });

  it('counts runs in which the probe threw apart, and tallies checks over the others', () => {
    const s = summarizeProbeRuns([
      run(10, { a: false }),
      { durationMs: 5, native: false, checks: {}, error: 'DbError: storage unavailable' },
    ]);
    expect(s.errorRuns).toBe(1);
    expect(s.checks).toEqual([{ check: 'a', falseRuns: 1, falseRate: 1 }]);
    expect(probeDetectionMarkdown('moto', s)).toContain('the probe threw (no verdict, the server would not start) in 1.');
  });

  it('refuses an empty series', () => {
    expect(() => summarizeProbeRuns([])).toThrow(/no probe runs/);
  });
});

describe('probeDetectionMarkdown', () => {
  it('renders one row per check with count and percentage', () => {
    const md = probeDetectionMarkdown('versitygw v1.8.0', summarizeProbeRuns([run(10, { x: false }), run(20, { x: true })]));
    expect(md).toContain('Probe against versitygw v1.8.0: 2 runs, a fresh server each; verdict native in 1 of 2.');
    expect(md).toContain('| `x` | 1 of 2 | 50 % |');
  });
});
