/**
 * QueryService in connect-es style. Each handler only translates: request →
 * QueryInput (convert-query.ts) → one QueryApi call → proto responses.
 * Query streams one QueryResponse per QueryItem, then a final message with
 * done = true carrying the summary; errors are DbErrors, translated by
 * rpc/decorators/wrap-errors.ts.
 */
import type { ServiceImpl } from '@connectrpc/connect';
import type { QueryApi, QueryItem, QuerySummary } from '../../../api/query-api.js';
import { type QueryService } from '../../../gen/smarterbase/v1/query_service_pb.js';
import { toProtoDocument } from '../../convert/convert.js';
import { requestFilter } from '../../convert/convert-filter.js';
import { planToProto, queryInputFromProto } from './convert-query.js';
import { callContextOf } from '../../convert/call-context.js';
import { readRevisionOf, type ReadRevisions } from '../../convert/read-revision.js';

/** The QueryService implementation over a QueryApi. */
export function createQueryHandlers(api: QueryApi, revisions?: ReadRevisions): ServiceImpl<typeof QueryService> {
  const readRevision = readRevisionOf(revisions);
  return {
    async *query(req, ctx) {
      const input = queryInputFromProto(req);
      const revision = readRevision(req.collection); // before the first read of the query
      const results: AsyncGenerator<QueryItem, QuerySummary, undefined> = api.query(callContextOf(ctx), input);
      let finished = false;
      let lastToken = '';
      try {
        for (;;) {
          const next = await results.next();
          if (next.done === true) {
            finished = true;
            yield { done: true, resumeToken: lastToken, skippedResults: BigInt(next.value.skippedResults), readRevision: revision };
            return;
          }
          const item = next.value;
          lastToken = item.resumeToken;
          yield {
            document: toProtoDocument(item.document),
            resumeToken: item.resumeToken,
            skippedResults: BigInt(item.skippedResults),
            readRevision: revision,
          };
        }
      } finally {
        // The client went away (or sending failed): close the engine's stream so it stops fetching.
        if (!finished) await results.return({ skippedResults: 0 });
      }
    },
    async count(req, ctx) {
      const filter = requestFilter(req);
      const r = await api.count(callContextOf(ctx), {
        collection: req.collection,
        ...(filter === undefined ? {} : { filter }),
        ...(req.requireIndex ? { requireIndex: true } : {}),
      });
      return { count: BigInt(r.count), storageRequests: BigInt(r.storageRequests) };
    },
    async explain(req, ctx) {
      const plan = await api.explain(callContextOf(ctx), queryInputFromProto(req));
      return { plan: planToProto(plan) };
    },
  };
}
