import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { ManualClock } from '../../../common/manual-clock.js';
import { systemRandom } from '../../../common/clock.js';
import { loadConfig } from '../../../config/load-config.js';
import { LocalCoordinator } from '../../../coordination/local/local-coordinator.js';
import { DocumentEngine } from '../../../engine/document-engine.js';
import { openAuth } from '../../../access/compose/open-auth.js';
import { AccessStore } from '../../../access/access-store.js';
import { ensureBootstrapKey } from '../../../access/bootstrap-key.js';
import { MemoryBlobStore } from '../../../storage/memory/memory-store.js';
import { ErrorInfoSchema } from '../../../gen/google/rpc/error_details_pb.js';
import { Verb } from '../../../gen/smarterbase/v1/access_pb.js';
import { AccessService } from '../../../gen/smarterbase/v1/access_service_pb.js';
import { DocumentService } from '../../../gen/smarterbase/v1/document_service_pb.js';
import { RpcServer } from '../../server/rpc-server.js';

const ADMIN = `sbk_aabbccddeeff0011_${'a'.repeat(43)}`;
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
const reasonOf = (e: unknown) => (e instanceof ConnectError ? `${Code[e.code]}/${e.findDetails(ErrorInfoSchema)[0]?.reason}` : String(e));

describe('AccessService through an RpcServer with auth on (both ports)', () => {
  let server: RpcServer | undefined;
  let transports: Transport[] = [];
  const closers: { name: string; close(): Promise<void> }[] = [];

  beforeAll(async () => {
    const store = new MemoryBlobStore();
    await ensureBootstrapKey(new AccessStore(store), ADMIN, new ManualClock({ startMs: 1e12 }));
    const config = loadConfig({ argv: [], env: { SB_AUTH: 'on', SB_AUTH_CACHE_MS: '60000' } }).config;
    const auth = (await openAuth(
      config,
      {
        store,
        log: { info: () => undefined, warn: () => undefined, error: () => undefined },
        clock: new ManualClock({ startMs: 1e12 }),
        random: systemRandom,
      },
      closers,
    ))!;
    server = new RpcServer({
      api: new DocumentEngine({ coordinator: new LocalCoordinator(), store }),
      access: auth.access,
      auth: auth.auth,
      grpcPort: 0,
      httpPort: 0,
    });
    const ports = await server.start();
    transports = [
      createGrpcTransport({ baseUrl: `http://127.0.0.1:${ports.grpcPort}` }),
      createConnectTransport({ baseUrl: `http://127.0.0.1:${ports.httpPort}`, httpVersion: '2' }),
    ];
  });
  afterAll(async () => {
    await server?.shutdown(100);
    await Promise.all(closers.map((c) => c.close()));
  });

  test.each([0, 1])(
    'keys: created with a secret shown once, listed without it, revoked and then refused at once on this server (port %i)',
    async (i) => {
      const access = createClient(AccessService, transports[i]!);
      const docs = createClient(DocumentService, transports[i]!);
      await access.putRole(
        { role: { name: `rw${i}`, permissions: [{ verbs: [Verb.READ, Verb.WRITE], collections: [`c${i}*`] }] } },
        { headers: bearer(ADMIN) },
      );
      await access.setPrincipal({ principal: { name: `svc${i}`, roles: [`rw${i}`] } }, { headers: bearer(ADMIN) });
      const created = await access.createApiKey({ principal: `svc${i}` }, { headers: bearer(ADMIN) });
      expect(created.secret).toMatch(new RegExp(`^sbk_${created.key!.keyId}_`));
      await docs.put({ collection: `c${i}-x`, id: 'a', data: { v: 1 } }, { headers: bearer(created.secret) });
      const listed = await access.listApiKeys({ principal: `svc${i}` }, { headers: bearer(ADMIN) });
      expect(listed.keys.map((k) => k.keyId)).toEqual([created.key!.keyId]);
      expect(JSON.stringify(listed.keys.map((k) => ({ ...k, createTime: undefined })))).not.toContain(created.secret.slice(21));
      await access.revokeApiKey({ keyId: created.key!.keyId }, { headers: bearer(ADMIN) });
      expect(await docs.get({ collection: `c${i}-x`, id: 'a' }, { headers: bearer(created.secret) }).catch(reasonOf)).toBe(
        'Unauthenticated/API_KEY_REVOKED',
      );
    },
  );

  test('roles and principals round-trip; bad input is INVALID_ARGUMENT; unknown names are NOT_FOUND', async () => {
    const access = createClient(AccessService, transports[0]!);
    const h = { headers: bearer(ADMIN) };
    const role = {
      name: 'r',
      description: 'd',
      permissions: [{ verbs: [Verb.LOCK, Verb.STREAM], collections: [], locks: ['jobs*'], logs: ['l'], accessControl: false }],
    };
    expect((await access.putRole({ role }, h)).role).toMatchObject(role);
    expect((await access.getRole({ name: 'r' }, h)).role).toMatchObject(role);
    expect((await access.listRoles({}, h)).roles.map((r) => r.name)).toEqual(expect.arrayContaining(['admin', 'r']));
    expect(
      await access.putRole({ role: { name: 'x', permissions: [{ verbs: [Verb.UNSPECIFIED], collections: ['a'] }] } }, h).catch(reasonOf),
    ).toBe('InvalidArgument/INVALID_ARGUMENT');
    await access.setPrincipal({ principal: { name: 'p', roles: ['r'], certificateNames: ['CN=p'] } }, h);
    expect((await access.getPrincipal({ name: 'p' }, h)).principal).toMatchObject({ name: 'p', roles: ['r'], certificateNames: ['CN=p'] });
    expect((await access.listPrincipals({ pageSize: 1000 }, h)).principals.map((p) => p.name)).toContain('p');
    expect(await access.getPrincipal({ name: 'nobody' }, h).catch(reasonOf)).toBe('NotFound/ACCESS_NOT_FOUND');
    expect((await access.deleteRole({ name: 'r' }, h)).deleted).toBe(true);
    expect(await access.getRole({ name: 'r' }, h).catch(reasonOf)).toBe('NotFound/ACCESS_NOT_FOUND');
  });

  test('AccessService needs admin on the access control data', async () => {
    const access = createClient(AccessService, transports[1]!);
    await access.putRole(
      {
        role: {
          name: 'all-data',
          permissions: [{ verbs: [Verb.ADMIN, Verb.READ, Verb.WRITE], collections: ['*'], locks: ['*'], logs: ['*'] }],
        },
      },
      { headers: bearer(ADMIN) },
    );
    await access.setPrincipal({ principal: { name: 'dba', roles: ['all-data'] } }, { headers: bearer(ADMIN) });
    const { secret } = await access.createApiKey({ principal: 'dba' }, { headers: bearer(ADMIN) });
    expect(await access.createApiKey({ principal: 'dba' }, { headers: bearer(secret) }).catch(reasonOf)).toBe(
      'PermissionDenied/PERMISSION_DENIED',
    );
  });
});
