/**
 * Connection-level fuzz (issue 8): broken HTTP/1.1 requests and broken
 * HTTP/2 connections on raw sockets to both ports. Each must be answered by
 * a status that is not 5xx or closed by the server within the deadline once
 * the client stops sending; the server must survive and write nothing
 * outside its data dir. FUZZ_SEED replays a run, FUZZ_RUNS scales it
 * (batches of 16).
 */
import * as fc from 'fast-check';
import { connectionCaseArb, sendConnectionCase, type ConnectionCase } from '../harness/fuzz-connections.js';
import { aftermath, startFuzzTarget, stopFuzzTarget, type FuzzTarget } from '../harness/fuzz-sandbox.js';
import { FuzzTally, fuzzRuns, fuzzSeed, runBatches, TaskPool } from '../harness/fuzz-tally.js';

const BATCH = 16;
const RUNS = fuzzRuns(250);
const SEED = fuzzSeed();
const ANSWER_WITHIN_MS = 8000;

let target: FuzzTarget | undefined;
beforeAll(async () => {
  target = await startFuzzTarget();
}, 30_000);
afterAll(async () => {
  await stopFuzzTarget(target);
});

test(`both ports answer or close broken connections (${RUNS}×${BATCH} cases)`, async () => {
  const { server } = target!;
  const tally = new FuzzTally('connections', SEED);
  const tasks = new TaskPool(16);
  const ports = { 'grpc-port': server.grpcPort, 'http-port': server.httpPort };
  const one = async (port: keyof typeof ports, c: ConnectionCase): Promise<void> => {
    const verdict = await sendConnectionCase(ports[port], c, ANSWER_WITHIN_MS);
    tally.count(verdict.label, `${port} ${c.name}`);
    if (verdict.failure !== undefined)
      tally.fail(`${port} ${c.name}: ${verdict.failure}`, () => `${port} ${c.name}: ${c.bytes.subarray(0, 200).toString('hex')}`);
  };
  await runBatches(
    fc.array(fc.tuple(fc.constantFrom<keyof typeof ports>('grpc-port', 'http-port'), connectionCaseArb), {
      minLength: BATCH,
      maxLength: BATCH,
    }),
    SEED,
    RUNS,
    async (cases) => {
      for (const [port, c] of cases) await tasks.submit(() => one(port, c));
    },
  );
  await tasks.drain();
  tally.print();
  const after = await aftermath(target!);
  expect(after).toEqual({ alive: true, metricsAnswer: true, strayInSandbox: [], canaries: [] });
  expect(tally.failureKeys()).toEqual([]);
  expect(tally.total).toBeGreaterThanOrEqual(RUNS * BATCH);
}, 300_000);
