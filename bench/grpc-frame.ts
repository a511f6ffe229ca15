/**
 * gRPC message framing for load generators that speak plain HTTP/2 (h2load):
 * the 5-byte length prefix of the gRPC wire format and the framed GetRequest
 * the throughput scenario sends.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { GetRequestSchema } from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';

/** Bytes of the gRPC message prefix: 1 compressed flag + 4 length (big-endian). */
export const GRPC_PREFIX_BYTES = 5;

/** `message` as one uncompressed gRPC length-prefixed message. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(GRPC_PREFIX_BYTES + message.byteLength);
  frame.writeUInt8(0, 0);
  frame.writeUInt32BE(message.byteLength, 1);
  frame.set(message, GRPC_PREFIX_BYTES);
  return frame;
}

/** The framed request body of DocumentService.Get for one document. */
export function getRequestBody(collection: string, id: string): Buffer {
  return grpcFrame(toBinary(GetRequestSchema, create(GetRequestSchema, { collection, id })));
}
