import { createHandlerContext } from '@connectrpc/connect';
import { ConnectError, Code } from '@connectrpc/connect';
import { DbError } from '../../errors/db-error.js';
import { REFLECTION_SERVICES } from '../services/reflection/reflection.js';
import { authenticatedOnly } from './authenticated-only.js';
import type { CallAuth } from './authorise-calls.js';

const service = REFLECTION_SERVICES[0];
const name = service.methods[0]!.localName;
const ctx = (authorization?: string) =>
  createHandlerContext({
    service,
    method: service.methods[0]!,
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
const impl = {
  [name]: async function* () {
    yield { ok: true };
  },
};
type Stream = (input: unknown, c: unknown) => AsyncIterable<unknown>;

async function drain(it: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const m of it) out.push(m);
  return out;
}

describe('authenticatedOnly (reflection)', () => {
  test('without auth the implementation is served as is', () => {
    expect(authenticatedOnly(service, impl as never, undefined)).toBe(impl);
  });

  test('an anonymous call is UNAUTHENTICATED (converted by the error table); any principal passes', async () => {
    const guarded = authenticatedOnly(service, impl as never, auth) as unknown as Record<string, Stream>;
    const err = await drain(guarded[name]!((async function* () {})(), ctx())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.Unauthenticated);
    expect(await drain(guarded[name]!((async function* () {})(), ctx('Bearer ok')))).toEqual([{ ok: true }]);
  });
});
