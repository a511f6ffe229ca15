/**
 * TLS and mTLS on both ports of a real server process (docs/security.md,
 * "TLS"): certificates made by openssl for each run (test/harness/certs.ts);
 * real clients (connect-node over HTTP/2 and HTTP/1.1, raw Node TLS and the
 * openssl CLI); certificate files replaced under a running server.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport } from '@connectrpc/connect-node';
import { DocumentService } from '../../server/src/gen/smarterbase/v1/document_service_pb.js';
import { createTestCa, type CertFiles, type TestCa } from '../harness/certs.js';
import { startServer, type ServerProcess } from '../harness/server-process.js';
import { waitFor } from '../harness/redis-process.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
let ca: TestCa;
let server: CertFiles;
let client: CertFiles;
let rogue: CertFiles;

interface Creds {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** One Put then Get through `kind` to `port` over TLS with `creds`; rejects when the call fails. */
async function roundTrip(port: number, kind: 'grpc' | 'connect-h1', creds: Creds, id = 'd1'): Promise<string> {
  const baseUrl = `https://127.0.0.1:${port}`;
  const transport =
    kind === 'grpc'
      ? createGrpcTransport({ baseUrl, nodeOptions: { ...creds } })
      : createConnectTransport({ baseUrl, httpVersion: '1.1', nodeOptions: { ...creds } });
  const docs = createClient(DocumentService, transport);
  const opts = { timeoutMs: 10_000 };
  await docs.put({ collection: 'tls', id, data: { n: id } }, opts);
  const got = await docs.get({ collection: 'tls', id }, opts);
  return String((got.document?.data as { n?: string } | undefined)?.n ?? '');
}

/** The certificate `port` presents to a new connection (SHA-256 fingerprint). */
function servedFingerprint(port: number, creds: Creds = { ca: ca.cert }): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ALPNProtocols: ['h2'], ...creds }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

function openssl(args: string[]): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('openssl', args, { timeout: 20_000 }, (_err, stdout, stderr) => resolve(stdout + stderr));
    child.stdin?.end();
  });
}

beforeAll(() => {
  ca = createTestCa(dir);
  server = ca.issue('server', 'localhost');
  client = ca.issue('client', 'client-a', { usage: 'client', sans: ['URI:spiffe://sb/client-a', 'DNS:client-a'] });
  rogue = createTestCa(dir, 'Rogue CA').issue('rogue', 'client-a', { usage: 'client' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tlsEnv = (): Record<string, string> => ({ SB_STORAGE: 'memory', SB_TLS_CERT_FILE: server.certFile, SB_TLS_KEY_FILE: server.keyFile });

describe('TLS without client certificates', () => {
  let sb: ServerProcess;
  beforeAll(async () => (sb = await startServer(tlsEnv())));
  afterAll(async () => sb?.stop());

  test('gRPC with the CA works on both ports; Connect over HTTP/1.1 + TLS works on the HTTP port', async () => {
    expect(await roundTrip(sb.grpcPort, 'grpc', { ca: ca.cert }, 'g1')).toBe('g1');
    expect(await roundTrip(sb.httpPort, 'grpc', { ca: ca.cert }, 'h2')).toBe('h2');
    expect(await roundTrip(sb.httpPort, 'connect-h1', { ca: ca.cert }, 'h1')).toBe('h1');
  });

  test('a plaintext client and a client that does not trust the CA fail on both ports', async () => {
    for (const port of [sb.grpcPort, sb.httpPort]) {
      const plain = createClient(DocumentService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}` }));
      await expect(plain.get({ collection: 'tls', id: 'x' }, { timeoutMs: 5000 })).rejects.toThrow();
      await expect(roundTrip(port, 'grpc', {})).rejects.toThrow(/certificate/i);
    }
  });

  test('openssl s_client completes a verified handshake on both ports', async () => {
    for (const port of [sb.grpcPort, sb.httpPort]) {
      const out = await openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', ca.certFile, '-verify_return_error', '-brief']);
      expect(out).toMatch(/Verification: OK/);
      expect(out).toMatch(/Peer certificate: CN ?= ?localhost/);
    }
  });
});

describe('mTLS, client certificates required', () => {
  let sb: ServerProcess;
  beforeAll(async () => (sb = await startServer({ ...tlsEnv(), SB_TLS_CLIENT_CA_FILE: ca.certFile })));
  afterAll(async () => sb?.stop());

  test('a client certificate of the CA works on both ports (HTTP/2 and HTTP/1.1)', async () => {
    const creds = { ca: ca.cert, cert: client.cert, key: client.key };
    expect(await roundTrip(sb.grpcPort, 'grpc', creds, 'm1')).toBe('m1');
    expect(await roundTrip(sb.httpPort, 'grpc', creds, 'm2')).toBe('m2');
    expect(await roundTrip(sb.httpPort, 'connect-h1', creds, 'm3')).toBe('m3');
  });

  test('no certificate, or one from another CA, is refused on both ports', async () => {
    for (const port of [sb.grpcPort, sb.httpPort]) {
      await expect(roundTrip(port, 'grpc', { ca: ca.cert })).rejects.toThrow();
      await expect(roundTrip(port, 'grpc', { ca: ca.cert, cert: rogue.cert, key: rogue.key })).rejects.toThrow();
      await expect(roundTrip(port, 'connect-h1', { ca: ca.cert, cert: rogue.cert, key: rogue.key })).rejects.toThrow();
    }
  });

  test('grpcurl with -cacert, -cert/-key and an authorization header (the docs example) reaches the server; without -cert it does not', async () => {
    const grpcurl = join(__dirname, '..', '..', '.tools', 'bin', 'grpcurl');
    const run = (args: string[]): Promise<{ ok: boolean; out: string }> =>
      new Promise((resolve) =>
        execFile(grpcurl, args, { timeout: 20_000 }, (err, stdout, stderr) => resolve({ ok: err === null, out: stdout + stderr })),
      );
    const addr = `127.0.0.1:${sb.grpcPort}`;
    const withCert = await run([
      '-cacert',
      ca.certFile,
      '-cert',
      client.certFile,
      '-key',
      client.keyFile,
      '-H',
      'authorization: Bearer k',
      addr,
      'list',
    ]);
    expect(withCert.out).toContain('smarterbase.v1.DocumentService');
    expect(withCert.ok).toBe(true);
    const without = await run(['-cacert', ca.certFile, addr, 'list']);
    expect(without.ok).toBe(false);
  });

  test('openssl s_client without a certificate gets no session', async () => {
    // TLS 1.2: the server checks the client's certificate inside the handshake, so the refusal is seen
    // before s_client reports a session. (Under TLS 1.3 it comes after the client's Finished, and an
    // s_client that quits at once may exit before reading the alert: a race under load.)
    const out = await openssl(['s_client', '-connect', `127.0.0.1:${sb.httpPort}`, '-CAfile', ca.certFile, '-brief', '-tls1_2']);
    expect(out).toMatch(/alert|error/i);
    expect(out).not.toMatch(/CONNECTION ESTABLISHED/);
  });
});

describe('mTLS, client certificates optional', () => {
  let sb: ServerProcess;
  beforeAll(async () => (sb = await startServer({ ...tlsEnv(), SB_TLS_CLIENT_CA_FILE: ca.certFile, SB_TLS_CLIENT_AUTH: 'optional' })));
  afterAll(async () => sb?.stop());

  test('no certificate and a verified one are accepted; one from another CA is refused; on both ports', async () => {
    for (const port of [sb.grpcPort, sb.httpPort]) {
      expect(await roundTrip(port, 'grpc', { ca: ca.cert }, `o${port}`)).toBe(`o${port}`);
      expect(await roundTrip(port, 'grpc', { ca: ca.cert, cert: client.cert, key: client.key }, `c${port}`)).toBe(`c${port}`);
      await expect(roundTrip(port, 'grpc', { ca: ca.cert, cert: rogue.cert, key: rogue.key })).rejects.toThrow();
    }
    await expect(roundTrip(sb.httpPort, 'connect-h1', { ca: ca.cert, cert: rogue.cert, key: rogue.key })).rejects.toThrow();
  });
});

describe('certificate reload', () => {
  test('a replaced pair is served to new connections on both ports without a restart; a broken pair is ignored', async () => {
    const live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
    copyFileSync(server.certFile, live.certFile);
    copyFileSync(server.keyFile, live.keyFile);
    const sb = await startServer({
      SB_STORAGE: 'memory',
      SB_TLS_CERT_FILE: live.certFile,
      SB_TLS_KEY_FILE: live.keyFile,
      SB_TLS_RELOAD_MS: '200',
    });
    try {
      expect(await servedFingerprint(sb.grpcPort)).toBe(server.fingerprint256);
      expect(await servedFingerprint(sb.httpPort)).toBe(server.fingerprint256);
      // A broken pair: the new certificate with the old key. Both ports keep the old pair and keep serving.
      const next = ca.issue('server-next', 'localhost');
      copyFileSync(next.certFile, live.certFile);
      await waitFor('the refused update in the log', () => sb.output().includes('TLS certificate update refused'), 20_000);
      expect(await servedFingerprint(sb.grpcPort)).toBe(server.fingerprint256);
      expect(await servedFingerprint(sb.httpPort)).toBe(server.fingerprint256);
      expect(await roundTrip(sb.grpcPort, 'grpc', { ca: ca.cert }, 'r1')).toBe('r1');
      // The matching key arrives: new connections see the new certificate.
      copyFileSync(next.keyFile, live.keyFile);
      await waitFor(
        'the new certificate on the gRPC port',
        async () => (await servedFingerprint(sb.grpcPort)) === next.fingerprint256,
        20_000,
      );
      await waitFor(
        'the new certificate on the HTTP port',
        async () => (await servedFingerprint(sb.httpPort)) === next.fingerprint256,
        20_000,
      );
      expect(await roundTrip(sb.httpPort, 'connect-h1', { ca: ca.cert }, 'r2')).toBe('r2');
    } finally {
      await sb.stop();
    }
  });
});

describe('plaintext policy', () => {
  test('a non-loopback host without TLS is refused at start-up; SB_ALLOW_PLAINTEXT=true starts it with a warning', async () => {
    await expect(startServer({ SB_STORAGE: 'memory', SB_HOST: '0.0.0.0' })).rejects.toThrow(
      /exited with 2[\s\S]*not a loopback address and TLS is off/,
    );
    const sb = await startServer({ SB_STORAGE: 'memory', SB_HOST: '0.0.0.0', SB_ALLOW_PLAINTEXT: 'true' });
    try {
      expect(sb.output()).toMatch(/"level":("warn"|40).*PLAINTEXT on non-loopback host 0\.0\.0\.0/);
    } finally {
      await sb.stop();
    }
  });

  test('a non-loopback host with TLS starts without the flag', async () => {
    const sb = await startServer({ ...tlsEnv(), SB_HOST: '0.0.0.0' });
    try {
      expect(await servedFingerprint(sb.grpcPort)).toBe(server.fingerprint256);
      expect(sb.output()).not.toContain('PLAINTEXT');
    } finally {
      await sb.stop();
    }
  });
});
