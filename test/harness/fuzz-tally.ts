/**
 * Counting for the fuzz suites: cases per outcome, failures grouped by kind
 * with one replayable example each, the seed, and the one-line summary the
 * CI log shows (`fuzz[structured]: 8000 cases, seed 42, OK 3100, …`).
 */
import * as fc from 'fast-check';

/** The seed of this run: FUZZ_SEED when set (to replay a run), else a fresh one. */
export function fuzzSeed(): number {
  const env = process.env.FUZZ_SEED;
  return env !== undefined && env !== '' ? Number(env) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
}

/** FUZZ_RUNS when set (to scale a run up or down), else `fallback`. */
export function fuzzRuns(fallback: number): number {
  const env = process.env.FUZZ_RUNS;
  return env !== undefined && env !== '' ? Math.max(1, Number(env)) : fallback;
}

interface FailureGroup {
  count: number;
  example: string;
}

/** Outcomes of one suite. */
export class FuzzTally {
  private readonly codes = new Map<string, number>();
  private readonly failures = new Map<string, FailureGroup>();
  private cases = 0;

  constructor(
    readonly suite: string,
    readonly seed: number,
  ) {}

  private readonly detailed = new Map<string, number>();

  /** Counts one case that ended with `code`; `where` (e.g. the method) feeds the FUZZ_VERBOSE breakdown. */
  count(code: string, where = ''): void {
    this.cases++;
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    const key = `${where} ${code}`;
    this.detailed.set(key, (this.detailed.get(key) ?? 0) + 1);
  }

  /** Records a failure of kind `key` (grouped) with `example`, a description that replays it. */
  fail(key: string, example: () => string): void {
    const group = this.failures.get(key);
    if (group !== undefined) group.count++;
    else this.failures.set(key, { count: 1, example: example() });
  }

  /** Number of cases counted. */
  get total(): number {
    return this.cases;
  }

  /** Count of cases that ended with `code`. */
  countOf(code: string): number {
    return this.codes.get(code) ?? 0;
  }

  /** `fuzz[suite]: N cases, seed S, OK n, INVALID_ARGUMENT n, …` (codes by count, descending). */
  summary(): string {
    const parts = [...this.codes.entries()].sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c} ${n}`);
    return `fuzz[${this.suite}]: ${this.cases} cases, seed ${this.seed}, ${parts.join(', ')}`;
  }

  /** The failure groups, largest first, each with its example; empty when nothing failed. */
  failureReport(maxGroups = 60): string[] {
    return [...this.failures.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .slice(0, maxGroups)
      .map(([key, g]) => `${g.count}× ${key}\n    e.g. ${g.example}`);
  }

  /** The kinds of failure seen, largest first (for the assertion; print() shows the examples). */
  failureKeys(): string[] {
    return [...this.failures.entries()].sort((a, b) => b[1].count - a[1].count).map(([key, g]) => `${g.count}× ${key}`);
  }

  /** Prints the summary and the failures (with the replay hint) to the test log. */
  print(): void {
    const failures = this.failureReport();
    const lines = [this.summary()];
    if (process.env.FUZZ_VERBOSE !== undefined) lines.push(...[...this.detailed.entries()].sort().map(([k, n]) => `  ${k} ${n}`));
    if (failures.length > 0) lines.push(`  failures (replay with FUZZ_SEED=${this.seed}):`, ...failures.map((f) => `  ${f}`));
    console.log(lines.join('\n'));
  }
}

/**
 * Runs tasks with at most `limit` in flight, so that one slow call (a lock
 * wait up to its deadline) does not stall the calls drawn with it.
 */
export class TaskPool {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly limit: number) {}

  /** Starts `task` once a slot is free; resolves when it started, not when it ended. */
  async submit(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    const p: Promise<void> = task().finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Resolves when every submitted task ended. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
  }
}

/** Runs `property` over `runs` batches drawn from `batch` with `seed`; fast-check owns generation and replay. */
export async function runBatches<T>(
  batch: fc.Arbitrary<T[]>,
  seed: number,
  runs: number,
  property: (cases: T[]) => Promise<void>,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(batch, async (cases) => {
      await property(cases);
    }),
    { seed, numRuns: runs, endOnFailure: true },
  );
}

/** Shortens `text` for a log line. */
export function clip(text: string, max = 400): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} chars)`;
}
