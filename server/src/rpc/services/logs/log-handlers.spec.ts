import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import type { AppendInput, LogApi, ReadLogInput, ReadLogItem } from '../../../api/log-api.js';
import { LogService } from '../../../gen/smarterbase/v1/log_service_pb.js';
import { wrapErrors } from '../../decorators/wrap-errors.js';
import { createLogHandlers } from './log-handlers.js';

function setup() {
  const appends: AppendInput[] = [];
  const reads: ReadLogInput[] = [];
  const api: LogApi = {
    append: async (_ctx, input) => {
      appends.push(input);
      return { firstSequence: 7, lastSequence: 8, deduplicated: true };
    },
    read: (_ctx, input) => {
      reads.push(input);
      return (async function* (): AsyncGenerator<ReadLogItem> {
        yield { entries: [{ sequence: 1, line: '{"a":1}', appendTimeMs: 1_700_000_000_500 }], tailSequence: 1 };
        yield { entries: [], tailSequence: 1 };
      })();
    },
  };
  const transport = createRouterTransport((r) => {
    r.service(LogService, wrapErrors(LogService, createLogHandlers(api)));
  });
  return { client: createClient(LogService, transport), appends, reads };
}

describe('LogService handlers (translation only)', () => {
  test('Append passes log, lines and request id through and answers with the sequences', async () => {
    const { client, appends } = setup();
    const res = await client.append({ log: 'a', lines: ['1', '2'], requestId: 'r' });
    expect([res.firstSequence, res.lastSequence, res.deduplicated]).toEqual([7n, 8n, true]);
    expect(appends).toEqual([{ log: 'a', lines: ['1', '2'], requestId: 'r' }]);
  });

  test('ReadLog converts the request (default progress 10 s) and each item, progress messages included', async () => {
    const { client, reads } = setup();
    const msgs = [];
    for await (const m of client.readLog({ log: 'a', fromSequence: 3n, follow: true, progressInterval: { seconds: 2n } })) msgs.push(m);
    expect(reads[0]).toEqual({ log: 'a', fromSequence: 3, fromEnd: false, follow: true, progressIntervalMs: 2000 });
    expect(msgs).toHaveLength(2);
    expect(msgs[0]!.entries[0]!.sequence).toBe(1n);
    expect(msgs[0]!.entries[0]!.line).toBe('{"a":1}');
    expect(msgs[0]!.entries[0]!.appendTime?.seconds).toBe(1_700_000_000n);
    expect(msgs[0]!.entries[0]!.appendTime?.nanos).toBe(500_000_000);
    expect([msgs[1]!.entries.length, msgs[1]!.tailSequence]).toEqual([0, 1n]);
    for await (const _ of client.readLog({ log: 'a' })) break;
    expect(reads[1]!.progressIntervalMs).toBe(10_000);
  });

  test('a negative or unsafe from_sequence is INVALID_ARGUMENT before the engine is called', async () => {
    const { client, reads } = setup();
    for (const fromSequence of [-1n, 2n ** 60n]) {
      let err: ConnectError | undefined;
      try {
        for await (const _ of client.readLog({ log: 'a', fromSequence })) break;
      } catch (e) {
        err = ConnectError.from(e);
      }
      expect(err?.code).toBe(Code.InvalidArgument);
    }
    expect(reads).toHaveLength(0);
  });
});
