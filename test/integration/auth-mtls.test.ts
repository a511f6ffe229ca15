/**
 * Client certificates as identities (docs/security.md, "Authentication and
 * roles"): one server with SB_AUTH=on and optional mTLS. A client whose
 * verified certificate a principal lists — by its subject ("CN=<name>"
 * here) or by a SAN — acts as that principal without any key,
 * on both ports; a certificate of the right CA that no principal lists is
 * UNAUTHENTICATED; without a certificate only an API key works; a key sent
 * beside a certificate is checked first (a bad key is refused even then).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { Verb } from '../../server/src/gen/smarterbase/v1/access_pb.js';
import { AccessService } from '../../server/src/gen/smarterbase/v1/access_service_pb.js';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { createTestCa, type CertFiles, type TestCa } from '../harness/certs.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';

jest.setTimeout(60_000);

const BOOTSTRAP = `sbk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
const dir = mkdtempSync(join(tmpdir(), 'sb-authmtls-'));
let ca: TestCa;
let server: CertFiles;
const clients: Record<'bySubject' | 'byCn' | 'bySan' | 'stranger', CertFiles> = {} as never;
let sb: ServerProcess;

interface Creds {
  readonly cert?: Buffer;
  readonly key?: Buffer;
}
const grpc = (creds: Creds): Transport =>
  createGrpcTransport({ baseUrl: `https://localhost:${sb.grpcPort}`, nodeOptions: { ca: ca.cert, ...creds } });
const connect = (creds: Creds): Transport =>
  createConnectTransport({ baseUrl: `https://localhost:${sb.httpPort}`, httpVersion: '2', nodeOptions: { ca: ca.cert, ...creds } });
const certOf = (c: CertFiles): Creds => ({ cert: c.cert, key: c.key });

/** "OK" or "Code/REASON" of a Put into `collection` through `transport`. */
async function put(transport: Transport, collection: string, headers: Record<string, string> = {}): Promise<string> {
  try {
    await createClient(DocumentService, transport).put({ collection, id: 'x', data: { v: 1 } }, { headers, timeoutMs: 10_000 });
    return 'OK';
  } catch (e) {
    const err = ConnectError.from(e);
    return `${Code[err.code]}/${err.findDetails(ErrorInfoSchema)[0]?.reason ?? '-'}`;
  }
}

beforeAll(async () => {
  ca = createTestCa(dir);
  server = ca.issue('server', 'localhost');
  clients.bySubject = ca.issue('by-subject', 'billing', { usage: 'client' });
  clients.byCn = ca.issue('by-cn', 'reports', { usage: 'client' });
  clients.bySan = ca.issue('by-san', 'pod-7f3', { usage: 'client', sans: ['URI:spiffe://example/ingest'] });
  clients.stranger = ca.issue('stranger', 'stranger', { usage: 'client' });
  const keyFile = join(dir, 'bootstrap.key');
  writeFileSync(keyFile, BOOTSTRAP, { mode: 0o600 });
  sb = await startServer({
    SB_STORAGE: 'memory',
    SB_TLS_CERT_FILE: server.certFile,
    SB_TLS_KEY_FILE: server.keyFile,
    SB_TLS_CLIENT_CA_FILE: ca.certFile,
    SB_TLS_CLIENT_AUTH: 'optional',
    SB_AUTH: 'on',
    SB_AUTH_BOOTSTRAP_KEY_FILE: keyFile,
  });
  const access = createClient(AccessService, grpc({}));
  const headers = { authorization: `Bearer ${BOOTSTRAP}` };
  await access.putRole({ role: { name: 'own', permissions: [{ verbs: [Verb.READ, Verb.WRITE], collections: ['own*'] }] } }, { headers });
  const principals: [string, string][] = [
    ['billing', 'CN=billing'],
    ['reports', 'CN=reports'],
    ['ingest', 'URI:spiffe://example/ingest'],
  ];
  for (const [name, certName] of principals)
    await access.setPrincipal({ principal: { name, roles: ['own'], certificateNames: [certName] } }, { headers });
});

afterAll(async () => {
  await sb?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a listed certificate (subject or SAN) is its principal on both ports, within its roles', async () => {
  for (const c of [clients.bySubject, clients.byCn, clients.bySan]) {
    expect(await put(grpc(certOf(c)), 'own-docs')).toBe('OK');
    expect(await put(connect(certOf(c)), 'own-docs')).toBe('OK');
    expect(await put(grpc(certOf(c)), 'elsewhere')).toBe('PermissionDenied/PERMISSION_DENIED');
  }
});

test('a certificate no principal lists, or none at all, is UNAUTHENTICATED; a bad key beside a good certificate is refused', async () => {
  expect(await put(grpc(certOf(clients.stranger)), 'own-docs')).toBe('Unauthenticated/UNAUTHENTICATED');
  expect(await put(connect({}), 'own-docs')).toBe('Unauthenticated/UNAUTHENTICATED');
  expect(await put(grpc({}), 'own-docs', { authorization: `Bearer ${BOOTSTRAP}` })).toBe('OK');
  expect(await put(grpc(certOf(clients.bySubject)), 'own-docs', { authorization: 'Bearer sbk_0000000000000000_nope' })).toBe(
    'Unauthenticated/INVALID_API_KEY',
  );
});
