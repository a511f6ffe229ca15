/**
 * ObjectService in connect-es style: translation only (convert-object.ts),
 * errors are DbErrors translated by rpc/decorators/wrap-errors.ts. Upload's
 * request stream is pulled one message at a time by the engine, so a handler
 * that stops reading stops the transport (grpc-mount.ts, connect-node);
 * Download's items leave through the stream pump (rpc/stream-pump.ts), which
 * pulls the next item only when the transport drained.
 */
import type { ServiceImpl } from '@connectrpc/connect';
import { invalid } from '../../../errors/db-error.js';
import type { ObjectApi, UploadMessage, UploadProgress, UploadWriteMessage } from '../../../api/object-api.js';
import type { ObjectService, UploadRequest, WriteUploadRequest } from '../../../gen/smarterbase/v1/object_service_pb.js';
import { callContextOf } from '../../convert/call-context.js';
import { toTimestamp } from '../../convert/convert.js';
import { int64Field, toProtoObject, uploadHeaderOf, uploadMessageOf, writeMessageOf } from './convert-object.js';

async function* messagesOf(reqs: AsyncIterable<UploadRequest>): AsyncGenerator<UploadMessage, void, undefined> {
  for await (const req of reqs) yield uploadMessageOf(req);
}

async function* writesOf(reqs: AsyncIterable<WriteUploadRequest>): AsyncGenerator<UploadWriteMessage, void, undefined> {
  for await (const req of reqs) yield writeMessageOf(req);
}

function progress(p: UploadProgress) {
  return {
    committedSize: BigInt(p.committedSize),
    complete: p.complete,
    ...(p.object === undefined ? {} : { object: toProtoObject(p.object) }),
  };
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
    async startUpload(req, ctx) {
      if (req.header === undefined) throw invalid('INVALID_ARGUMENT', 'header', 'StartUpload needs a header');
      const s = await api.startUpload(callContextOf(ctx), uploadHeaderOf(req.header));
      return { uploadId: s.uploadId, partSizeBytes: BigInt(s.partSizeBytes), expireTime: toTimestamp(s.expireTime) };
    },
    async writeUpload(reqs, ctx) {
      return progress(await api.writeUpload(callContextOf(ctx), writesOf(reqs)));
    },
    async writeAt(req, ctx) {
      return progress(await api.writeAt(callContextOf(ctx), writeMessageOf(req)));
    },
    async queryUploadStatus(req, ctx) {
      const s = await api.uploadStatus(callContextOf(ctx), req.uploadId);
      return { ...progress(s), expireTime: toTimestamp(s.expireTime), partSizeBytes: BigInt(s.partSizeBytes) };
    },
    async completeUpload(req, ctx) {
      const expected = { expectedSize: int64Field(req.expectedSize, 'expected_size'), expectedSha256: req.expectedSha256 };
      return { object: toProtoObject(await api.completeUpload(callContextOf(ctx), req.uploadId, expected)) };
    },
    async abortUpload(req, ctx) {
      await api.abortUpload(callContextOf(ctx), req.uploadId);
      return {};
    },
  };
}
