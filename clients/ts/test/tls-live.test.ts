/**
 * The TypeScript client over TLS and mTLS against a real server process
 * (certificates made for the run by test/harness/certs.ts), on both
 * transports, and its API key: every call carries `authorization: Bearer
 * <key>` (seen by a recording TLS server, since the server's key check is
 * not part of this suite).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as http2 from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { Code } from '@connectrpc/connect';
import { createTestCa, type CertFiles, type TestCa } from '../../../test/harness/certs.js';
import { createClient, type ClientOptions } from '../src/index.js';
import { startOwnServer, uniqueCollection, type LiveServer } from './server-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-ts-tls-'));
let ca: TestCa;
let serverCert: CertFiles;
let clientCert: CertFiles;
let server: LiveServer;

beforeAll(async () => {
  ca = createTestCa(dir);
  serverCert = ca.issue('server', 'localhost');
  clientCert = ca.issue('client', 'ts-client', { usage: 'client' });
  server = await startOwnServer({
    SB_TLS_CERT_FILE: serverCert.certFile,
    SB_TLS_KEY_FILE: serverCert.keyFile,
    SB_TLS_CLIENT_CA_FILE: ca.certFile,
  });
});

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function target(transport: 'grpc' | 'connect'): Pick<ClientOptions, 'address' | 'baseUrl' | 'transport'> {
  return transport === 'grpc'
    ? { address: server.grpcAddress, transport }
    : { baseUrl: server.httpUrl!.replace(/^http:/, 'https:'), transport };
}

describe.each(['grpc', 'connect'] as const)('mTLS over %s', (transport) => {
  test('with the CA and a client certificate, documents round-trip', async () => {
    const db = createClient({ ...target(transport), tls: { ca: ca.cert, cert: clientCert.cert, key: clientCert.key }, timeoutMs: 10_000 });
    try {
      const col = uniqueCollection('tls');
      await db.put(col, 'a', { v: transport });
      expect((await db.get(col, 'a')).data).toEqual({ v: transport });
    } finally {
      db.close();
    }
  });

  test('without a client certificate, or without the CA, calls fail', async () => {
    for (const tls of [{ ca: ca.cert }, true as const]) {
      const db = createClient({ ...target(transport), tls, timeoutMs: 5000, retry: false });
      try {
        await expect(db.get('tls', 'a')).rejects.toBeInstanceOf(Error);
      } finally {
        db.close();
      }
    }
  });
});

test('tls with an http:// baseUrl, or cert without key, is refused at construction', () => {
  expect(() => createClient({ baseUrl: 'http://127.0.0.1:1', tls: true })).toThrow('tls needs an https:// baseUrl');
  expect(() => createClient({ address: '127.0.0.1:1', tls: { cert: clientCert.cert } })).toThrow('tls.cert and tls.key go together');
});

/** A TLS server (HTTP/2 and HTTP/1.1) that records each request's authorization header and client certificate CN, and answers UNAUTHENTICATED. */
async function recorder(): Promise<{ port: number; seen: { authorization?: string; cn?: string }[]; close(): Promise<void> }> {
  const seen: { authorization?: string; cn?: string }[] = [];
  const srv = http2.createSecureServer(
    { cert: serverCert.cert, key: serverCert.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true, allowHTTP1: true },
    (req, res) => {
      const auth = req.headers['authorization'];
      seen.push({
        authorization: typeof auth === 'string' ? auth : undefined,
        cn: (req.socket as TLSSocket).getPeerCertificate().subject?.CN as string,
      });
      req.resume();
      if (String(req.headers['content-type']).startsWith('application/grpc')) {
        res.writeHead(200, { 'content-type': 'application/grpc', 'grpc-status': '16', 'grpc-message': 'recorded' });
        res.end();
      } else {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'unauthenticated', message: 'recorded' }));
      }
    },
  );
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  return { port, seen, close: () => new Promise((r) => srv.close(() => r())) };
}

test('apiKey is sent as authorization: Bearer on every call, over both transports, with the client certificate', async () => {
  const rec = await recorder();
  try {
    for (const transport of ['grpc', 'connect'] as const) {
      const db = createClient({
        baseUrl: `https://127.0.0.1:${rec.port}`,
        transport,
        tls: { ca: ca.cert, cert: clientCert.cert, key: clientCert.key },
        apiKey: 'sbk_test.s3cr3t',
        retry: false,
      });
      try {
        const err = await db.get('c', 'a').catch((e: unknown) => e);
        expect((err as { code?: unknown }).code).toBe(Code.Unauthenticated);
        await db.put('c', 'b', { v: 1 }).catch(() => undefined);
      } finally {
        db.close();
      }
    }
    expect(rec.seen).toHaveLength(4);
    for (const s of rec.seen) expect(s).toEqual({ authorization: 'Bearer sbk_test.s3cr3t', cn: 'ts-client' });
  } finally {
    await rec.close();
  }
});
