/**
 * The progress reporter of jest.config.js: a line per finished suite with the lane's elapsed time,
 * and a periodic line naming the suites still running, oldest first.
 */
interface Reporter {
  onRunStart(results: { numTotalTestSuites: number }): void;
  onTestFileStart(test: { path: string }): void;
  onTestFileResult(
    test: { path: string },
    result: { numFailingTests: number; testExecError?: unknown; testResults?: { fullName: string; duration?: number | null }[] },
  ): void;
  tick(): void;
  onRunComplete(): void;
}
type ReporterClass = new (
  globalConfig: { rootDir: string },
  options: { lane?: string },
  context: unknown,
  deps: { now: () => number; write: (line: string) => void; tickMs?: number },
) => Reporter;
interface ReporterModule extends ReporterClass {
  clock(ms: number): string;
}

// A plain JS module (jest loads reporters without transforming them).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ProgressReporter = require('./progress-reporter.js') as ReporterModule;

function fixture() {
  let now = 1_000_000;
  const lines: string[] = [];
  const reporter = new ProgressReporter({ rootDir: '/repo' }, { lane: 'heavy' }, undefined, {
    now: () => now,
    write: (line) => lines.push(line),
    tickMs: 3_600_000,
  });
  return { reporter, lines, advance: (ms: number) => (now += ms) };
}

test('clock writes minutes and zero-padded seconds, or seconds alone under a minute', () => {
  expect(ProgressReporter.clock(0)).toBe('0s');
  expect(ProgressReporter.clock(42_999)).toBe('42s');
  expect(ProgressReporter.clock(725_000)).toBe('12m05s');
});

test('a finished suite prints the lane, elapsed time, count, verdict, repository path and its own duration', () => {
  const { reporter, lines, advance } = fixture();
  reporter.onRunStart({ numTotalTestSuites: 3 });
  advance(5_000);
  reporter.onTestFileStart({ path: '/repo/test/integration/a.test.ts' });
  advance(65_000);
  reporter.onTestFileResult({ path: '/repo/test/integration/a.test.ts' }, { numFailingTests: 0 });
  reporter.onTestFileStart({ path: '/repo/test/integration/b.test.ts' });
  advance(2_000);
  reporter.onTestFileResult({ path: '/repo/test/integration/b.test.ts' }, { numFailingTests: 1 });
  reporter.onRunComplete();
  expect(lines).toEqual([
    '[jest heavy 1m10s] 1/3 ok test/integration/a.test.ts (1m05s)',
    '[jest heavy 1m12s] 2/3 FAIL test/integration/b.test.ts (2s)',
  ]);
});

test('the periodic line names each running suite with its age, oldest first, and drops finished ones', () => {
  const { reporter, lines, advance } = fixture();
  reporter.onRunStart({ numTotalTestSuites: 4 });
  reporter.onTestFileStart({ path: '/repo/x.test.ts' });
  advance(30_000);
  reporter.onTestFileStart({ path: '/repo/y.test.ts' });
  advance(90_000);
  reporter.tick();
  reporter.onTestFileResult({ path: '/repo/x.test.ts' }, { numFailingTests: 0, testExecError: { message: 'boom' } });
  reporter.tick();
  reporter.onTestFileResult({ path: '/repo/y.test.ts' }, { numFailingTests: 0 });
  reporter.tick();
  reporter.onRunComplete();
  expect(lines).toEqual([
    '[jest heavy 2m00s] 0/4 done; running: x.test.ts 2m00s, y.test.ts 1m30s',
    '[jest heavy 2m00s] 1/4 FAIL x.test.ts (2m00s)',
    '[jest heavy 2m00s] 1/4 done; running: y.test.ts 1m30s',
    '[jest heavy 2m00s] 2/4 ok y.test.ts (1m30s)',
    '[jest heavy 2m00s] 2/4 done; running: none',
  ]);
});

test('at the end, the slowest single tests (a second or more) are named, slowest first, with their suites; none when none ran', () => {
  const { reporter, lines } = fixture();
  reporter.onRunStart({ numTotalTestSuites: 2 });
  reporter.onTestFileStart({ path: '/repo/a.test.ts' });
  reporter.onTestFileResult(
    { path: '/repo/a.test.ts' },
    {
      numFailingTests: 0,
      testResults: [
        { fullName: 'fast', duration: 10 },
        { fullName: 'skipped', duration: null },
        { fullName: 'slow one', duration: 58_000 },
      ],
    },
  );
  reporter.onTestFileStart({ path: '/repo/b.test.ts' });
  reporter.onTestFileResult({ path: '/repo/b.test.ts' }, { numFailingTests: 0, testResults: [{ fullName: 'middle', duration: 61_500 }] });
  reporter.onRunComplete();
  expect(lines.slice(2)).toEqual(['[jest heavy] slowest tests:', '   1m01s b.test.ts › middle', '     58s a.test.ts › slow one']);

  const empty = fixture();
  empty.reporter.onRunStart({ numTotalTestSuites: 0 });
  empty.reporter.onRunComplete();
  expect(empty.lines).toEqual([]);
});
