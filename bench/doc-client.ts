/**
 * The two gRPC clients the benchmark can drive, behind one small interface:
 * grpc-js (`Client.makeUnaryRequest` with protobuf-es codecs, the same path
 * `makeGenericClientConstructor` clients take) and connect-node's
 * `createGrpcTransport`. Both speak plain gRPC over one HTTP/2 connection.
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary, type DescMessage, type JsonObject, type MessageShape } from '@bufbuild/protobuf';
import { createClient, type Client } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import {
  DocumentService,
  GetRequestSchema,
  GetResponseSchema,
  PutRequestSchema,
  PutResponseSchema,
  type GetResponse,
  type PutResponse,
} from '../clients/ts/src/gen/smarterbase/v1/document_service_pb.js';

/**
 * Which client drives the calls: grpc-js or connect-node, both decoding every
 * response with protobuf-es; or grpc-js in the load loop with the request
 * encoded once and the response bytes left undecoded (the cheapest client
 * possible, so the load generator costs least per call).
 */
export type ClientKind = 'grpc-js' | 'grpc-js-undecoded' | 'connect';

/** All client kinds, for option validation. */
export const CLIENT_KINDS: readonly ClientKind[] = ['grpc-js', 'grpc-js-undecoded', 'connect'];

/** The calls the benchmark makes on smarterbase.v1.DocumentService. */
export interface DocClient {
  /** DocumentService.Get; rejects on any non-OK status. */
  get(collection: string, id: string): Promise<GetResponse>;
  /** DocumentService.Put (upsert) of a JSON object; rejects on any non-OK status. */
  put(collection: string, id: string, data: JsonObject): Promise<PutResponse>;
  /** The Get call a load loop repeats, as cheap per call as this client kind makes it. */
  loadCall(collection: string, id: string): () => Promise<unknown>;
  /** Closes the connection. */
  close(): void;
}

/** Full method path of a DocumentService method, as sent on the wire. */
export function methodPath(method: string): string {
  return `/${DocumentService.typeName}/${method}`;
}

/** Creates a client of `kind` for a gRPC server at `address` (host:port, plaintext). */
export function createDocClient(kind: ClientKind, address: string): DocClient {
  return kind === 'connect' ? connectClient(address) : grpcJsClient(address, kind === 'grpc-js-undecoded');
}

function serializer<D extends DescMessage>(schema: D): (m: MessageShape<D>) => Buffer {
  return (m) => {
    const bytes = toBinary(schema, m);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserializer<D extends DescMessage>(schema: D): (b: Buffer) => MessageShape<D> {
  return (b) => fromBinary(schema, b);
}

const identity = (b: Buffer) => b;

function grpcJsClient(address: string, undecoded: boolean): DocClient {
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    // Large enough for any benchmark document; the defaults apply otherwise.
    'grpc.max_receive_message_length': 16 * 1024 * 1024,
  });
  const getPath = methodPath('Get');
  const putPath = methodPath('Put');
  const sGet = serializer(GetRequestSchema);
  const dGet = deserializer(GetResponseSchema);
  const sPut = serializer(PutRequestSchema);
  const dPut = deserializer(PutResponseSchema);
  const get = (collection: string, id: string) =>
    new Promise<GetResponse>((resolve, reject) => {
      client.makeUnaryRequest(getPath, sGet, dGet, create(GetRequestSchema, { collection, id }), (err, res) =>
        err || !res ? reject(err ?? new Error('empty response')) : resolve(res),
      );
    });
  return {
    get,
    loadCall(collection, id) {
      if (!undecoded) return () => get(collection, id);
      const request = sGet(create(GetRequestSchema, { collection, id }));
      return () =>
        new Promise<Buffer>((resolve, reject) => {
          client.makeUnaryRequest(getPath, identity, identity, request, (err, res) =>
            err || !res ? reject(err ?? new Error('empty response')) : resolve(res),
          );
        });
    },
    put(collection, id, data) {
      const req = create(PutRequestSchema, { collection, id, data });
      return new Promise((resolve, reject) => {
        client.makeUnaryRequest(putPath, sPut, dPut, req, (err, res) =>
          err || !res ? reject(err ?? new Error('empty response')) : resolve(res),
        );
      });
    },
    close() {
      client.close();
    },
  };
}

function connectClient(address: string): DocClient {
  const transport = createGrpcTransport({ baseUrl: `http://${address}` });
  const client: Client<typeof DocumentService> = createClient(DocumentService, transport);
  return {
    get(collection, id) {
      return client.get({ collection, id });
    },
    loadCall(collection, id) {
      return () => client.get({ collection, id });
    },
    put(collection, id, data) {
      return client.put({ collection, id, data });
    },
    close() {
      // The transport's HTTP/2 session closes itself when idle; nothing to release eagerly.
    },
  };
}
