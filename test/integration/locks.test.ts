/**
 * Mutual exclusion across 3 server processes sharing a real redis-server
 * (and a real S3 server): 16 workers × 50 increments of one counter, each
 * under LockService.Hold with a plain read + guarded Put (no CAS) → exactly
 * 800, and the holders' intervals, as the clients saw them, never overlap.
 * Fencing: a holder whose lease expired is refused once a successor holds
 * the lock.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';
import { serverClients, type ServerClients } from '../harness/doc-client.js';

jest.setTimeout(240_000);

const WORKERS = 16;
const PER_WORKER = 50;

let stack: SharedStack | undefined;
let clients: ServerClients[] = [];

beforeAll(async () => {
  stack = await startSharedStack(3);
  clients = stack.servers.map((s) => serverClients(s.grpcUrl));
});

afterAll(async () => {
  await stack?.stop();
});

/** Runs fn while holding `name` through a Hold stream on `c`; returns the interval the client held it. */
async function underHold(c: ServerClients, name: string, fn: (token: bigint) => Promise<void>): Promise<[number, number]> {
  const abort = new AbortController();
  const stream = c.locks.hold(
    { name, ttl: { seconds: 10n, nanos: 0 }, waitTimeout: { seconds: 60n, nanos: 0 }, holder: 'test' },
    { signal: abort.signal },
  );
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) throw new Error('Hold ended without a grant');
  const start = performance.now();
  try {
    await fn(first.value.fencingToken);
  } finally {
    const end = performance.now();
    abort.abort();
    await it.return?.().catch(() => undefined);
    intervals.push([start, end]);
  }
  return [start, performance.now()];
}

const intervals: Array<[number, number]> = [];

it(`${WORKERS} workers × ${PER_WORKER} increments under Hold through 3 servers: exactly ${WORKERS * PER_WORKER}, no overlap`, async () => {
  const collection = 'locked';
  await clients[0]!.docs.put({ collection, id: 'counter', data: { n: 0 } });
  const worker = async (w: number) => {
    const c = clients[w % clients.length]!;
    for (let i = 0; i < PER_WORKER; i++) {
      await underHold(c, 'counter-lock', async (token) => {
        const { document } = await c.docs.get({ collection, id: 'counter' });
        const n = Number(document!.data!.n);
        await c.docs.put({ collection, id: 'counter', data: { n: n + 1 }, lockGuard: { name: 'counter-lock', fencingToken: token } });
      });
    }
  };
  await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
  const { document } = await clients[2]!.docs.get({ collection, id: 'counter' });
  expect(Number(document!.data!.n)).toBe(WORKERS * PER_WORKER);
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  expect(sorted).toHaveLength(WORKERS * PER_WORKER);
  for (let i = 1; i < sorted.length; i++) expect(sorted[i]![0]).toBeGreaterThanOrEqual(sorted[i - 1]![1]);
});

it('fencing: A’s lease expires, B acquires, A’s guarded write is refused and B’s succeeds', async () => {
  const [a, b] = [clients[0]!, clients[1]!];
  const collection = 'fenced';
  const grantA = await a.locks.acquire({ name: 'f', ttl: { seconds: 0n, nanos: 300_000_000 }, holder: 'A' });
  await new Promise((r) => setTimeout(r, 500)); // A is "paused" past its lease
  const grantB = await b.locks.acquire({ name: 'f', ttl: { seconds: 10n, nanos: 0 }, holder: 'B' });
  expect(grantB.fencingToken).toBeGreaterThan(grantA.fencingToken);
  await b.docs.put({ collection, id: 'x', data: { by: 'B' }, lockGuard: { name: 'f', fencingToken: grantB.fencingToken } });
  let refused: ConnectError | undefined;
  try {
    await a.docs.put({ collection, id: 'x', data: { by: 'A' }, lockGuard: { name: 'f', fencingToken: grantA.fencingToken } });
  } catch (e) {
    refused = ConnectError.from(e);
  }
  expect(refused?.code).toBe(Code.FailedPrecondition);
  expect(refused?.findDetails(ErrorInfoSchema)[0]?.reason).toBe('LOCK_NOT_HELD');
  expect((await clients[2]!.docs.get({ collection, id: 'x' })).document?.data).toEqual({ by: 'B' });
  const info = await clients[2]!.locks.get({ name: 'f' });
  expect(info.held).toBe(true);
  expect(info.holder).toBe('B');
  expect(await b.locks.release({ name: 'f', leaseId: grantB.leaseId })).toMatchObject({ released: true });
});
