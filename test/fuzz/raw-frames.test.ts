/**
 * Raw-frame fuzz (issue 8): hostile bytes in lying frames under broken
 * headers, to every method path (and made-up ones) of both ports: gRPC over
 * h2c to the grpc port and the HTTP port, the Connect protocol over
 * HTTP/1.1 to the HTTP port. Every case must be answered within its
 * deadline by a status that is not INTERNAL / UNKNOWN / DATA_LOSS and that
 * carries an ErrorInfo of domain smarterbase.v1 (or, for a request broken
 * at the HTTP level, by a clean 4xx or a stream reset); the server must
 * survive and write nothing outside its data dir. FUZZ_SEED replays a run,
 * FUZZ_RUNS scales it (batches of 16).
 */
import * as fc from 'fast-check';
import { Agent } from 'node:http';
import { rawCaseArb, type RawCase } from '../harness/fuzz-frames.js';
import { SessionPool, sendConnectCase, sendGrpcCase, type RawVerdict } from '../harness/fuzz-raw.js';
import { h2Connect } from '../harness/raw-wire.js';
import { aftermath, startFuzzTarget, stopFuzzTarget, type FuzzTarget } from '../harness/fuzz-sandbox.js';
import { clip, FuzzTally, fuzzRuns, fuzzSeed, runBatches, TaskPool } from '../harness/fuzz-tally.js';

const BATCH = 16;
const CONCURRENCY = 24;
const RUNS = fuzzRuns(700);
const SEED = fuzzSeed();
/** The deadline every case sends (3 s) plus 5 s of slack (CI cores are busy) before it counts as hung. */
const ANSWER_WITHIN_MS = 8000;

let target: FuzzTarget | undefined;
beforeAll(async () => {
  target = await startFuzzTarget();
}, 30_000);
afterAll(async () => {
  await stopFuzzTarget(target);
});

/** `text` with method paths and numbers masked, so that one kind of failure makes one group. */
function normalize(text: string): string {
  return text
    .replace(/ from JSON: .*/, ' from JSON: …')
    .replace(/smarterbase\.v1\.\w+/g, '<message>')
    .replace(/\/[\w.%?=/-]*/g, '<path>')
    .replace(/\d+/g, 'N');
}

/** A replayable description of a case. */
function describeCase(c: RawCase): string {
  const headers = Object.entries(c.headers)
    .map(([k, v]) => `${k}: ${clip(String(v), 40)}`)
    .join(', ');
  return `${c.target} ${clip(c.path, 80)} [${c.framing}] {${headers}} body ${c.body.length} B: ${clip(c.body.toString('hex'), 240)}`;
}

test(`every method path of both ports survives raw hostile frames (${RUNS}×${BATCH} cases)`, async () => {
  const { server } = target!;
  const pools = { 'grpc@grpc-port': new SessionPool(server.grpcPort, 4), 'grpc@http-port': new SessionPool(server.httpPort, 4) };
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const tally = new FuzzTally('raw-frames', SEED);
  const tasks = new TaskPool(CONCURRENCY);
  const one = async (c: RawCase): Promise<void> => {
    let verdict = await send(c, false);
    // A case unanswered in time is sent once more, alone on a fresh connection: a hang that does
    // not reproduce is counted (HANG, NOT REPRODUCED) and printed, one that does is a failure.
    if (verdict.label === 'HANG') {
      const again = await send(c, true);
      if (again.label !== 'HANG') verdict = { label: 'HANG, NOT REPRODUCED' };
    }
    tally.count(verdict.label, `${c.target} ${c.framing}`);
    if (verdict.failure !== undefined) tally.fail(`${c.target}: ${clip(normalize(verdict.failure), 160)}`, () => describeCase(c));
  };
  const send = async (c: RawCase, fresh: boolean): Promise<RawVerdict> => {
    let verdict: RawVerdict;
    if (c.target === 'connect@http-port') {
      verdict = await sendConnectCase(server.httpPort, fresh ? new Agent({ keepAlive: false }) : agent, c, ANSWER_WITHIN_MS);
    } else if (c.brokenHttp || fresh) {
      // A request broken at the HTTP level gets its own connection, so that the server closing it harms no other case.
      const port = c.target === 'grpc@grpc-port' ? server.grpcPort : server.httpPort;
      const session = await h2Connect(port);
      session.on('error', () => undefined);
      try {
        verdict = await sendGrpcCase(session, c, ANSWER_WITHIN_MS);
      } finally {
        session.destroy();
      }
    } else {
      verdict = await sendGrpcCase(await pools[c.target].get(), c, ANSWER_WITHIN_MS);
    }
    return verdict;
  };
  try {
    await runBatches(fc.array(rawCaseArb, { minLength: BATCH, maxLength: BATCH }), SEED, RUNS, async (cases) => {
      for (const c of cases) await tasks.submit(() => one(c));
    });
    await tasks.drain();
  } finally {
    pools['grpc@grpc-port'].close();
    pools['grpc@http-port'].close();
    agent.destroy();
  }
  tally.print();
  const after = await aftermath(target!);
  expect(after).toEqual({ alive: true, metricsAnswer: true, strayInSandbox: [], canaries: [] });
  expect(tally.failureKeys()).toEqual([]);
  expect(tally.total).toBeGreaterThanOrEqual(RUNS * BATCH);
}, 600_000);
