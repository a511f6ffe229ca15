/**
 * The gRPC calls the query benchmark makes (QueryService, AdminService over
 * connect-node's gRPC transport) and how it times a streamed Query: time to
 * first and to last result, with the ids received.
 */
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { AdminService } from '../clients/ts/src/gen/smarterbase/v1/admin_service_pb.js';
import { IndexKind, IndexState } from '../clients/ts/src/gen/smarterbase/v1/index_pb.js';
import { Direction, type QueryPlan } from '../clients/ts/src/gen/smarterbase/v1/query_pb.js';
import { QueryService } from '../clients/ts/src/gen/smarterbase/v1/query_service_pb.js';
import { sleep } from './processes.js';

/** One query as the benchmark sends it. */
export interface QuerySpec {
  /** filter_expression; empty matches everything. */
  readonly filter?: string;
  /** Ascending sort field, if any. */
  readonly orderBy?: string;
  /** Limit; 0 or unset = none. */
  readonly limit?: number;
}

/** What one timed Query stream gave. */
export interface TimedQuery {
  /** ms from sending the request to the first document (NaN when none came). */
  readonly firstMs: number;
  /** ms from sending the request to the final (done) message. */
  readonly lastMs: number;
  /** How many documents came. */
  readonly count: number;
  /** Their ids, in order, when asked to keep them. */
  readonly ids: string[];
}

/** QueryService and AdminService clients for one server. */
export interface QueryClients {
  /** QueryService. */
  readonly query: Client<typeof QueryService>;
  /** AdminService. */
  readonly admin: Client<typeof AdminService>;
}

/** Clients for the server at `address` (host:port, plaintext gRPC). */
export function queryClients(address: string): QueryClients {
  const transport = createGrpcTransport({ baseUrl: `http://${address}`, readMaxBytes: 64 * 1024 * 1024 });
  return { query: createClient(QueryService, transport), admin: createClient(AdminService, transport) };
}

function request(collection: string, spec: QuerySpec) {
  return {
    collection,
    filterExpression: spec.filter ?? '',
    orderBy: spec.orderBy ? [{ field: spec.orderBy, direction: Direction.ASCENDING }] : [],
    limit: spec.limit ?? 0,
  };
}

/** Runs one Query to its end; `onDocument` sees each document as it arrives. */
export async function timeQuery(
  c: QueryClients,
  collection: string,
  spec: QuerySpec,
  keepIds: boolean,
  onDocument?: () => void,
): Promise<TimedQuery> {
  const ids: string[] = [];
  let count = 0;
  let firstMs = NaN;
  const t0 = performance.now();
  for await (const res of c.query.query(request(collection, spec), { timeoutMs: 30 * 60_000 })) {
    if (!res.document) continue;
    if (count === 0) firstMs = performance.now() - t0;
    count++;
    if (keepIds) ids.push(res.document.id);
    onDocument?.();
  }
  return { firstMs, lastMs: performance.now() - t0, count, ids };
}

/** The server's plan for `spec`. */
export async function explain(c: QueryClients, collection: string, spec: QuerySpec): Promise<QueryPlan> {
  const res = await c.query.explain(request(collection, spec));
  if (!res.plan) throw new Error('Explain returned no plan');
  return res.plan;
}

/** Count on `filter`: count, storage_requests and latency (ms). */
export async function timeCount(c: QueryClients, collection: string, filter: string) {
  const t0 = performance.now();
  const res = await c.query.count({ collection, filterExpression: filter });
  return { ms: performance.now() - t0, count: Number(res.count), storageRequests: Number(res.storageRequests) };
}

/** Creates an index and waits (up to `timeoutMs`) until it is READY; resolves with the wait in ms. */
export async function createIndexReady(
  c: QueryClients,
  collection: string,
  name: string,
  field: string,
  kind: 'equality' | 'ordered',
  timeoutMs = 30 * 60_000,
): Promise<number> {
  const t0 = performance.now();
  const indexKind = kind === 'equality' ? IndexKind.EQUALITY : IndexKind.ORDERED;
  const created = await c.admin.createIndex({ index: { collection, name, fields: [field], kind: indexKind } });
  let index = created.index;
  while (index?.state !== IndexState.READY) {
    if (index?.state === IndexState.FAILED) throw new Error(`index ${name} failed: ${index.error}`);
    if (performance.now() - t0 > timeoutMs) throw new Error(`index ${name} not READY after ${timeoutMs} ms`);
    await sleep(100);
    index = (await c.admin.getIndex({ collection, name })).index;
  }
  return performance.now() - t0;
}
