/**
 * A request repeating a top-level field hundreds of thousands of times is
 * refused before it is decoded on both ports and in every binary protocol
 * of the HTTP port (issue 8: one 5 MB BatchGet of 300,000 ids held the event
 * loop of the HTTP port for every client while connect decoded it). The
 * message names the scan's limit, not BatchGet's own (which is checked only
 * after decoding); valid requests still work in every protocol.
 */
import { createClient, ConnectError, Code, type Client, type Transport } from '@connectrpc/connect';
import { compressionGzip, createConnectTransport, createGrpcTransport, createGrpcWebTransport } from '@connectrpc/connect-node';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

let srv: ServerProcess;
beforeAll(async () => {
  srv = await startServer({ SB_STORAGE: 'memory' });
  const c = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${srv.grpcPort}` }));
  await c.put({ collection: 'huge', id: 'a', data: { n: 1 } });
  await c.put({ collection: 'huge', id: 'b', data: { n: 2 } });
}, 30_000);
afterAll(async () => {
  await srv.stop();
});

/** 300,000 ids of 14 bytes: 4.8 MB on the wire, under the 5 MiB message limit. */
const HUGE_IDS = Array.from({ length: 300_000 }, (_, i) => `id-${String(i).padStart(11, '0')}`);

const transports: [string, () => Transport][] = [
  ['the gRPC port (gRPC)', () => createGrpcTransport({ baseUrl: `http://127.0.0.1:${srv.grpcPort}` })],
  ['the HTTP port, gRPC over h2c', () => createGrpcTransport({ baseUrl: `http://127.0.0.1:${srv.httpPort}` })],
  [
    'the HTTP port, gRPC-Web binary',
    () => createGrpcWebTransport({ baseUrl: `http://127.0.0.1:${srv.httpPort}`, httpVersion: '1.1', useBinaryFormat: true }),
  ],
  [
    'the HTTP port, Connect binary',
    () => createConnectTransport({ baseUrl: `http://127.0.0.1:${srv.httpPort}`, httpVersion: '1.1', useBinaryFormat: true }),
  ],
];

async function batchGetError(client: Client<typeof DocumentService>, ids: string[]): Promise<ConnectError> {
  try {
    for await (const item of client.batchGet({ collection: 'huge', ids })) void item;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected the BatchGet to fail');
}

describe.each(transports)('on %s', (_name, transport) => {
  test('a BatchGet of 300,000 ids is INVALID_ARGUMENT naming the pre-decode limit, with an ErrorInfo', async () => {
    const err = await batchGetError(createClient(DocumentService, transport()), HUGE_IDS);
    expect(err.code).toBe(Code.InvalidArgument);
    expect(err.rawMessage).toMatch(/^ids has more than 10000 elements$/);
    const info = err.findDetails(ErrorInfoSchema)[0];
    expect(info?.domain).toBe('smarterbase.v1');
    expect(info?.reason).toBe('INVALID_ARGUMENT');
    expect(info?.metadata.field).toBe('ids');
  }, 30_000);

  test('valid BatchGet, Put and Get still answer', async () => {
    const client = createClient(DocumentService, transport());
    const found: string[] = [];
    for await (const item of client.batchGet({ collection: 'huge', ids: ['a', 'b', 'missing'] })) if (item.found) found.push(item.id);
    expect(found.sort()).toEqual(['a', 'b']);
    const id = `p-${_name.replace(/\W+/g, '-')}`;
    await client.put({ collection: 'huge', id, data: { list: Array.from({ length: 20_000 }, (_, i) => i) } });
    const got = await client.get({ collection: 'huge', id });
    expect((got.document?.data?.list as unknown[]).length).toBe(20_000);
  }, 30_000);
});

test('a gzip-compressed BatchGet is still refused, after decoding, by the BatchGet limit (HTTP port, Connect)', async () => {
  const client = createClient(
    DocumentService,
    createConnectTransport({
      baseUrl: `http://127.0.0.1:${srv.httpPort}`,
      httpVersion: '1.1',
      useBinaryFormat: true,
      sendCompression: compressionGzip,
    }),
  );
  const err = await batchGetError(client, HUGE_IDS.slice(0, 20_000));
  expect(err.code).toBe(Code.InvalidArgument);
  expect(err.findDetails(ErrorInfoSchema)[0]?.domain).toBe('smarterbase.v1');
}, 30_000);
