import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import type * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { createTestCa, type CertFiles, type TestCa } from '../../../../test/harness/certs.js';
import { secureListener } from './secure-listener.js';
import { ServerTls } from './server-tls.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-listener-'));
let ca: TestCa;
let a: CertFiles;
let b: CertFiles;
beforeAll(() => {
  ca = createTestCa(dir);
  a = ca.issue('a', 'localhost');
  b = ca.issue('b', 'localhost');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function handshake(port: number, alpn: string[]): Promise<{ alpn: string | false | null; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    // Resolved when the server, which destroys every accepted socket, closes this one.
    const s = tls.connect({ host: '127.0.0.1', port, ca: ca.cert, servername: 'localhost', ALPNProtocols: alpn }, () => {
      const seen = { alpn: s.alpnProtocol, fingerprint: s.getPeerCertificate().fingerprint256 };
      s.once('close', () => resolve(seen));
      s.resume();
    });
    s.once('error', reject);
  });
}

test('negotiates h2 or http/1.1, hands on decrypted sockets, and serves a reloaded certificate to new connections', async () => {
  const live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
  copyFileSync(a.certFile, live.certFile);
  copyFileSync(a.keyFile, live.keyFile);
  const material = new ServerTls({ ...live, reloadMs: 100 });
  const accepted: string[] = [];
  const raw: net.Socket[] = [];
  const server = secureListener(material, {
    handshakeTimeoutMs: 5000,
    onConnection: (s) => {
      accepted.push(String(s.alpnProtocol));
      s.destroy();
    },
    onRawSocket: (s) => raw.push(s),
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  try {
    expect(await handshake(port, ['h2'])).toEqual({ alpn: 'h2', fingerprint: a.fingerprint256 });
    expect(await handshake(port, ['http/1.1'])).toEqual({ alpn: 'http/1.1', fingerprint: a.fingerprint256 });
    copyFileSync(b.keyFile, live.keyFile);
    copyFileSync(b.certFile, live.certFile);
    let seen = '';
    for (let i = 0; i < 200 && seen !== b.fingerprint256; i++) {
      await new Promise((r) => setTimeout(r, 25));
      seen = (await handshake(port, ['h2'])).fingerprint;
    }
    expect(seen).toBe(b.fingerprint256);
    expect(accepted.slice(0, 2)).toEqual(['h2', 'http/1.1']);
    expect(raw.length).toBe(accepted.length);
  } finally {
    material.close();
    await new Promise((r) => server.close(r));
  }
});
