/**
 * A raw DocumentService client for cross-process tests (the generated
 * descriptors with connect-node's gRPC transport), independent of the
 * client wrappers under test elsewhere.
 */
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';

/** A DocumentService client. */
export type DocClient = Client<typeof DocumentService>;

/** A client speaking native gRPC (HTTP/2) to `baseUrl` (e.g. http://127.0.0.1:50051). */
export function docClient(baseUrl: string): DocClient {
  return createClient(DocumentService, createGrpcTransport({ baseUrl }));
}
