// A jest reporter (jest.config.js) that keeps a long run from going silent: a line per finished
// suite with the lane's elapsed time and how many suites are done, and every minute a line naming
// the suites still running and for how long; at the end, the slowest single tests (those nearest
// their time limits on a loaded machine). jest's default reporter still prints the results.
'use strict';

/** How often the "still running" line is printed, in milliseconds. */
const TICK_MS = 60_000;

/** `ms` as `12m05s` (or `42s` under a minute). */
function clock(ms) {
  const s = Math.floor(ms / 1000);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** The repository-relative form of a test path (what jest's PASS lines show). */
function shortPath(path, rootDir) {
  return rootDir && path.startsWith(`${rootDir}/`) ? path.slice(rootDir.length + 1) : path;
}

/** The line printed when a suite ends. */
function finishedLine(lane, now, started, done, total, path, suiteMs, failed) {
  const verdict = failed ? 'FAIL' : 'ok';
  return `[jest ${lane} ${clock(now - started)}] ${done}/${total} ${verdict} ${path} (${clock(suiteMs)})`;
}

/** The line printed every TICK_MS while suites run: each running suite with its age, oldest first. */
function runningLine(lane, now, started, done, total, running) {
  const list = [...running.entries()]
    .sort((a, b) => a[1] - b[1])
    .map(([path, since]) => `${path} ${clock(now - since)}`)
    .join(', ');
  return `[jest ${lane} ${clock(now - started)}] ${done}/${total} done; running: ${list || 'none'}`;
}

/** How many of the slowest single tests the last lines name. */
const SLOWEST = 25;

/** The lines printed at the end: the `count` slowest tests of a second or more, slowest first, each with its suite. */
function slowestLines(lane, tests, count = SLOWEST) {
  const top = tests
    .filter((t) => t.ms >= 1000)
    .sort((a, b) => b.ms - a.ms)
    .slice(0, count);
  if (top.length === 0) return [];
  return [`[jest ${lane}] slowest tests:`, ...top.map((t) => `  ${clock(t.ms).padStart(6)} ${t.path} › ${t.name}`)];
}

/** The reporter jest instantiates (jest's reporter interface: onRunStart, onTestFileStart, onTestFileResult, onRunComplete). */
class ProgressReporter {
  constructor(globalConfig, options = {}, _context, deps = {}) {
    this.rootDir = globalConfig.rootDir;
    this.lane = options.lane ?? 'all';
    this.now = deps.now ?? Date.now;
    this.write = deps.write ?? ((line) => process.stderr.write(`${line}\n`));
    this.tickMs = deps.tickMs ?? TICK_MS;
    this.running = new Map();
    this.started = this.now();
    this.done = 0;
    this.total = 0;
    this.timer = undefined;
    /** Every finished test's duration: { path, name, ms }. */
    this.tests = [];
  }

  onRunStart(results) {
    this.started = this.now();
    this.total = results.numTotalTestSuites;
    this.timer = setInterval(() => this.tick(), this.tickMs);
    this.timer.unref();
  }

  onTestFileStart(test) {
    this.running.set(shortPath(test.path, this.rootDir), this.now());
  }

  onTestFileResult(test, result) {
    const path = shortPath(test.path, this.rootDir);
    const since = this.running.get(path) ?? this.now();
    this.running.delete(path);
    this.done++;
    for (const t of result.testResults ?? []) if (t.duration != null) this.tests.push({ path, name: t.fullName, ms: t.duration });
    const failed = result.numFailingTests > 0 || result.testExecError != null;
    this.write(finishedLine(this.lane, this.now(), this.started, this.done, this.total, path, this.now() - since, failed));
  }

  tick() {
    this.write(runningLine(this.lane, this.now(), this.started, this.done, this.total, this.running));
  }

  onRunComplete() {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const line of slowestLines(this.lane, this.tests)) this.write(line);
  }

  getLastError() {
    return undefined;
  }
}

module.exports = ProgressReporter;
module.exports.clock = clock;
module.exports.finishedLine = finishedLine;
module.exports.runningLine = runningLine;
module.exports.slowestLines = slowestLines;
