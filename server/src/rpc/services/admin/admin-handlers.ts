/**
 * AdminService (index administration, key rotation) in connect-es style:
 * each handler converts the request, makes one AdminApi (or KeyRotationApi)
 * call and converts the answer.
 */
import type { ServiceImpl } from '@connectrpc/connect';
import type { KeyRotationApi } from '../../../api/key-rotation-api.js';
import type { AdminApi } from '../../../api/query-api.js';
import { DbError } from '../../../errors/db-error.js';
import { type AdminService } from '../../../gen/smarterbase/v1/admin_service_pb.js';
import { checkProgressToProto, indexDefinitionFromProto, indexToProto, rebuildProgressToProto } from './convert-index.js';
import { callContextOf } from '../../convert/call-context.js';
import { rotateProgressToProto } from './convert-rotation.js';

/** The AdminService implementation over an AdminApi, and the key rotation when encryption at rest is on. */
export function createAdminHandlers(api: AdminApi, rotation?: KeyRotationApi): ServiceImpl<typeof AdminService> {
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
    async *rotateKeys(req, ctx) {
      if (rotation === undefined) {
        throw new DbError(
          'failed_precondition',
          'ENCRYPTION_NOT_CONFIGURED',
          'encryption at rest is off: SB_ENCRYPTION_KEYRING_FILE is not set',
        );
      }
      const input = req.collection !== '' ? { collection: req.collection } : {};
      for await (const p of rotation.rotateKeys(callContextOf(ctx), input)) yield rotateProgressToProto(p);
    },
  };
}
