/**
 * A log's request-id index and tail memo live in Redis; the chunks in S3 are
 * the truth (docs/streams.md, "Logs"). Redis restarted empty (FLUSHALL, as a
 * loss) between an append and its retry: the retry through another server is
 * still deduplicated (the index is rebuilt from the chunk headers), and the
 * next append continues the dense sequence (the tail is found in storage).
 */
import { openRedis } from '../../server/src/coordination/redis/redis-connection.js';
import { logClient, readToEnd } from '../harness/log-client.js';
import { startSharedStack, type SharedStack } from '../harness/shared-stack.js';

jest.setTimeout(120_000);

let stack: SharedStack;
beforeAll(async () => {
  stack = await startSharedStack(2);
});
afterAll(async () => {
  await stack?.stop();
});

test('after Redis lost its data, a retry by request id through another server is deduplicated and sequences stay dense', async () => {
  const [a, b] = stack.servers.map((s) => logClient(s.grpcUrl));
  const sent: string[] = [];
  for (let k = 0; k < 10; k++) {
    const lines = [JSON.stringify({ k, part: 0 }), JSON.stringify({ k, part: 1 })];
    sent.push(...lines);
    const r = await a!.append({ log: 'lossy', lines, requestId: `r${k}` });
    expect([r.firstSequence, r.deduplicated]).toEqual([BigInt(2 * k + 1), false]);
  }
  const admin = await openRedis({ url: stack.redis.url });
  try {
    await admin.flushall();
    expect(await admin.keys('sb:{m:log:lossy}*')).toEqual([]);
  } finally {
    admin.disconnect();
  }
  const retry = await b!.append({
    log: 'lossy',
    lines: [JSON.stringify({ k: 4, part: 0 }), JSON.stringify({ k: 4, part: 1 })],
    requestId: 'r4',
  });
  expect([retry.firstSequence, retry.lastSequence, retry.deduplicated]).toEqual([9n, 10n, true]);
  const next = await b!.append({ log: 'lossy', lines: ['"after"'], requestId: 'r10' });
  expect([next.firstSequence, next.deduplicated]).toEqual([21n, false]);
  const again = await a!.append({ log: 'lossy', lines: ['"after"'], requestId: 'r10' });
  expect([again.firstSequence, again.deduplicated]).toEqual([21n, true]);
  expect(await readToEnd(a!, 'lossy')).toEqual([...sent, '"after"'].map((line, i) => ({ sequence: i + 1, line })));
});
