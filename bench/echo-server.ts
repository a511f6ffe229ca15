/**
 * The throughput baseline: a bare @grpc/grpc-js server that answers
 * smarterbase.v1.DocumentService/Get with the benchmark document and nothing
 * else (no validation, storage or logging). It decodes each request and
 * encodes each response with protobuf-es, as any real server must, so the
 * figure is the cost of gRPC + codec alone.
 *
 * Run as its own process: `node dist/bench/echo-server.js [--document-bytes N]`.
 * Binds 127.0.0.1 on a free port and prints one JSON line
 * `{"msg":"listening","grpcPort":N}` on stdout (same shape as the server's log).
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { Command } from 'commander';
import {
  GetRequestSchema,
  GetResponseSchema,
  type GetRequest,
  type GetResponse,
} from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';
import { methodPath } from './doc-client.js';
import { DEFAULT_DOCUMENT_BYTES, makeDocument } from './payload.js';

/** Starts the echo server on 127.0.0.1:0; resolves with the server and its port. */
export async function startEchoServer(documentBytes = DEFAULT_DOCUMENT_BYTES): Promise<{ server: grpc.Server; port: number }> {
  const data = makeDocument(documentBytes);
  const now = timestampFromMs(Date.now());
  const definition: grpc.ServiceDefinition = {
    Get: {
      path: methodPath('Get'),
      requestStream: false,
      responseStream: false,
      requestSerialize: (m: GetRequest) => Buffer.from(toBinary(GetRequestSchema, m)),
      requestDeserialize: (b: Buffer) => fromBinary(GetRequestSchema, b),
      responseSerialize: (m: GetResponse) => {
        const bytes = toBinary(GetResponseSchema, m);
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
      responseDeserialize: (b: Buffer) => fromBinary(GetResponseSchema, b),
    },
  };
  const get: grpc.handleUnaryCall<GetRequest, GetResponse> = (call, callback) => {
    const { collection, id } = call.request;
    callback(
      null,
      create(GetResponseSchema, {
        document: { collection, id, data, etag: 'echo-etag', version: 1n, createTime: now, updateTime: now },
      }),
    );
  };
  const server = new grpc.Server();
  server.addService(definition, { Get: get });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--document-bytes <n>', 'JSON size of the returned document', String(DEFAULT_DOCUMENT_BYTES))
    .parse()
    .opts<{ documentBytes: string }>();
  const { server, port } = await startEchoServer(Number(opts.documentBytes));
  const stop = () => {
    server.forceShutdown();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ msg: 'listening', grpcPort: port })}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`echo-server: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  });
}
