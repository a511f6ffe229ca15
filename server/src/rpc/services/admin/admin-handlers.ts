/**
 * AdminService (index administration) in connect-es style: each handler
 * converts the request, makes one AdminApi call and converts the answer.
 */
import type { ServiceImpl } from '@connectrpc/connect';
import type { AdminApi } from '../../../api/query-api.js';
import { type AdminService } from '../../../gen/smarterbase/v1/admin_service_pb.js';
import { checkProgressToProto, indexDefinitionFromProto, indexToProto, rebuildProgressToProto } from './convert-index.js';
import { callContextOf } from '../../convert/call-context.js';

/** The AdminService implementation over an AdminApi. */
export function createAdminHandlers(api: AdminApi): ServiceImpl<typeof AdminService> {
  return {
    async createIndex(req, ctx) {
      const info = await api.createIndex(callContextOf(ctx), indexDefinitionFromProto(req.index));
      return { index: indexToProto(info) };
    },
    async getIndex(req, ctx) {
      return { index: indexToProto(await api.getIndex(callContextOf(ctx), req.collection, req.name)) };
    },
    async listIndexes(req, ctx) {
      const infos = await api.listIndexes(callContextOf(ctx), req.collection);
      return { indexes: infos.map(indexToProto) };
    },
    async dropIndex(req, ctx) {
      await api.dropIndex(callContextOf(ctx), req.collection, req.name);
      return {};
    },
    async *checkIndexes(req, ctx) {
      const input = { collection: req.collection, repair: req.repair, ...(req.index !== '' ? { index: req.index } : {}) };
      // Leaving the loop (the client cancelled, sending failed) returns the engine's generator, which stops the scan.
      for await (const p of api.checkIndexes(callContextOf(ctx), input)) yield checkProgressToProto(p);
    },
    async *rebuildIndexes(req, ctx) {
      const input = { collection: req.collection, ...(req.index !== '' ? { index: req.index } : {}) };
      // Leaving the loop (the client cancelled) returns the engine's generator, which stops the build and drops the copy.
      for await (const p of api.rebuildIndexes(callContextOf(ctx), input)) yield rebuildProgressToProto(p);
    },
  };
}
