import * as grpc from '@grpc/grpc-js';
import { createClient, type ServiceImpl } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ObjectService, type UploadRequestSchema } from '../gen/smarterbase/v1/object_service_pb.js';
import { CLIENT_STREAM_BUFFERED_MESSAGES, mountGrpc } from './grpc-mount.js';

const MiB = 1024 * 1024;
let server: grpc.Server;
let port: number;
let release: () => void = () => undefined;
let received = 0;

beforeAll(async () => {
  server = new grpc.Server({ 'grpc.max_receive_message_length': 8 * MiB });
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
  mountGrpc(server, ObjectService, impl as ServiceImpl<typeof ObjectService>);
  port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
});
afterAll(() => server.forceShutdown());

test('a client-streaming handler that stops reading stops the transport: a few messages are buffered, not the stream', async () => {
  const client = createClient(ObjectService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
  const TOTAL = 40;
  let pulled = 0;
  async function* messages(): AsyncGenerator<MessageInitShape<typeof UploadRequestSchema>> {
    for (let i = 0; i < TOTAL; i++) {
      pulled++;
      yield { kind: { case: 'data', value: new Uint8Array(MiB) }, finishWrite: i === TOTAL - 1 };
    }
  }
  const call = client.upload(messages());
  // Wait (a hang guard of 10 s) until the client stops making progress against the stalled handler.
  let last = -1;
  for (let i = 0; i < 100 && pulled !== last; i++) {
    last = pulled;
    await new Promise((r) => setTimeout(r, 300));
  }
  // What the server holds: its request buffer (2 messages), the message grpc-js is decoding, and the
  // HTTP/2 windows; Node's default object-mode buffer alone would have taken 16 messages.
  expect(CLIENT_STREAM_BUFFERED_MESSAGES).toBe(2);
  expect(pulled).toBeLessThanOrEqual(8);
  release();
  await call;
  expect(received).toBe(TOTAL);
});
