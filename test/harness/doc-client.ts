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
import { LockService } from '../../server/src/gen/smarterbase/v1/lock_service_pb.js';

/** A DocumentService client. */
export type DocClient = Client<typeof DocumentService>;

/** A client speaking native gRPC (HTTP/2) to `baseUrl` (e.g. http://127.0.0.1:50051). */
export function docClient(baseUrl: string): DocClient {
  return createClient(DocumentService, createGrpcTransport({ baseUrl }));
}

/** Document, query, admin and lock clients of one server. */
export interface ServerClients {
  readonly docs: DocClient;
  readonly query: Client<typeof QueryService>;
  readonly admin: Client<typeof AdminService>;
  readonly locks: Client<typeof LockService>;
}

/** All four clients over one gRPC transport to `baseUrl`. */
export function serverClients(baseUrl: string): ServerClients {
  const transport = createGrpcTransport({ baseUrl });
  return {
    docs: createClient(DocumentService, transport),
    query: createClient(QueryService, transport),
    admin: createClient(AdminService, transport),
    locks: createClient(LockService, transport),
  };
}
