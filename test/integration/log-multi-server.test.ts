/**
 * Logs across 3 server processes on one S3 server and one Redis (issue 13;
 * docs/adr/0013 §9–§11): 12 appenders (4 homed on each server) append 1,000
 * lines each — 1-line appends and every tenth a 3-line one, each with a
 * request id — while a follower started before them records the log.
 *
 * Retries are real: server C runs with the failpoint log.after-chunk-put=error
 * (its chunk lands, its answer is lost: UNAVAILABLE), so every append of the
 * appenders homed on C is retried with the same request id through A or B and
 * must come back deduplicated with the sequences it landed at; and every 50th
 * append of the others is first sent with a 1 ms client deadline, then
 * retried on its server (it landed or it did not: either way once).
 *
 * Asserts: every line exactly once, per-appender order kept, sequences
 * exactly 1..12,000, deduplicated for the retried ids whose first attempt
 * landed, and the follower's history equals a final ReadLog from 0, arrived
 * in order without a gap.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { follow, logClient, readToEnd, type LogClient } from '../harness/log-client.js';
import { startServer } from '../harness/server-process.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { sharedStackEnv } from '../harness/stack-env.js';

// A hang guard: 57-98 s at CI load in session 10, 267-307 s in the loaded CI runs of session 11 (under investigation).
jest.setTimeout(600_000);

const APPENDERS_PER_SERVER = 4;
const LINES_PER_APPENDER = 1000;
const LOG = 'multi';

let stack: SharedStack;
let clients: LogClient[];

beforeAll(async () => {
  const env = { SB_LOG_FOLLOW_POLL_MS: '250' };
  stack = await startSharedStack(2, env);
  stack.servers.push(await startServer(sharedStackEnv(stack, { ...env, SB_FAILPOINTS: 'log.after-chunk-put=error' })));
  clients = stack.servers.map((s) => logClient(s.grpcUrl));
});
afterAll(async () => {
  await stack?.stop();
});

interface Tally {
  /** Retries whose first attempt was answered UNAVAILABLE by the failpoint (the chunk landed). */
  landedRetries: number;
  /** Of those, answered deduplicated. */
  dedupedLanded: number;
  /** Their answers: first sequence → the lines sent (checked against the final read). */
  readonly landedAt: Map<number, string[]>;
  /** Appends first cut by a client deadline. */
  deadlineCuts: number;
  /** Of those, found deduplicated on retry. */
  dedupedAfterCut: number;
}

function code(e: unknown): Code {
  return ConnectError.from(e).code;
}

/** One appender: its lines in order, each append awaited (with its retries) before the next. */
async function appender(w: number, tally: Tally): Promise<void> {
  const home = Math.floor(w / APPENDERS_PER_SERVER); // 0: A, 1: B, 2: C (the failpoint's)
  let i = 0;
  for (let k = 0; i < LINES_PER_APPENDER; k++) {
    const n = k % 10 === 9 && i + 3 <= LINES_PER_APPENDER ? 3 : 1;
    const lines = Array.from({ length: n }, (_, j) => JSON.stringify({ w, i: i + j, pad: 'x'.repeat((w * 7 + i + j) % 40) }));
    const request = { log: LOG, lines, requestId: `w${w}-k${k}` };
    if (home === 2) {
      try {
        await clients[2]!.append(request);
        throw new Error('the failpoint did not fire');
      } catch (e) {
        expect(code(e)).toBe(Code.Unavailable);
      }
      const r = await clients[k % 2]!.append(request, { timeoutMs: 60_000 });
      tally.landedRetries++;
      if (r.deduplicated) tally.dedupedLanded++;
      tally.landedAt.set(Number(r.firstSequence), lines);
    } else if (k % 50 === 25) {
      tally.deadlineCuts++;
      let done = false;
      try {
        await clients[home]!.append(request, { timeoutMs: 1 });
        done = true;
      } catch (e) {
        expect([Code.DeadlineExceeded, Code.Canceled]).toContain(code(e));
      }
      if (!done) {
        const r = await clients[home]!.append(request, { timeoutMs: 60_000 });
        if (r.deduplicated) tally.dedupedAfterCut++;
      }
    } else {
      const r = await clients[home]!.append(request, { timeoutMs: 60_000 });
      expect(r.deduplicated).toBe(false);
      expect(r.lastSequence - r.firstSequence).toBe(BigInt(n - 1));
    }
    i += n;
  }
}

test('3 servers × 4 appenders × 1,000 lines with retries: each line once, in order, dense; the follower saw it all in order', async () => {
  const follower = follow(clients[1]!, LOG);
  await new Promise((r) => setTimeout(r, 500)); // the follower's call is running before the first append
  const tally: Tally = { landedRetries: 0, dedupedLanded: 0, landedAt: new Map(), deadlineCuts: 0, dedupedAfterCut: 0 };
  const started = Date.now();
  const appenders = 3 * APPENDERS_PER_SERVER;
  await Promise.all(Array.from({ length: appenders }, (_, w) => appender(w, tally)));
  const appendMs = Date.now() - started;
  const total = appenders * LINES_PER_APPENDER;

  const final = await readToEnd(clients[0]!, LOG);
  expect(final.map((l) => l.sequence)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  const seen = new Map<number, number[]>();
  for (const { line } of final) {
    const { w, i } = JSON.parse(line) as { w: number; i: number };
    const list = seen.get(w) ?? [];
    list.push(i);
    seen.set(w, list);
  }
  expect(seen.size).toBe(appenders);
  for (const [, list] of seen) expect(list).toEqual(Array.from({ length: LINES_PER_APPENDER }, (_, i) => i)); // once each, in order

  // Every append through C landed before its answer was lost: each retry is deduplicated.
  expect(tally.landedRetries).toBeGreaterThan(0);
  expect(tally.dedupedLanded).toBe(tally.landedRetries);
  for (const [first, lines] of tally.landedAt) {
    expect(final.slice(first - 1, first - 1 + lines.length).map((l) => l.line)).toEqual(lines); // the sequences it landed at
  }

  await follower.until(total);
  await follower.stop();
  expect(follower.lines).toEqual(final);
  const { landedAt: _, ...counts } = tally;
  console.log(
    `log-multi-server: ${total} lines in ${appendMs} ms (${Math.round((total * 1000) / appendMs)} lines/s); ${JSON.stringify(counts)}`,
  );
});
