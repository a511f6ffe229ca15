import { createClient, createRouterTransport } from '@connectrpc/connect';
import type { CallContext } from '../../../api/call-context.js';
import type { QueryApi, QueryInput, QueryItem, QuerySummary } from '../../../api/query-api.js';
import { QueryService } from '../../../gen/smarterbase/v1/query_service_pb.js';
import type { StoredDocument } from '../../../model/document.js';
import { createQueryHandlers } from './query-handlers.js';
import { wrapErrors } from '../../decorators/wrap-errors.js';

const doc = (n: number): StoredDocument => ({
  collection: 'c',
  id: `d${n}`,
  data: { n },
  etag: 'e',
  version: 1,
  createTime: new Date(0),
  updateTime: new Date(0),
  revision: 0,
});

function setup() {
  const inputs: QueryInput[] = [];
  const contexts: CallContext[] = [];
  const state = { closed: false };
  const api: QueryApi = {
    query(ctx: CallContext, input: QueryInput): AsyncGenerator<QueryItem, QuerySummary, undefined> {
      inputs.push(input);
      contexts.push(ctx);
      return (async function* () {
        try {
          for (let n = 1; n <= (input.limit ?? 3); n++) yield { document: doc(n), resumeToken: `t${n}`, skippedResults: n === 3 ? 1 : 0 };
          return { skippedResults: 2 };
        } finally {
          state.closed = true;
        }
      })();
    },
    count: async () => ({ count: 3, storageRequests: 0 }),
    explain: async () => ({
      indexesUsed: [],
      candidateCount: 3,
      storageRequests: 4,
      scan: true,
      sortedByIndex: false,
      residualFilter: 'n > 1',
      description: 'scan',
    }),
  };
  const transport = createRouterTransport((r) => {
    r.service(QueryService, wrapErrors(QueryService, createQueryHandlers(api)));
  });
  return { inputs, contexts, state, query: createClient(QueryService, transport) };
}

describe('query handlers', () => {
  test('one message per item, then a final done message carrying the summary and the last token', async () => {
    const { query, inputs, state } = setup();
    const msgs = [];
    for await (const m of query.query({ collection: 'c' })) msgs.push([m.document?.id, m.resumeToken, m.skippedResults, m.done]);
    expect(msgs).toEqual([
      ['d1', 't1', 0n, false],
      ['d2', 't2', 0n, false],
      ['d3', 't3', 1n, false],
      [undefined, 't3', 2n, true],
    ]);
    expect(inputs).toEqual([{ collection: 'c' }]);
    expect(state.closed).toBe(true);
  });

  test("the engine call gets the call's signal: a client cancelling mid-stream aborts it", async () => {
    const { query, contexts } = setup();
    const ac = new AbortController();
    await expect(
      (async () => {
        for await (const m of query.query({ collection: 'c', limit: 5 }, { signal: ac.signal })) if (m.document?.id === 'd2') ac.abort();
      })(),
    ).rejects.toThrow(/cancel|abort/i);
    for (let i = 0; i < 50 && !contexts[0]!.signal.aborted; i++) await new Promise((r) => setTimeout(r, 5));
    expect(contexts[0]!.signal.aborted).toBe(true);
  });

  test('count and explain convert their answers', async () => {
    const { query } = setup();
    expect(await query.count({ collection: 'c' })).toMatchObject({ count: 3n, storageRequests: 0n });
    expect((await query.explain({ collection: 'c' })).plan).toMatchObject({ scan: true, storageRequests: 4n, residualFilter: 'n > 1' });
  });
});
