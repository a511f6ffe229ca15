/**
 * Filter complexity limits through a real server process on both ports
 * (connect-node's gRPC transport to the grpc-js port, the Connect protocol to
 * the HTTP port; trees too deep for protobuf-es to serialize are in
 * filter-deep-decode.test.ts): filters of 5,000 ANDs or ORs, typed and as expressions, are
 * INVALID_ARGUMENT / INVALID_FILTER naming the limit they pass, and filters
 * at each limit still work. Each call has a generous deadline; the test
 * asserts the code, never a time.
 */
import { create } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { CompositeFilter_Operator, FieldFilter_Operator, FilterSchema, type Filter } from '../../server/src/gen/smarterbase/v1/query_pb.js';
import { QueryService } from '../../server/src/gen/smarterbase/v1/query_service_pb.js';
import { MAX_EXPRESSION_CHARS } from '../../server/src/query/parse-filter.js';
import { MAX_FILTER_DEPTH, MAX_FILTER_TERMS } from '../../server/src/query/validate-filter.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

const DEADLINE_MS = 30_000;
const { AND, OR } = CompositeFilter_Operator;
const eq = (n: number): Filter =>
  create(FilterSchema, {
    filterType: {
      case: 'fieldFilter',
      value: { field: 'a', op: FieldFilter_Operator.EQ, value: create(ValueSchema, { kind: { case: 'numberValue', value: n } }) },
    },
  });
const comp = (op: CompositeFilter_Operator, filters: Filter[]): Filter =>
  create(FilterSchema, { filterType: { case: 'compositeFilter', value: { op, filters } } });
const not = (filter: Filter): Filter => create(FilterSchema, { filterType: { case: 'notFilter', value: { filter } } });
const terms = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const exprOf = (ns: number[], op: 'AND' | 'OR') => ns.map((n) => `a = ${n}`).join(` ${op} `);

let server: ServerProcess;
let clients: Record<'grpc port' | 'http port', Client<typeof QueryService>>;

beforeAll(async () => {
  server = await startServer({ SB_STORAGE: 'memory', SB_METRICS: 'off' });
  const grpcTransport = createGrpcTransport({ baseUrl: server.grpcUrl });
  clients = {
    'grpc port': createClient(QueryService, grpcTransport),
    'http port': createClient(QueryService, createConnectTransport({ baseUrl: `http://127.0.0.1:${server.httpPort}`, httpVersion: '1.1' })),
  };
  const docs = createClient(DocumentService, grpcTransport);
  for (const n of terms(10)) await docs.put({ collection: 'c', id: `d${n}`, data: { a: n } });
});

afterAll(async () => {
  await server?.stop();
});

type Req = { filter: Filter } | { filterExpression: string };

/** The error of Count and of Query (read to its end) with `req`: code, reason and ErrorInfo metadata, the same for both. */
async function refusal(
  client: Client<typeof QueryService>,
  req: Req,
): Promise<{ code: Code; reason?: string; metadata?: Record<string, string> }> {
  const errorOf = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (e) {
      const err = ConnectError.from(e);
      const info = err.findDetails(ErrorInfoSchema)[0];
      return { code: err.code, ...(info === undefined ? {} : { reason: info.reason, metadata: info.metadata }) };
    }
    throw new Error('the call succeeded');
  };
  const counted = await errorOf(() => client.count({ collection: 'c', ...req }, { timeoutMs: DEADLINE_MS }));
  const queried = await errorOf(async () => {
    for await (const _ of client.query({ collection: 'c', ...req }, { timeoutMs: DEADLINE_MS })) void _;
  });
  expect(queried).toEqual(counted);
  return counted;
}

const refused: [string, () => Req, Record<string, string>][] = [
  [
    '5,000 ANDs as an expression',
    () => ({ filterExpression: exprOf(terms(5000), 'AND') }),
    { field: 'filter_expression', maxChars: String(MAX_EXPRESSION_CHARS) },
  ],
  [
    '5,000 ORs as an expression',
    () => ({ filterExpression: exprOf(terms(5000), 'OR') }),
    { field: 'filter_expression', maxChars: String(MAX_EXPRESSION_CHARS) },
  ],
  [
    '101 comparisons as an expression, in groups',
    () => ({ filterExpression: `(${exprOf(terms(50), 'OR')}) AND (${exprOf(terms(51), 'OR')})` }),
    { field: 'filter_expression', maxTerms: String(MAX_FILTER_TERMS) },
  ],
  [
    '33 levels of NOT as an expression',
    () => ({ filterExpression: `${'NOT '.repeat(MAX_FILTER_DEPTH + 1)}a = 1` }),
    { field: 'filter_expression', maxDepth: String(MAX_FILTER_DEPTH) },
  ],
  ['5,000 ANDs typed, in one composite', () => ({ filter: comp(AND, terms(5000).map(eq)) }), { field: 'filter' }],
  ['5,000 ORs typed, in one composite', () => ({ filter: comp(OR, terms(5000).map(eq)) }), { field: 'filter' }],
  [
    '5,000 comparisons typed, 50 ANDs of 100 ORs',
    () => ({
      filter: comp(
        AND,
        terms(50).map((j) => comp(OR, terms(100, j * 100).map(eq))),
      ),
    }),
    { field: 'filter', maxTerms: String(MAX_FILTER_TERMS) },
  ],
  [
    '5,000 comparisons typed, 50 ORs of 100 ANDs',
    () => ({
      filter: comp(
        OR,
        terms(50).map((j) => comp(AND, terms(100, j * 100).map(eq))),
      ),
    }),
    { field: 'filter', maxTerms: String(MAX_FILTER_TERMS) },
  ],
  [
    '33 levels of NOT typed',
    () => ({ filter: terms(MAX_FILTER_DEPTH + 1).reduce((f) => not(f), eq(1)) }),
    { field: 'filter', maxDepth: String(MAX_FILTER_DEPTH) },
  ],
];

describe.each(['grpc port', 'http port'] as const)('on the %s', (port) => {
  test.each(refused)('%s is INVALID_ARGUMENT / INVALID_FILTER naming the limit', async (_name, req, metadata) => {
    const got = await refusal(clients[port], req());
    expect(got).toMatchObject({ code: Code.InvalidArgument, reason: 'INVALID_FILTER', metadata });
  });

  test.each<[string, () => Req, number]>([
    [
      '100 comparisons as an expression',
      () => ({ filterExpression: `(${exprOf(terms(50), 'OR')}) OR (${exprOf(terms(50, 50), 'OR')})` }),
      10,
    ],
    ['100 comparisons typed', () => ({ filter: comp(OR, [comp(OR, terms(50).map(eq)), comp(OR, terms(50, 50).map(eq))]) }), 10],
    ['32 levels of NOT as an expression', () => ({ filterExpression: `${'NOT '.repeat(MAX_FILTER_DEPTH)}a = 1` }), 1],
    ['32 levels of NOT typed', () => ({ filter: terms(MAX_FILTER_DEPTH).reduce((f) => not(f), eq(1)) }), 1],
    [
      `an expression of exactly ${MAX_EXPRESSION_CHARS} characters`,
      () => {
        const head = 'a = 3 OR s = "';
        return { filterExpression: `${head}${'x'.repeat(MAX_EXPRESSION_CHARS - head.length - 1)}"` };
      },
      1,
    ],
  ])('%s at the limit still works', async (_name, req, count) => {
    expect((await clients[port].count({ collection: 'c', ...req() }, { timeoutMs: DEADLINE_MS })).count).toBe(BigInt(count));
  });
});
