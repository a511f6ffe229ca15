/**
 * Issue 8, defect 10: the small contract gaps, through a real server process
 * on both ports (connect-node's gRPC transport to the grpc-js port, Connect
 * JSON over HTTP/1.1 to the connect-node port): page_size clamping, page
 * tokens bound to their request but not to page_size, resume tokens bound to
 * their query, lock ttl ranges, and the id rules (controls, separators, bidi
 * controls, NFC).
 */
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { BadRequestSchema, ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { LockService } from '../../server/src/gen/smarterbase/v1/lock_service_pb.js';
import { Direction, FieldFilter_Operator, FilterSchema } from '../../server/src/gen/smarterbase/v1/query_pb.js';
import { QueryService } from '../../server/src/gen/smarterbase/v1/query_service_pb.js';
import { jsonToValue } from '../../server/src/rpc/convert/convert-filter.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

jest.setTimeout(60_000);

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer({ SB_STORAGE: 'memory', SB_COORDINATION: 'local' });
});
afterAll(async () => {
  await server?.stop();
});

function clients(port: 'grpc' | 'connect') {
  const transport =
    port === 'grpc'
      ? createGrpcTransport({ baseUrl: server.grpcUrl })
      : createConnectTransport({ baseUrl: `http://127.0.0.1:${server.httpPort}`, httpVersion: '1.1' });
  return {
    docs: createClient(DocumentService, transport),
    query: createClient(QueryService, transport),
    locks: createClient(LockService, transport),
  };
}

async function failure(p: Promise<unknown> | (() => Promise<unknown>)): Promise<ConnectError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected the call to fail');
}

/** Code, ErrorInfo reason and BadRequest field of a failure. */
function shape(e: ConnectError): [Code, string | undefined, string | undefined] {
  const info = e.findDetails(ErrorInfoSchema)[0];
  expect(info?.domain).toBe('smarterbase.v1');
  return [e.code, info?.reason, e.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field];
}

const INVALID_TOKEN = (field: string) => [Code.InvalidArgument, 'INVALID_PAGE_TOKEN', field];

describe.each(['grpc', 'connect'] as const)('over %s', (port) => {
  const col = `gaps-${port}`;
  let c: ReturnType<typeof clients>;
  const ids = Array.from({ length: 1005 }, (_, i) => `d${String(i).padStart(4, '0')}`);

  beforeAll(async () => {
    c = clients(port);
    for (let i = 0; i < ids.length; i += 500) {
      const writes = ids
        .slice(i, i + 500)
        .map((id) => ({ operation: { case: 'put' as const, value: { id, data: { n: Number(id.slice(1)) } } } }));
      await c.docs.batchWrite({ collection: col, writes });
    }
  });

  test('a page_size above 1000 is served as 1000 (documented clamp); a negative one is INVALID_ARGUMENT', async () => {
    const page = await c.docs.list({ collection: col, pageSize: 5000, keysOnly: true });
    expect(page.documents).toHaveLength(1000);
    expect(page.nextPageToken).not.toBe('');
    const rest = await c.docs.list({ collection: col, pageSize: 5000, keysOnly: true, pageToken: page.nextPageToken });
    expect(rest.documents.map((d) => d.id)).toEqual(ids.slice(1000));
    expect(shape(await failure(c.docs.list({ collection: col, pageSize: -1 })))).toEqual([
      Code.InvalidArgument,
      'INVALID_ARGUMENT',
      'page_size',
    ]);
  });

  test('page_size may change between pages; collection, id_prefix and keys_only may not', async () => {
    const first = await c.docs.list({ collection: col, pageSize: 3, idPrefix: 'd00' });
    const second = await c.docs.list({ collection: col, pageSize: 7, idPrefix: 'd00', pageToken: first.nextPageToken });
    expect(second.documents.map((d) => d.id)).toEqual(ids.slice(3, 10));
    for (const other of [
      { collection: 'elsewhere', idPrefix: 'd00' },
      { collection: col, idPrefix: 'd01' },
      { collection: col, idPrefix: 'd00', keysOnly: true },
    ]) {
      const e = await failure(c.docs.list({ ...other, pageSize: 3, pageToken: first.nextPageToken }));
      expect(shape(e)).toEqual(INVALID_TOKEN('page_token'));
      expect(e.rawMessage).toMatch(/collection, id_prefix and keys_only must match/);
    }
  });

  test('a resume token continues only its query: same collection, filter and order; limit and projection may change', async () => {
    const base = { collection: col, filterExpression: 'n >= 990', orderBy: [{ field: 'n', direction: Direction.DESCENDING }] };
    let token = '';
    for await (const m of c.query.query({ ...base, limit: 3 })) if (m.document) token = m.resumeToken;
    const after = async (req: Record<string, unknown>): Promise<string[]> => {
      const out: string[] = [];
      for await (const m of c.query.query({ ...base, startAfter: token, ...req })) if (m.document) out.push(m.document.id);
      return out;
    };
    const expected = ['d1001', 'd1000', 'd0999', 'd0998', 'd0997', 'd0996', 'd0995', 'd0994', 'd0993', 'd0992', 'd0991', 'd0990'];
    expect(await after({})).toEqual(expected);
    expect(await after({ limit: 2, projection: { fieldPaths: ['n'] } })).toEqual(expected.slice(0, 2));
    const typed = create(FilterSchema, {
      filterType: { case: 'fieldFilter', value: { field: 'n', op: FieldFilter_Operator.GTE, value: jsonToValue(990) } },
    });
    expect(await after({ filterExpression: '', filter: typed })).toEqual(expected);
    for (const other of [
      { filterExpression: 'n >= 991' },
      { orderBy: [{ field: 'n', direction: Direction.ASCENDING }] },
      { collection: 'elsewhere' },
    ]) {
      const e = await failure(() => after(other));
      expect(shape(e)).toEqual(INVALID_TOKEN('start_after'));
      expect(e.rawMessage).toMatch(/collection, filter and order_by must match/);
    }
    // A resume token is no page token, and the other way round.
    expect(shape(await failure(c.docs.list({ collection: col, pageToken: token })))).toEqual(INVALID_TOKEN('page_token'));
    const page = await c.docs.list({ collection: col, pageSize: 1 });
    expect(shape(await failure(() => after({ startAfter: page.nextPageToken })))).toEqual(INVALID_TOKEN('start_after'));
  });

  test.each([
    ['huge', { seconds: 10n ** 12n, nanos: 0 }],
    ['max int64', { seconds: 2n ** 63n - 1n, nanos: 0 }],
    ['negative', { seconds: -1n, nanos: 0 }],
  ])('a %s lock ttl is INVALID_ARGUMENT (field ttl) naming the allowed range', async (_, ttl) => {
    for (const [call, min] of [
      [() => c.locks.acquire({ name: `l-${port}`, ttl }), 100],
      [() => c.locks.renew({ name: `l-${port}`, leaseId: 'x', ttl }), 100],
      [
        async () => {
          for await (const _m of c.locks.hold({ name: `h-${port}`, ttl })) break;
        },
        1000,
      ],
    ] as const) {
      const e = await failure(call);
      expect(shape(e)).toEqual([Code.InvalidArgument, 'INVALID_ARGUMENT', 'ttl']);
      expect(e.rawMessage).toBe(`ttl must be between ${min} ms and 600000 ms (10 minutes)`);
      expect(e.findDetails(ErrorInfoSchema)[0]?.metadata).toEqual({ field: 'ttl', minMs: String(min), maxMs: '600000' });
    }
  });

  test.each([
    ['NEL', 'a\u0085b'],
    ['a C1 control', 'a\u0080'],
    ['LINE SEPARATOR', 'a\u2028b'],
    ['PARAGRAPH SEPARATOR', 'a\u2029b'],
    ['RIGHT-TO-LEFT OVERRIDE', 'invoice\u202Etxt.exe'],
    ['a leading byte order mark (protobuf-es used to drop it silently)', '\uFEFFa'],
    ['a byte order mark', 'a\uFEFFb'],
    ['an NFD spelling', 'Cafe\u0301'],
  ])('an id with %s is INVALID_ID on writes, reads and prefixes', async (_, id) => {
    const invalidId = (field: string) => [Code.InvalidArgument, 'INVALID_ID', field];
    expect(shape(await failure(c.docs.put({ collection: col, id, data: { a: 1 } })))).toEqual(invalidId('id'));
    expect(shape(await failure(c.docs.create({ collection: col, id, data: { a: 1 } })))).toEqual(invalidId('id'));
    expect(shape(await failure(c.docs.get({ collection: col, id })))).toEqual(invalidId('id'));
    expect(shape(await failure(c.docs.list({ collection: col, idPrefix: id })))).toEqual(invalidId('id_prefix'));
    // Deletes accept what earlier versions stored, so such documents can be removed.
    expect((await c.docs.delete({ collection: col, id })).deleted).toBe(false);
  });

  test('the NFC spelling of an id is stored and read back; the message of the NFD one says why', async () => {
    const nfc = 'Caf\u00E9';
    await c.docs.put({ collection: col, id: nfc, data: { a: 1 } });
    expect((await c.docs.get({ collection: col, id: nfc })).document?.id).toBe(nfc);
    expect((await failure(c.docs.get({ collection: col, id: nfc.normalize('NFD') }))).rawMessage).toMatch(/normalization form C \(NFC\)/);
    expect((await c.docs.put({ collection: col, id: 'family-\u{1F468}\u200D\u{1F469}\u200D\u{1F467}', data: {} })).document?.id).toContain(
      '\u200D',
    );
  });
});
