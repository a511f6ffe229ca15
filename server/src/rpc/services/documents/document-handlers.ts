/**
 * DocumentService, written once in connect-es style. Each handler only
 * translates: shape checks → one DocumentApi call → proto response. Errors
 * are DbErrors; rpc/decorators/wrap-errors.ts turns them into wire errors.
 */
import type { ServiceImpl } from '@connectrpc/connect';
import type { DocumentApi } from '../../../api/document-api.js';
import { type DocumentService } from '../../../gen/smarterbase/v1/document_service_pb.js';
import { requireData, toProtoDocument, toProtoListed } from '../../convert/convert.js';
import { callContextOf } from '../../convert/call-context.js';
import { lockGuardField } from '../../convert/lock-guard.js';
import { expirationField } from '../../convert/expiration.js';
import { toBatchDeleteItems, toBatchWriteOps, toBatchWriteResult } from './convert-batch.js';
import { toCommitResponse, toTxnWrites } from './convert-commit.js';
import type { InternalErrorLogger } from '../../error-table.js';
import { readRevisionOf, type ReadRevisions } from '../../convert/read-revision.js';

/**
 * The DocumentService implementation over a DocumentApi. `logInternal`
 * receives the backend causes of failed BatchWrite / BatchDelete items
 * (errors of whole calls reach it through wrapErrors).
 */
export function createDocumentHandlers(
  api: DocumentApi,
  logInternal?: InternalErrorLogger,
  revisions?: ReadRevisions,
): ServiceImpl<typeof DocumentService> {
  const readRevision = readRevisionOf(revisions);
  return {
    async get(req, ctx) {
      const revision = readRevision(req.collection); // before the read: every change up to it is in what it reads
      const doc = await api.get(callContextOf(ctx), req.collection, req.id);
      return { document: toProtoDocument(doc), readRevision: revision };
    },
    async *batchGet(req, ctx) {
      const revision = readRevision(req.collection);
      for await (const item of api.batchGet(callContextOf(ctx), req.collection, req.ids)) {
        yield item.document === undefined
          ? { id: item.id, found: false, readRevision: revision }
          : { id: item.id, found: true, document: toProtoDocument(item.document), readRevision: revision };
      }
    },
    async put(req, ctx) {
      const data = requireData(req.data);
      const doc = await api.put(callContextOf(ctx), {
        collection: req.collection,
        id: req.id,
        data,
        createOnly: req.createOnly,
        ...lockGuardField(req.lockGuard),
        ...expirationField(req.expiration),
      });
      return { document: toProtoDocument(doc) };
    },
    async putIfMatch(req, ctx) {
      const data = requireData(req.data);
      const doc = await api.putIfMatch(callContextOf(ctx), {
        collection: req.collection,
        id: req.id,
        data,
        etag: req.etag,
        ...lockGuardField(req.lockGuard),
        ...expirationField(req.expiration),
      });
      return { document: toProtoDocument(doc) };
    },
    async create(req, ctx) {
      const data = requireData(req.data);
      const doc = await api.create(callContextOf(ctx), {
        collection: req.collection,
        ...(req.id === '' ? {} : { id: req.id }),
        data,
        ...expirationField(req.expiration),
      });
      return { document: toProtoDocument(doc) };
    },
    async delete(req, ctx) {
      const { deleted, revision } = await api.deleteWithRevision(callContextOf(ctx), {
        collection: req.collection,
        id: req.id,
        ...(req.etag === '' ? {} : { etag: req.etag }),
        ...lockGuardField(req.lockGuard),
      });
      return { deleted, revision: BigInt(revision) };
    },
    async exists(req, ctx) {
      const r = await api.exists(callContextOf(ctx), req.collection, req.id);
      return { exists: r.exists, etag: r.etag ?? '' };
    },
    async list(req, ctx) {
      const revision = readRevision(req.collection);
      const page = await api.list(callContextOf(ctx), {
        collection: req.collection,
        pageSize: req.pageSize,
        ...(req.pageToken === '' ? {} : { pageToken: req.pageToken }),
        ...(req.idPrefix === '' ? {} : { idPrefix: req.idPrefix }),
        keysOnly: req.keysOnly,
      });
      return { documents: page.documents.map(toProtoListed), nextPageToken: page.nextPageToken, readRevision: revision };
    },
    async batchWrite(req, ctx) {
      const outcomes = await api.batchWrite(callContextOf(ctx), req.collection, toBatchWriteOps(req.writes));
      return { results: outcomes.map((o) => toBatchWriteResult(o, logInternal)) };
    },
    async batchExists(req, ctx) {
      const answers = await api.batchExists(callContextOf(ctx), req.collection, req.ids);
      return { results: answers.map((a) => ({ id: a.id, exists: a.exists, etag: a.etag ?? '' })) };
    },
    async batchDelete(req, ctx) {
      const outcomes = await api.batchDelete(callContextOf(ctx), req.collection, toBatchDeleteItems(req.items));
      return { results: outcomes.map((o) => toBatchWriteResult(o, logInternal)) };
    },
    async commit(req, ctx) {
      const result = await api.commit(callContextOf(ctx), {
        writes: toTxnWrites(req.writes),
        ...(req.requestId === '' ? {} : { requestId: req.requestId }),
        ...lockGuardField(req.lockGuard),
      });
      return toCommitResponse(result);
    },
  };
}
