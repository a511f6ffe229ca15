/**
 * Followers hear appends made through another server at once (Redis pub/sub
 * relay, server/src/logs/redis-log-wakes.ts), not at their next poll: two
 * server processes on one S3 server and one Redis, with the poll and the
 * progress interval at 60 s. A follower on server 0 must receive each line
 * appended through server 1 within the hang guard of 20 s, which only a
 * relayed notification can explain (a poll would come 60 s later).
 */
import { logClient, type LogClient } from '../harness/log-client.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';

jest.setTimeout(120_000);

let stack: SharedStack;
let clients: LogClient[];

beforeAll(async () => {
  stack = await startSharedStack(2, { SB_LOG_FOLLOW_POLL_MS: '60000' });
  clients = stack.servers.map((s) => logClient(s.grpcUrl));
});
afterAll(async () => {
  await stack?.stop();
});

test('a follower on one server receives lines appended through the other without waiting for its poll', async () => {
  await clients[1]!.append({ log: 'relay', lines: ['"first"'] });
  const ac = new AbortController();
  const received: string[] = [];
  const stream = clients[0]!.readLog(
    { log: 'relay', fromSequence: 1n, follow: true, progressInterval: { seconds: 60n } },
    { signal: ac.signal },
  );
  const reader = stream[Symbol.asyncIterator]();
  /** The next `n` lines, or a failure after 20 s (a hang guard: the poll alone would take 60 s). */
  const next = async (n: number): Promise<void> => {
    const want = received.length + n;
    const guard = setTimeout(() => ac.abort(new Error(`only ${received.length} of ${want} lines after 20 s`)), 20_000);
    try {
      while (received.length < want) {
        const r = await reader.next();
        if (r.done === true) throw new Error('the follower ended');
        for (const e of r.value.entries) received.push(e.line);
      }
    } finally {
      clearTimeout(guard);
    }
  };
  try {
    await next(1); // history
    for (let i = 0; i < 3; i++) {
      // Let the follower settle at the tail (it waits for a notification), then append elsewhere.
      await new Promise((r) => setTimeout(r, 300));
      await clients[1]!.append({ log: 'relay', lines: [JSON.stringify({ i })] });
      await next(1);
    }
  } finally {
    ac.abort();
    await reader.return?.(undefined).catch(() => undefined);
  }
  expect(received).toEqual(['"first"', '{"i":0}', '{"i":1}', '{"i":2}']);
});
