/**
 * The benchmark's ObjectService client: grpc-js (the fast path a Node user
 * would take) with protobuf-es codecs, streaming an object up with
 * backpressure (a write that returns false waits for 'drain') and down
 * without holding it (each data message is counted and dropped).
 */
import * as grpc from '@grpc/grpc-js';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  DownloadRequestSchema,
  DownloadResponseSchema,
  UploadRequestSchema,
  UploadResponseSchema,
  type UploadRequest,
} from '../clients/ts/src/gen/smarterbase/v1/object_service_pb.js';
import type { ObjectMetadata } from '../clients/ts/src/gen/smarterbase/v1/object_pb.js';

const SERVICE = '/smarterbase.v1.ObjectService';

/** The channel's HTTP/2 receive window (stream and connection), as a user moving large objects would set it. */
export const FLOW_CONTROL_WINDOW_BYTES = 8 * 1024 * 1024;

/** What a download saw. */
export interface DownloadFigures {
  /** The first message's metadata. */
  readonly object: ObjectMetadata | undefined;
  /** Data bytes received. */
  readonly bytes: number;
}

/** Upload and Download over one grpc-js channel. */
export class ObjectBenchClient {
  private readonly client: grpc.Client;

  constructor(address: string) {
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      'grpc.max_send_message_length': 16 * 1024 * 1024,
      // grpc-js's own option for bulk streams: Node's default receive window (64 KiB) makes a download
      // wait for a window update every 64 KiB (docs/benchmarks.md, "Objects (issue 13)").
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
    });
  }

  /** Uploads the chunks as (collection, id) with no precondition; resolves with the committed object. */
  upload(collection: string, id: string, chunks: AsyncIterable<Uint8Array>): Promise<ObjectMetadata> {
    return new Promise<ObjectMetadata>((resolve, reject) => {
      const call = this.client.makeClientStreamRequest(
        `${SERVICE}/Upload`,
        (m: UploadRequest) => Buffer.from(toBinary(UploadRequestSchema, m)),
        (b: Buffer) => fromBinary(UploadResponseSchema, b),
        (err, res) => {
          if (err) reject(err);
          else if (res?.object === undefined) reject(new Error('Upload answered without an object'));
          else resolve(res.object);
        },
      );
      const send = async (): Promise<void> => {
        const write = (m: UploadRequest) =>
          call.write(m) ? Promise.resolve() : new Promise<void>((done) => call.once('drain', () => done()));
        await write(create(UploadRequestSchema, { kind: { case: 'header', value: { collection, id } } }));
        for await (const data of chunks) await write(create(UploadRequestSchema, { kind: { case: 'data', value: data } }));
        await write(create(UploadRequestSchema, { finishWrite: true }));
        call.end();
      };
      send().catch((e: unknown) => {
        call.cancel();
        reject(e instanceof Error ? e : new Error(String(e)));
      });
    });
  }

  /** Downloads the whole object, counting its bytes. */
  download(collection: string, id: string): Promise<DownloadFigures> {
    return new Promise<DownloadFigures>((resolve, reject) => {
      const call = this.client.makeServerStreamRequest(
        `${SERVICE}/Download`,
        (m: ReturnType<typeof create<typeof DownloadRequestSchema>>) => Buffer.from(toBinary(DownloadRequestSchema, m)),
        (b: Buffer) => fromBinary(DownloadResponseSchema, b),
        create(DownloadRequestSchema, { collection, id }),
      );
      let object: ObjectMetadata | undefined;
      let bytes = 0;
      call.on('data', (m: { object?: ObjectMetadata; data: Uint8Array }) => {
        object ??= m.object;
        bytes += m.data.length;
      });
      call.on('error', reject);
      call.on('end', () => resolve({ object, bytes }));
    });
  }

  /** Closes the channel. */
  close(): void {
    this.client.close();
  }
}
