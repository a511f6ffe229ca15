/**
 * Errors caused by huge requests stay small (issue 8, defect 3): a
 * 100,000-character filter expression, an invalid id of 100 KB and a Commit
 * whose 100 etag preconditions all fail are answered at once with their
 * code, a google.rpc.ErrorInfo and trailers far below what clients accept,
 * through a real server process and stock clients: @grpc/grpc-js (raw
 * grpc.Client), connect-node over gRPC (grpc port) and over the Connect
 * protocol (HTTP port), and Python grpcio with its default 8 KiB metadata
 * limit. Before the error table bounded errors, the expression and every
 * violation were echoed into trailers: grpcio reported RESOURCE_EXHAUSTED
 * "received metadata size exceeds", grpc-js and connect-node waited for the
 * deadline.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { create, fromBinary, toBinary, type DescMessage, type DescService, type MessageInitShape } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import * as grpc from '@grpc/grpc-js';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { ErrorInfoSchema, PreconditionFailureSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../server/src/gen/google/rpc/status_pb.js';
import { BatchGetRequestSchema, CommitRequestSchema, DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import {
  CountRequestSchema,
  ExplainRequestSchema,
  QueryRequestSchema,
  QueryService,
} from '../../server/src/gen/smarterbase/v1/query_service_pb.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

/** What a client saw at the end of a failed call. */
interface Outcome {
  readonly code: number;
  readonly reason?: string;
  readonly violations?: number;
  /** Bytes of the error's trailers (grpc-message and grpc-status-details-bin as sent: percent-encoded / base64). */
  readonly trailerBytes: number;
}

/** One oversized request and the error it must get. */
interface Case {
  readonly name: string;
  readonly service: DescService;
  readonly method: string;
  readonly stream: boolean;
  readonly desc: DescMessage;
  readonly init: MessageInitShape<DescMessage>;
  readonly code: Code;
  readonly reason: string;
  readonly violations?: number;
}

const TRAILER_BUDGET = 16 * 1024;
const DEADLINE_MS = 20_000;
const longId = (i: number) => `${'i'.repeat(190)}-${String(i).padStart(3, '0')}`;
const hugeBadExpression = `a = ${'@'.repeat(100_000 - 4)}`;
const lateBadExpression = `s = "${'x'.repeat(15_900)}" AND = 1`; // within the length limit; the error is at its end

const cases: Case[] = [
  ...(['query', 'count', 'explain'] as const).map((m): Case => ({
    name: `${m} with a 100,000-character invalid filter_expression`,
    service: QueryService,
    method: m,
    stream: m === 'query',
    desc: { query: QueryRequestSchema, count: CountRequestSchema, explain: ExplainRequestSchema }[m] as DescMessage,
    init: { collection: 'c', filterExpression: hugeBadExpression },
    code: Code.InvalidArgument,
    reason: 'INVALID_FILTER',
  })),
  {
    name: 'count with a syntax error at the end of a 16,000-character expression',
    service: QueryService,
    method: 'count',
    stream: false,
    desc: CountRequestSchema as DescMessage,
    init: { collection: 'c', filterExpression: lateBadExpression },
    code: Code.InvalidArgument,
    reason: 'INVALID_FILTER',
  },
  {
    name: 'batchGet with an invalid id of 100 KB',
    service: DocumentService,
    method: 'batchGet',
    stream: true,
    desc: BatchGetRequestSchema as DescMessage,
    init: { collection: 'c', ids: ['ok', '\u0001'.repeat(100 * 1024)] },
    code: Code.InvalidArgument,
    reason: 'INVALID_ID',
  },
  {
    name: 'commit of 100 writes whose etag preconditions all fail',
    service: DocumentService,
    method: 'commit',
    stream: false,
    desc: CommitRequestSchema as DescMessage,
    init: {
      writes: Array.from({ length: 100 }, (_, i) => ({
        collection: 'c',
        id: longId(i),
        operation: { case: 'check', value: {} },
        precondition: { condition: { case: 'etag', value: `stale-${'e'.repeat(200)}` } },
      })),
    },
    // As many as fit in the 3 KiB violation budget (ERROR_BOUNDS.violationBytes; 11 of these ~270-byte ones) + one "N more".
    code: Code.Aborted,
    reason: 'PRECONDITION_FAILED',
    violations: 12,
  },
  {
    name: 'commit of 100 writes whose etag preconditions (3-byte characters) all fail',
    service: DocumentService,
    method: 'commit',
    stream: false,
    desc: CommitRequestSchema as DescMessage,
    init: {
      writes: Array.from({ length: 100 }, (_, i) => ({
        collection: 'c',
        id: `s${i}`,
        operation: { case: 'check', value: {} },
        precondition: { condition: { case: 'etag', value: '\u6f22'.repeat(1000) } },
      })),
    },
    code: Code.Aborted,
    reason: 'PRECONDITION_FAILED',
    violations: 12, // the budget counts bytes, not characters
  },
];

let server: ServerProcess;
let raw: grpc.Client;
let transports: Record<'connect-grpc' | 'connect', Transport>;

beforeAll(async () => {
  server = await startServer({ SB_STORAGE: 'memory', SB_METRICS: 'off' });
  raw = new grpc.Client(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
  transports = {
    'connect-grpc': createGrpcTransport({ baseUrl: server.grpcUrl }),
    connect: createConnectTransport({ baseUrl: `http://127.0.0.1:${server.httpPort}`, httpVersion: '1.1' }),
  };
  const docs = createClient(DocumentService, transports['connect-grpc']);
  for (let i = 0; i < 100; i++) {
    await docs.put({ collection: 'c', id: longId(i), data: { i } });
    await docs.put({ collection: 'c', id: `s${i}`, data: { i } });
  }
});

afterAll(async () => {
  raw?.close();
  await server?.stop();
});

function methodPath(c: Case): string {
  const m = c.service.methods.find((x) => x.localName === c.method);
  if (m === undefined) throw new Error(`no method ${c.method}`);
  return `/${c.service.typeName}/${m.name}`;
}

function fromStatusDetails(bin: Uint8Array | undefined): Pick<Outcome, 'reason' | 'violations'> {
  if (bin === undefined) return {};
  const status = fromBinary(StatusSchema, bin);
  let reason: string | undefined;
  let violations: number | undefined;
  for (const d of status.details) {
    reason = anyUnpack(d, ErrorInfoSchema)?.reason ?? reason;
    violations = anyUnpack(d, PreconditionFailureSchema)?.violations.length ?? violations;
  }
  return { ...(reason === undefined ? {} : { reason }), ...(violations === undefined ? {} : { violations }) };
}

/** The call through a raw @grpc/grpc-js Client (makeUnaryRequest / makeServerStreamRequest), bytes in and out. */
function grpcJsCall(c: Case): Promise<Outcome> {
  const bytes = Buffer.from(toBinary(c.desc, create(c.desc, c.init)));
  const id = (b: Buffer) => b;
  return new Promise((resolve) => {
    const onStatus = (st: grpc.StatusObject) => {
      const headers = st.metadata.toHttp2Headers();
      let trailerBytes = 'grpc-message'.length + encodeURIComponent(st.details).length;
      for (const [k, v] of Object.entries(headers)) trailerBytes += k.length + [v].flat().join(',').length;
      const bin = st.metadata.get('grpc-status-details-bin')[0];
      resolve({ code: st.code, trailerBytes, ...fromStatusDetails(Buffer.isBuffer(bin) ? bin : undefined) });
    };
    const opts = { deadline: Date.now() + DEADLINE_MS };
    if (c.stream) {
      const call = raw.makeServerStreamRequest(methodPath(c), id, id, bytes, new grpc.Metadata(), opts);
      call.on('data', () => undefined);
      call.on('error', () => undefined);
      call.on('status', onStatus);
    } else {
      raw.makeUnaryRequest(methodPath(c), id, id, bytes, new grpc.Metadata(), opts, () => undefined).on('status', onStatus);
    }
  });
}

/** The call through a connect-node client; trailer bytes are the message plus every header of the error. */
async function connectCall(c: Case, transport: Transport): Promise<Outcome> {
  const client = createClient(c.service, transport) as unknown as Record<string, (req: unknown, o: object) => unknown>;
  const call = client[c.method] as (req: unknown, o: object) => unknown;
  try {
    const res = call(c.init, { timeoutMs: DEADLINE_MS });
    if (c.stream) for await (const _ of res as AsyncIterable<unknown>) void _;
    else await res;
    throw new Error(`${c.name} succeeded`);
  } catch (e) {
    const err = ConnectError.from(e);
    let trailerBytes = encodeURIComponent(err.rawMessage).length;
    err.metadata.forEach((v, k) => {
      trailerBytes += k.length + v.length;
    });
    const info = err.findDetails(ErrorInfoSchema)[0];
    const failure = err.findDetails(PreconditionFailureSchema)[0];
    return {
      code: err.code,
      trailerBytes,
      ...(info === undefined ? {} : { reason: info.reason }),
      ...(failure === undefined ? {} : { violations: failure.violations.length }),
    };
  }
}

function expectBounded(c: Case, got: Outcome): void {
  expect({ code: got.code, reason: got.reason, violations: got.violations }).toEqual({
    code: c.code,
    reason: c.reason,
    violations: c.violations,
  });
  expect(got.trailerBytes).toBeLessThan(TRAILER_BUDGET);
}

describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
  test('@grpc/grpc-js gets the code, ErrorInfo and small trailers before its deadline', async () => {
    expectBounded(c, await grpcJsCall(c));
  });

  test.each(['connect-grpc', 'connect'] as const)('connect-node (%s) gets the code, ErrorInfo and a small error', async (t) => {
    expectBounded(c, await connectCall(c, transports[t]));
  });
});

test('Python grpcio (default 8 KiB metadata limit) gets every error, not RESOURCE_EXHAUSTED "received metadata size exceeds"', async () => {
  const python = join(__dirname, '..', '..', '.venv', 'bin', 'python');
  const script = join(__dirname, 'python', 'call_raw.py');
  const spec = {
    target: `127.0.0.1:${server.grpcPort}`,
    calls: cases.map((c) => ({
      name: c.name,
      method: methodPath(c),
      stream: c.stream,
      request_b64: Buffer.from(toBinary(c.desc, create(c.desc, c.init))).toString('base64'),
    })),
  };
  const out = await new Promise<string>((resolve, reject) => {
    const child = execFile(python, [script], { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin!.end(JSON.stringify(spec));
  });
  const results = JSON.parse(out) as Record<string, { code: string; reason?: string; violations?: number; trailer_bytes: number }>;
  for (const c of cases) {
    const got = results[c.name];
    expect({ name: c.name, code: got?.code, reason: got?.reason, violations: got?.violations }).toEqual({
      name: c.name,
      code: Code[c.code].replace(/[A-Z]/g, (x, i: number) => (i === 0 ? x : `_${x}`)).toUpperCase(),
      reason: c.reason,
      violations: c.violations,
    });
    expect(got!.trailer_bytes).toBeLessThan(TRAILER_BUDGET);
  }
});
