import { create } from '@bufbuild/protobuf';
import { Code, type ConnectError, createHandlerContext } from '@connectrpc/connect';
import { DbError } from '../../errors/db-error.js';
import { ErrorInfoSchema } from '../../gen/google/rpc/error_details_pb.js';
import { DocumentService, GetRequestSchema } from '../../gen/smarterbase/v1/document_service_pb.js';
import { Admission } from './admission.js';
import type { CallAuth } from './authorise-calls.js';
import { decorate } from './chain.js';

const ctx = (authorization?: string) =>
  createHandlerContext({
    service: DocumentService,
    method: DocumentService.method.get,
    protocolName: 'grpc',
    requestMethod: 'POST',
    url: '/x',
    requestHeader: authorization === undefined ? {} : { authorization },
  });
const auth: CallAuth = {
  authenticate: (c) =>
    c.requestHeader.get('authorization') === 'Bearer ok'
      ? Promise.resolve({ principal: 'p', roles: [], via: 'k' })
      : Promise.reject(new DbError('unauthenticated', 'UNAUTHENTICATED', 'no credentials')),
};
type Get = (req: unknown, c: unknown) => Promise<unknown>;

describe('the decorator chain with auth', () => {
  test('authorisation runs outside admission: an unauthenticated call is refused as such even when no call slot is free', async () => {
    const admission = new Admission({ maxCallsInFlight: 1, maxHoldsPerConnection: 1 });
    const release = admission.enter(); // the one slot is taken
    const impl = decorate(DocumentService, { get: () => ({}) } as never, { admission, auth }, 'grpc', true) as unknown as { get: Get };
    const req = create(GetRequestSchema, { collection: 'c', id: 'd' });
    const anonymous = (await impl.get(req, ctx()).catch((e: unknown) => e)) as ConnectError;
    expect(anonymous.code).toBe(Code.Unauthenticated);
    expect(anonymous.findDetails(ErrorInfoSchema)[0]?.reason).toBe('UNAUTHENTICATED');
    // Authenticated but not allowed: also refused before admission, with the details of the error table.
    const denied = (await impl.get(req, ctx('Bearer ok')).catch((e: unknown) => e)) as ConnectError;
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(denied.findDetails(ErrorInfoSchema)[0]?.metadata).toMatchObject({ verb: 'read', resource: 'collection:c' });
    expect(admission.callsInFlight()).toBe(1);
    release();
  });

  test('without auth the chain is as before: every caller reaches admission and the handler', async () => {
    const admission = new Admission({ maxCallsInFlight: 1, maxHoldsPerConnection: 1 });
    const impl = decorate(DocumentService, { get: () => ({ ok: true }) } as never, { admission }, 'grpc', true) as unknown as { get: Get };
    expect(await impl.get(create(GetRequestSchema, {}), ctx())).toEqual({ ok: true });
  });
});
