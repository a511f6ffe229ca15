/**
 * Log commands: append (lines as arguments or JSONL on stdin), read (print
 * the lines as JSONL) and follow (read, then keep printing new lines until
 * Ctrl-C).
 */
import type { Command } from 'commander';
import type { LogEntry } from '../../log-reader.js';
import { readLines } from '../input.js';
import { intFlag, runAction, type Runtime } from '../runtime.js';

/** The JSONL record of a log entry: {"sequence", "appendTime", "line"} with line parsed back into its JSON value. */
export function logRecord(e: LogEntry): string {
  const time = e.appendTime?.toISOString();
  return `{"sequence":"${e.sequence}",${time !== undefined ? `"appendTime":"${time}",` : ''}"line":${e.line}}\n`;
}

/** Lines per Append call of `log append` from stdin (the server takes 1-1000). */
const APPEND_BATCH = 500;

async function printLog(rt: Runtime, log: string, o: { from?: string; tail?: boolean; max?: string }, follow: boolean): Promise<void> {
  const from = intFlag('--from', o.from, 0);
  const max = intFlag('--max', o.max, 1);
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  let n = 0;
  try {
    const entries = rt.client().logs.read(log, {
      fromSequence: from === undefined ? undefined : BigInt(from),
      fromEnd: o.tail === true,
      follow,
      signal: stop.signal,
    });
    for await (const e of entries) {
      rt.out.write(logRecord(e));
      if (++n === max) return;
    }
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

/** Registers `log append|read|follow` on the program. */
export function registerLogCommands(program: Command): void {
  const log = program.command('log').description('append-only logs: append, read, follow');

  log
    .command('append')
    .description('append JSON lines: as arguments, or one per line on stdin')
    .argument('<log>')
    .argument('[lines...]', 'JSON texts (e.g. \'{"event":"login"}\'); none: read stdin')
    .action((name: string, lines: string[], _o: unknown, cmd: Command) =>
      runAction(cmd, async (rt) => {
        const logs = rt.client().logs;
        if (lines.length > 0) {
          const r = await logs.append(name, lines);
          rt.print({ firstSequence: r.firstSequence, lastSequence: r.lastSequence, lines: lines.length });
          return;
        }
        let batch: string[] = [];
        let first: bigint | undefined;
        let last = 0n;
        let total = 0;
        const flush = async (): Promise<void> => {
          if (batch.length === 0) return;
          const r = await logs.append(name, batch);
          first ??= r.firstSequence;
          last = r.lastSequence;
          total += batch.length;
          batch = [];
        };
        for await (const line of readLines(undefined)) {
          if (line.trim() === '') continue;
          batch.push(line);
          if (batch.length >= APPEND_BATCH) await flush();
        }
        await flush();
        rt.print({ firstSequence: first ?? 0n, lastSequence: last, lines: total });
      }),
    );

  for (const [verb, follow] of [
    ['read', false],
    ['follow', true],
  ] as const) {
    log
      .command(verb)
      .description(follow ? 'print the lines, then new ones as they are appended, until Ctrl-C' : 'print the lines as JSONL')
      .argument('<log>')
      .option('--from <sequence>', 'the first sequence (default: the oldest retained)')
      .option('--tail', 'only lines appended from now on')
      .option('--max <n>', 'stop after this many lines')
      .action((name: string, o: { from?: string; tail?: boolean; max?: string }, cmd: Command) =>
        runAction(cmd, (rt) => printLog(rt, name, o, follow)),
      );
  }
}
