/**
 * Raw clients for cross-process tests (the generated descriptors with
 * connect-node's gRPC transport), independent of the client wrappers under
 * test elsewhere.
 */
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { QueryService } from '../../server/src/gen/smarterbase/v1/query_service_pb.js';
import { AdminService } from '../../server/src/gen/smarterbase/v1/admin_service_pb.js';

/** A DocumentService client. */
export type DocClient = Client<typeof DocumentService>;

/** A client speaking native gRPC (HTTP/2) to `baseUrl` (e.g. http://127.0.0.1:50051). */
export function docClient(baseUrl: string): DocClient {
  return createClient(DocumentService, createGrpcTransport({ baseUrl }));
}

/** Document, query and admin clients of one server. */
export interface ServerClients {
  readonly docs: DocClient;
  readonly query: Client<typeof QueryService>;
  readonly admin: Client<typeof AdminService>;
}

/** All three clients over one gRPC transport to `baseUrl`. */
export function serverClients(baseUrl: string): ServerClients {
  const transport = createGrpcTransport({ baseUrl });
  return {
    docs: createClient(DocumentService, transport),
    query: createClient(QueryService, transport),
    admin: createClient(AdminService, transport),
  };
}
