import { createClient, type ServiceImpl, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ObjectService, type UploadRequestSchema } from '../gen/smarterbase/v1/object_service_pb.js';
import { ConnectEndpoint } from './connect-mount.js';
import { typedService } from './typed-service.js';

const MiB = 1024 * 1024;
let ep: ConnectEndpoint;
let base: string;
let release: () => void = () => undefined;
let received = 0;

beforeAll(async () => {
  // Reads one message, then stops reading until released (a handler waiting for S3), then drains.
  const impl: Pick<ServiceImpl<typeof ObjectService>, 'upload'> = {
    async upload(reqs) {
      const it = reqs[Symbol.asyncIterator]();
      await it.next();
      received = 1;
      await new Promise<void>((r) => (release = r));
      while (!(await it.next()).done) received++;
      return {};
    },
  };
  ep = new ConnectEndpoint({
    services: [typedService(ObjectService, impl as ServiceImpl<typeof ObjectService>)],
    readMaxBytes: 8 * MiB,
    writeMaxBytes: 8 * MiB,
  });
  base = `http://127.0.0.1:${await ep.listen('127.0.0.1', 0)}`;
});
afterAll(() => ep.shutdown(0));

test.each([
  ['Connect over HTTP/2', () => createConnectTransport({ baseUrl: base, httpVersion: '2' })],
  ['gRPC over h2c', () => createGrpcTransport({ baseUrl: base })],
])('%s: a client-streaming handler that stops reading stops the transport', async (_name, transport: () => Transport) => {
  const client = createClient(ObjectService, transport());
  const TOTAL = 40;
  let pulled = 0;
  received = 0;
  async function* messages(): AsyncGenerator<MessageInitShape<typeof UploadRequestSchema>> {
    for (let i = 0; i < TOTAL; i++) {
      pulled++;
      yield { kind: { case: 'data', value: new Uint8Array(MiB) }, finishWrite: i === TOTAL - 1 };
    }
  }
  const call = client.upload(messages());
  // Wait (a hang guard of 30 s) until the client stops making progress against the stalled handler.
  let last = -1;
  for (let i = 0; i < 100 && pulled !== last; i++) {
    last = pulled;
    await new Promise((r) => setTimeout(r, 300));
  }
  // Bounded by the HTTP/2 windows and Node's stream buffers, not by the stream's length.
  expect(pulled).toBeLessThanOrEqual(8);
  release();
  await call;
  expect(received).toBe(TOTAL);
});
