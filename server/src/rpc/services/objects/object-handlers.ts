/**
 * ObjectService in connect-es style: translation only (convert-object.ts),
 * errors are DbErrors translated by rpc/decorators/wrap-errors.ts. Upload's
 * request stream is pulled one message at a time by the engine, so a handler
 * that stops reading stops the transport (grpc-mount.ts, connect-node);
 * Download's items leave through the stream pump (rpc/stream-pump.ts), which
 * pulls the next item only when the transport drained.
 */
import type { ServiceImpl } from '@connectrpc/connect';
import type { ObjectApi, UploadMessage } from '../../../api/object-api.js';
import type { ObjectService } from '../../../gen/smarterbase/v1/object_service_pb.js';
import type { UploadRequest } from '../../../gen/smarterbase/v1/object_service_pb.js';
import { callContextOf } from '../../convert/call-context.js';
import { int64Field, toProtoObject, uploadMessageOf } from './convert-object.js';

async function* messagesOf(reqs: AsyncIterable<UploadRequest>): AsyncGenerator<UploadMessage, void, undefined> {
  for await (const req of reqs) yield uploadMessageOf(req);
}

/** The ObjectService implementation over an ObjectApi. */
export function createObjectHandlers(api: ObjectApi): ServiceImpl<typeof ObjectService> {
  return {
    async upload(reqs, ctx) {
      return { object: toProtoObject(await api.upload(callContextOf(ctx), messagesOf(reqs))) };
    },
    async *download(req, ctx) {
      const items = api.download(callContextOf(ctx), {
        collection: req.collection,
        id: req.id,
        offset: int64Field(req.offset, 'offset'),
        length: int64Field(req.length, 'length'),
        ifMatch: req.ifMatch,
      });
      for await (const item of items) {
        if (item.kind === 'start') yield { object: toProtoObject(item.object), offset: BigInt(item.offset) };
        else yield { offset: BigInt(item.offset), data: item.data };
      }
    },
    async statObject(req, ctx) {
      return { object: toProtoObject(await api.stat(callContextOf(ctx), req.collection, req.id)) };
    },
    async deleteObject(req, ctx) {
      return { deleted: await api.delete(callContextOf(ctx), req.collection, req.id, req.etag === '' ? undefined : req.etag) };
    },
    async listObjects(req, ctx) {
      const page = await api.list(callContextOf(ctx), {
        collection: req.collection,
        pageSize: req.pageSize,
        ...(req.pageToken === '' ? {} : { pageToken: req.pageToken }),
        ...(req.idPrefix === '' ? {} : { idPrefix: req.idPrefix }),
        keysOnly: req.keysOnly,
      });
      return { objects: page.objects.map(toProtoObject), nextPageToken: page.nextPageToken };
    },
  };
}
