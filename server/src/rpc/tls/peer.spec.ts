/**
 * The verified client certificate reaches a handler's context values
 * (PEER_KEY) on both mounts over real mTLS connections; without a client
 * certificate the peer is anonymous.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createClient, createContextValues, type HandlerContext } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { Health, HealthCheckResponse_ServingStatus as S } from '../../gen/grpc/health/v1/health_pb.js';
import { createTestCa, type CertFiles, type TestCa } from '../../../../test/harness/certs.js';
import { ConnectEndpoint } from '../connect-mount.js';
import { mountGrpc } from '../grpc-mount.js';
import { typedService } from '../typed-service.js';
import { ANONYMOUS_PEER, parseSans, PEER_KEY, peerIdentityOf, type Peer, type PeerCertificate } from './peer.js';
import { ServerTls } from './server-tls.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-peer-'));
let ca: TestCa;
let server: CertFiles;
let client: CertFiles;
const seen: (PeerCertificate | undefined)[] = [];
const impl = {
  async check(_req: unknown, ctx: HandlerContext) {
    seen.push(ctx.values.get(PEER_KEY).certificate);
    return { status: S.SERVING };
  },
  async *watch() {
    yield { status: S.SERVING };
  },
};

beforeAll(() => {
  ca = createTestCa(dir);
  server = ca.issue('server', 'localhost');
  client = ca.issue('client', 'billing-api', {
    usage: 'client',
    sans: ['URI:spiffe://sb/billing', 'DNS:billing.internal', 'email:ops@example.com'],
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => (seen.length = 0));

function expectClient(cert: PeerCertificate | undefined): void {
  expect(cert).toEqual({
    subject: 'CN=billing-api',
    commonName: 'billing-api',
    sans: ['URI:spiffe://sb/billing', 'DNS:billing.internal', 'email:ops@example.com'],
    fingerprint256: client.fingerprint256,
    serialNumber: expect.stringMatching(/^[0-9A-F]+$/),
  });
}

test("parseSans reads Node's subjectaltname, IP addresses as IP:", () => {
  expect(parseSans('DNS:a, IP Address:127.0.0.1, URI:spiffe://x/y')).toEqual(['DNS:a', 'IP:127.0.0.1', 'URI:spiffe://x/y']);
  expect(parseSans(undefined)).toEqual([]);
});

test('connect mount: the verified certificate over HTTP/1.1 and HTTP/2; none without one (optional client auth)', async () => {
  const material = new ServerTls({ certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile, clientAuth: 'optional' });
  const ep = new ConnectEndpoint({ services: [typedService(Health, impl)], readMaxBytes: 1 << 20, writeMaxBytes: 1 << 20, tls: material });
  const port = await ep.listen('127.0.0.1', 0);
  const baseUrl = `https://127.0.0.1:${port}`;
  const withCert = { ca: ca.cert, cert: client.cert, key: client.key };
  try {
    await createClient(Health, createConnectTransport({ baseUrl, httpVersion: '1.1', nodeOptions: withCert })).check({});
    await createClient(Health, createGrpcTransport({ baseUrl, nodeOptions: withCert })).check({});
    await createClient(Health, createGrpcTransport({ baseUrl, nodeOptions: { ca: ca.cert } })).check({});
    expect(seen).toHaveLength(3);
    expectClient(seen[0]);
    expectClient(seen[1]);
    expect(seen[2]).toBeUndefined();
  } finally {
    await ep.shutdown(100);
    material.close();
  }
});

test('grpc-js mount: the verified certificate; none without one', async () => {
  const material = new ServerTls({ certFile: server.certFile, keyFile: server.keyFile, clientCaFile: ca.certFile, clientAuth: 'optional' });
  const srv = new grpc.Server();
  mountGrpc(srv, Health, impl);
  const port = await new Promise<number>((resolve, reject) =>
    srv.bindAsync('127.0.0.1:0', material.grpcCredentials(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const baseUrl = `https://127.0.0.1:${port}`;
  try {
    await createClient(Health, createGrpcTransport({ baseUrl, nodeOptions: { ca: ca.cert, cert: client.cert, key: client.key } })).check(
      {},
    );
    await createClient(Health, createGrpcTransport({ baseUrl, nodeOptions: { ca: ca.cert } })).check({});
    expect(seen).toHaveLength(2);
    expectClient(seen[0]);
    expect(seen[1]).toBeUndefined();
  } finally {
    srv.forceShutdown();
    material.close();
  }
});

test('a plaintext call has the anonymous peer', async () => {
  const ep = new ConnectEndpoint({ services: [typedService(Health, impl)], readMaxBytes: 1 << 20, writeMaxBytes: 1 << 20 });
  const port = await ep.listen('127.0.0.1', 0);
  try {
    await createClient(Health, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` })).check({});
    expect(seen).toEqual([undefined]);
  } finally {
    await ep.shutdown(100);
  }
});

describe('peerIdentityOf', () => {
  const ctxWith = (peer: Peer): HandlerContext => ({ values: createContextValues().set(PEER_KEY, peer) }) as unknown as HandlerContext;

  test('a verified certificate answers to its subject, its SANs and CN=<common name>; none without a certificate', () => {
    const certificate = {
      subject: 'CN=billing, O=Example',
      commonName: 'billing',
      sans: ['DNS:billing.internal'],
      fingerprint256: 'AA',
      serialNumber: '01',
    };
    expect(peerIdentityOf(ctxWith({ certificate }))).toEqual({
      subject: 'CN=billing, O=Example',
      sans: ['DNS:billing.internal', 'CN=billing'],
    });
    expect(peerIdentityOf(ctxWith({ certificate: { ...certificate, commonName: undefined as never } }))?.sans).toEqual([
      'DNS:billing.internal',
    ]);
    expect(peerIdentityOf(ctxWith(ANONYMOUS_PEER))).toBeUndefined();
  });
});
