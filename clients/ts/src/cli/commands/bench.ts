/**
 * bench: the open-loop load tester. Seeds a key space in its own
 * collection, issues the operation mix at the target rate for the duration
 * (bench/open-loop.ts), shows a live line, and reports corrected latency
 * percentiles per kind as a table (or JSON), a JSON file and an HTML page
 * with charts. Ctrl-C stops issuing and reports what ran.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { SmarterBaseError } from '../../errors.js';
import { benchHtml } from '../bench/bench-html.js';
import { benchPlan, DEFAULT_MIX, mixPicker, type BenchFlags, type BenchPlan } from '../bench/bench-plan.js';
import { buildReport, reportTable } from '../bench/bench-report.js';
import { startOpenLoop } from '../bench/open-loop.js';
import { Operations, type OpKind } from '../bench/operations.js';
import { Recorder } from '../bench/recorder.js';
import { createProgress } from '../progress.js';
import type { Runtime } from '../runtime.js';
import { runAction } from '../runtime.js';

const INDEX = 'bench_group';
const SEED_CONCURRENCY = 32;

/** Registers bench on the program. */
export function registerBenchCommand(program: Command): void {
  program
    .command('bench')
    .description(
      'open-loop load test: issue an operation mix at a fixed rate, report latency from each due time (coordinated omission corrected)',
    )
    .option('--rate <ops/s>', 'operations per second to issue', '100')
    .option('--duration <s>', 'seconds to issue them', '30')
    .option('--mix <kind=weight,...>', `operation mix of get, put, put-if-match, query, commit`, DEFAULT_MIX)
    .option('--keys <n>', 'documents in the key space (written before the run)', '1000')
    .option('--doc-bytes <n>', 'padding bytes per document', '256')
    .option('--max-in-flight <n>', 'operations outstanding at most; more wait (and their wait counts as latency)', '512')
    .option('--collection <name>', 'the collection to write (default bench_<time>, a new one)')
    .option('--no-index', 'no equality index on group: queries scan the collection')
    .option('--report <file.json>', 'write the report as JSON')
    .option('--html <file.html>', 'write the report as a self-contained HTML page with charts')
    .option('--max-error-rate <fraction>', 'exit 1 when more than this fraction of operations failed', '0.01')
    .action((o: BenchFlags, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const plan = benchPlan(o);
        const ops = new Operations(rt.client(), { collection: plan.collection, keys: plan.keys, docBytes: plan.docBytes });
        await prepare(rt, plan, ops);
        const startedAt = new Date();
        const stop = new AbortController();
        const onSigint = (): void => stop.abort();
        process.once('SIGINT', onSigint);
        const rec = new Recorder(performance.now());
        const live = liveLine(rt, plan, rec);
        const pick = mixPicker(plan.mix);
        let run;
        try {
          const loop = startOpenLoop<OpKind>({
            rate: plan.rate,
            durationMs: plan.durationS * 1000,
            maxInFlight: plan.maxInFlight,
            pick,
            run: (kind) => ops.run(kind),
            done: (kind, t, outcome) => rec.add(kind, t, outcome),
            signal: stop.signal,
          });
          live.inFlight = loop.inFlight;
          run = await loop.result;
        } finally {
          process.off('SIGINT', onSigint);
          live.stop();
        }
        const report = buildReport(plan, rt.connection().addr, startedAt, run, rec);
        const table = reportTable(report);
        if (plan.report !== undefined) writeFileSync(plan.report, JSON.stringify(report, null, 2) + '\n');
        if (plan.html !== undefined) writeFileSync(plan.html, benchHtml(report, table));
        rt.print(report, () => table);
        if (report.completed > 0 && report.failed / report.completed > plan.maxErrorRate) {
          rt.note(`${report.failed} of ${report.completed} operations failed (more than --max-error-rate ${plan.maxErrorRate})`);
          process.exitCode = 1;
        }
      }),
    );
}

/** Creates the group index (when queries are in the mix) and seeds the key space. */
async function prepare(rt: Runtime, plan: BenchPlan, ops: Operations): Promise<void> {
  const db = rt.client();
  if (plan.index && plan.mix.has('query')) {
    try {
      await db.createIndex({ collection: plan.collection, name: INDEX, fields: ['group'], kind: 'equality' });
    } catch (e) {
      if (!(e instanceof SmarterBaseError && e.reason === 'INDEX_ALREADY_EXISTS')) throw e;
    }
    await db.waitForIndexReady(plan.collection, INDEX);
  }
  rt.note(`bench: seeding ${plan.keys} documents into ${plan.collection}`);
  const bar = createProgress(`seed ${plan.collection}`, process.stderr.isTTY === true && !rt.json, false);
  bar.setTotal(plan.keys);
  let next = 0;
  let written = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.keys) {
      await ops.seedOne(next++);
      bar.update(++written);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, plan.keys) }, worker));
  } finally {
    bar.stop();
  }
}

/** The live line: a bar redrawn on a terminal, else (not with --json) a line on stderr every 5 s. */
function liveLine(rt: Runtime, plan: BenchPlan, rec: Recorder): { inFlight: () => number; stop: () => void } {
  const elapsedS = (): number => (performance.now() - rec.startMs) / 1000;
  const tty = process.stderr.isTTY === true && !rt.json;
  const bar = tty
    ? new SingleBar({
        stream: process.stderr,
        format: 'bench [{bar}] {value}/{total} s | {done}/s | p50 {p50} ms | p99 {p99} ms | failed {failed} | in flight {inFlight}',
        hideCursor: true,
        clearOnComplete: true,
      })
    : undefined;
  const state = { inFlight: (): number => 0, stop: (): void => undefined };
  const fields = (): Record<string, string | number> => {
    const last = rec.second(Math.floor(elapsedS()) - 1); // the last full second
    return {
      done: last.completed,
      p50: last.p50Ms.toFixed(1),
      p99: last.p99Ms.toFixed(1),
      failed: rec.failures(),
      inFlight: state.inFlight(),
    };
  };
  bar?.start(Math.ceil(plan.durationS), 0, fields());
  let ticks = 0;
  const timer = setInterval(() => {
    const s = Math.round(elapsedS());
    if (bar !== undefined) bar.update(Math.min(s, Math.ceil(plan.durationS)), fields());
    else if (++ticks % 5 === 0) {
      const f = fields();
      rt.note(
        `bench ${s}/${Math.ceil(plan.durationS)} s: ${f.done}/s, p50 ${f.p50} ms, p99 ${f.p99} ms, failed ${f.failed}, in flight ${f.inFlight}`,
      );
    }
  }, 1000);
  state.stop = () => {
    clearInterval(timer);
    bar?.stop();
  };
  return state;
}
