/**
 * The throughput baseline: a bare @grpc/grpc-js server that answers
 * smarterbase.v1.DocumentService/Get with the benchmark document and nothing
 * else (no validation, storage or logging). It decodes each request and
 * encodes each response with protobuf-es, as any real server must, so the
 * figure is the cost of gRPC + codec alone.
 *
 * With `preEncoded` (`--pre-encoded`) it is the gRPC-only ceiling instead: the
 * request bytes are not decoded and every call answers the same response bytes,
 * encoded once at start (collection "bench", id "doc-1kb": what the throughput
 * scenario asks for), so no codec work is left at all.
 *
 * Run as its own process: `node dist/bench/echo-server.js [--document-bytes N] [--pre-encoded]`.
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

/** The collection and id the pre-encoded echo answers with, whatever was asked. */
export const PRE_ENCODED_DOCUMENT = { collection: 'bench', id: 'doc-1kb' } as const;

/**
 * Starts the echo server on 127.0.0.1:0; resolves with the server and its port.
 * `preEncoded`: answer pre-encoded bytes without decoding requests (see the file comment).
 */
export async function startEchoServer(
  documentBytes = DEFAULT_DOCUMENT_BYTES,
  preEncoded = false,
): Promise<{ server: grpc.Server; port: number }> {
  const data = makeDocument(documentBytes);
  // Whole seconds + 0.5 s: the nanos field always has the same encoded length (a millisecond of 0
  // would drop it, a small one shorten it), so two echo servers answer the same number of bytes.
  const now = timestampFromMs(Math.floor(Date.now() / 1000) * 1000 + 500);
  const response = (collection: string, id: string): GetResponse =>
    create(GetResponseSchema, {
      document: { collection, id, data, etag: 'echo-etag', version: 1n, createTime: now, updateTime: now },
    });
  const fixed = Buffer.from(toBinary(GetResponseSchema, response(PRE_ENCODED_DOCUMENT.collection, PRE_ENCODED_DOCUMENT.id)));
  const definition: grpc.ServiceDefinition = preEncoded
    ? preEncodedDefinition()
    : {
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
    callback(null, response(collection, id));
  };
  const getFixed: grpc.handleUnaryCall<Buffer, Buffer> = (_call, callback) => callback(null, fixed);
  const server = new grpc.Server();
  server.addService(definition, { Get: preEncoded ? getFixed : get });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { server, port };
}

/** Get with identity codecs: the request stays bytes, the response bytes go out as they are. */
function preEncodedDefinition(): grpc.ServiceDefinition {
  const identity = (b: Buffer) => b;
  return {
    Get: {
      path: methodPath('Get'),
      requestStream: false,
      responseStream: false,
      requestSerialize: identity,
      requestDeserialize: identity,
      responseSerialize: identity,
      responseDeserialize: identity,
    },
  };
}

async function main(): Promise<void> {
  const opts = new Command()
    .option('--document-bytes <n>', 'JSON size of the returned document', String(DEFAULT_DOCUMENT_BYTES))
    .option('--pre-encoded', 'answer pre-encoded response bytes, decode nothing (the gRPC-only ceiling)', false)
    .parse()
    .opts<{ documentBytes: string; preEncoded: boolean }>();
  const { server, port } = await startEchoServer(Number(opts.documentBytes), opts.preEncoded);
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
