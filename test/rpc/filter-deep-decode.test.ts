/**
 * A typed filter nested 5,000 levels deep (hand-encoded: protobuf-es cannot
 * serialize it) must be INVALID_ARGUMENT on both ports. The servers' protobuf
 * decoders overflow their stack on it before any filter check runs, which
 * both ports answer INTERNAL today: these tests pass once decode failures
 * become INVALID_ARGUMENT / MALFORMED_REQUEST (the lead's change to
 * grpc-mount.ts / connect-mount.ts), and are kept apart from
 * filter-limits.test.ts until then.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { ValueSchema } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { CompositeFilter_Operator, FieldFilter_Operator, FilterSchema } from '../../server/src/gen/smarterbase/v1/query_pb.js';
import { CountRequestSchema } from '../../server/src/gen/smarterbase/v1/query_service_pb.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

const DEADLINE_MS = 30_000;
const { AND } = CompositeFilter_Operator;
const eq = (n: number) =>
  create(FilterSchema, {
    filterType: {
      case: 'fieldFilter',
      value: { field: 'a', op: FieldFilter_Operator.EQ, value: create(ValueSchema, { kind: { case: 'numberValue', value: n } }) },
    },
  });

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer({ SB_STORAGE: 'memory', SB_METRICS: 'off' });
});
afterAll(async () => {
  await server?.stop();
});

/** A CountRequest whose typed filter nests `levels` ANDs, encoded by hand. */
function deepCountRequest(levels: number): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    for (; n > 0x7f; n >>>= 7) out.push((n & 0x7f) | 0x80);
    out.push(n);
    return Buffer.from(out);
  };
  let filter = Buffer.from(toBinary(FilterSchema, eq(1)));
  for (let i = 0; i < levels; i++) {
    const composite = Buffer.concat([Buffer.from([0x08, AND, 0x12]), varint(filter.length), filter]); // op, filters
    filter = Buffer.concat([Buffer.from([0x12]), varint(composite.length), composite]); // Filter.composite_filter
  }
  const head = Buffer.from(toBinary(CountRequestSchema, create(CountRequestSchema, { collection: 'c' })));
  return Buffer.concat([head, Buffer.from([0x12]), varint(filter.length), filter]);
}

test('5,000 nested ANDs typed (hand-encoded) are INVALID_ARGUMENT on the grpc port (grpc-js)', async () => {
  const raw = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
  try {
    const status = await new Promise<grpc.StatusObject>((resolve) => {
      const id = (b: Buffer) => b;
      raw
        .makeUnaryRequest(
          '/smarterbase.v1.QueryService/Count',
          id,
          id,
          deepCountRequest(5000),
          new grpc.Metadata(),
          { deadline: Date.now() + DEADLINE_MS },
          () => undefined,
        )
        .on('status', resolve);
    });
    expect(status.code).toBe(grpc.status.INVALID_ARGUMENT);
  } finally {
    raw.close();
  }
});

test('5,000 nested ANDs typed (hand-encoded) are INVALID_ARGUMENT on the http port (Connect, binary)', async () => {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/smarterbase.v1.QueryService/Count`, {
    method: 'POST',
    headers: { 'content-type': 'application/proto', 'connect-timeout-ms': String(DEADLINE_MS) },
    body: deepCountRequest(5000),
  });
  expect(res.status).toBe(400);
  expect(((await res.json()) as { code: string }).code).toBe('invalid_argument');
});
