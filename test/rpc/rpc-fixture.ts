/**
 * Test fixture: an in-process RpcServer on free ports over a real
 * DocumentEngine + MemoryBlobStore, optionally wrapped, with clients for
 * both transports (gRPC to the grpc-js port, Connect JSON over HTTP/1.1 to
 * the HTTP port).
 */
import { createClient, type Client } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentEngine } from '../../server/src/engine/document-engine.js';
import type { DocumentApi } from '../../server/src/api/document-api.js';
import { MemoryBlobStore } from '../../server/src/storage/memory/memory-store.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { RpcServer, type BoundPorts } from '../../server/src/rpc/server/rpc-server.js';
import { LocalCoordinator } from '../../server/src/coordination/local/local-coordinator.js';

/** A running server and its clients. */
export interface RpcFixture {
  readonly server: RpcServer;
  readonly ports: BoundPorts;
  readonly engine: DocumentApi;
  /** DocumentService over gRPC to the grpc-js port. */
  readonly grpc: Client<typeof DocumentService>;
  /** DocumentService over Connect JSON, HTTP/1.1, to the HTTP port. */
  readonly connect: Client<typeof DocumentService>;
  /** Received the unexpected errors the server logged. */
  readonly internalErrors: unknown[];
}

/** Starts a server; `wrap` may decorate the engine (slow calls, failures). */
export async function startFixture(wrap?: (api: DocumentApi) => DocumentApi, maxMessageBytes?: number): Promise<RpcFixture> {
  const engine = new DocumentEngine({ coordinator: new LocalCoordinator(), store: new MemoryBlobStore() });
  const internalErrors: unknown[] = [];
  const server = new RpcServer({
    api: wrap ? wrap(engine) : engine,
    grpcPort: 0,
    httpPort: 0,
    maxMessageBytes,
    logInternal: (e) => internalErrors.push(e),
  });
  const ports = await server.start();
  const grpc = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${ports.grpcPort}` }));
  const connect = createClient(
    DocumentService,
    createConnectTransport({ baseUrl: `http://127.0.0.1:${ports.httpPort}`, httpVersion: '1.1' }),
  );
  return { server, ports, engine, grpc, connect, internalErrors };
}
