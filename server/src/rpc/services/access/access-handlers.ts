/**
 * AccessService in connect-es style over AccessAdmin
 * (access/access-admin.ts): each handler only translates. The authorisation
 * step of the chain has already checked that the caller holds admin on the
 * access control data.
 */
import type { ServiceImpl } from '@connectrpc/connect';
import type { AccessAdmin } from '../../../access/access-admin.js';
import type { AccessService } from '../../../gen/smarterbase/v1/access_service_pb.js';
import { apiKeyMessage, expireMsOf, principalMessage, principalOf, roleMessage, roleOf } from './convert-access.js';

/** The AccessService implementation over an AccessAdmin. */
export function createAccessHandlers(admin: AccessAdmin): ServiceImpl<typeof AccessService> {
  return {
    async createApiKey(req, ctx) {
      const { record, token } = await admin.createKey(req.principal, expireMsOf(req.expireTime), ctx.signal);
      return { key: apiKeyMessage(record), secret: token };
    },
    async listApiKeys(req, ctx) {
      const page = await admin.listKeys(req.pageSize, req.pageToken, req.principal, ctx.signal);
      return { keys: page.items.map(apiKeyMessage), nextPageToken: page.nextPageToken };
    },
    async revokeApiKey(req, ctx) {
      return { key: apiKeyMessage(await admin.revokeKey(req.keyId, ctx.signal)) };
    },
    async putRole(req, ctx) {
      return { role: roleMessage(await admin.putRole(roleOf(req.role), ctx.signal)) };
    },
    async getRole(req, ctx) {
      return { role: roleMessage(await admin.getRole(req.name, ctx.signal)) };
    },
    async listRoles(req, ctx) {
      const page = await admin.listRoles(req.pageSize, req.pageToken, ctx.signal);
      return { roles: page.items.map(roleMessage), nextPageToken: page.nextPageToken };
    },
    async deleteRole(req, ctx) {
      return { deleted: await admin.deleteRole(req.name, ctx.signal) };
    },
    async setPrincipal(req, ctx) {
      return { principal: principalMessage(await admin.setPrincipal(principalOf(req.principal), ctx.signal)) };
    },
    async getPrincipal(req, ctx) {
      return { principal: principalMessage(await admin.getPrincipal(req.name, ctx.signal)) };
    },
    async listPrincipals(req, ctx) {
      const page = await admin.listPrincipals(req.pageSize, req.pageToken, ctx.signal);
      return { principals: page.items.map(principalMessage), nextPageToken: page.nextPageToken };
    },
  };
}
