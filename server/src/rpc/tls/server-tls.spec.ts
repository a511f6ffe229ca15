import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestCa, type CertFiles, type TestCa } from '../../../../test/harness/certs.js';
import { ServerTls, type TlsReloadEvent } from './server-tls.js';

const dir = mkdtempSync(join(tmpdir(), 'sb-srvtls-'));
let ca: TestCa;
let a: CertFiles;
let b: CertFiles;

beforeAll(() => {
  ca = createTestCa(dir);
  a = ca.issue('a', 'localhost');
  b = ca.issue('b', 'localhost');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(cond()).toBe(true);
}

test('a pair that does not load is refused at construction, naming the files', () => {
  expect(() => new ServerTls({ certFile: a.certFile, keyFile: b.keyFile })).toThrow(
    /TLS certificate .*a\.crt with key .*b\.key does not load/,
  );
});

test('client certificates: none without a CA; required by default with one; optional on request', () => {
  const t = [
    new ServerTls({ certFile: a.certFile, keyFile: a.keyFile }),
    new ServerTls({ certFile: a.certFile, keyFile: a.keyFile, clientCaFile: ca.certFile }),
    new ServerTls({ certFile: a.certFile, keyFile: a.keyFile, clientCaFile: ca.certFile, clientAuth: 'optional' }),
  ];
  expect(t.map((x) => [x.requestClientCertificate, x.requireClientCertificate])).toEqual([
    [false, false],
    [true, true],
    [true, false],
  ]);
  t.forEach((x) => x.close());
});

test('a broken new pair is reported once and the old kept; a good one replaces it and is announced to onChange', async () => {
  const live = { certFile: join(dir, 'live.crt'), keyFile: join(dir, 'live.key') };
  copyFileSync(a.certFile, live.certFile);
  copyFileSync(a.keyFile, live.keyFile);
  const events: TlsReloadEvent[] = [];
  const changes: unknown[] = [];
  const t = new ServerTls({ ...live, reloadMs: 100, onEvent: (e) => events.push(e) });
  t.onChange((o) => changes.push(o));
  try {
    expect(t.fingerprint256).toBe(a.fingerprint256);
    copyFileSync(b.certFile, live.certFile); // b's certificate with a's key
    await until(() => events.length > 0);
    await new Promise((r) => setTimeout(r, 350)); // several more reads of the same broken pair
    expect(events.map((e) => e.kind)).toEqual(['refused']);
    expect(t.fingerprint256).toBe(a.fingerprint256);
    expect(changes).toEqual([]);
    copyFileSync(b.keyFile, live.keyFile);
    await until(() => events.length > 1);
    expect(events[1]).toEqual({ kind: 'reloaded', fingerprint256: b.fingerprint256 });
    expect(t.fingerprint256).toBe(b.fingerprint256);
    expect(changes).toHaveLength(1);
    expect((changes[0] as { cert: Buffer }).cert.equals(b.cert)).toBe(true);
  } finally {
    t.close();
  }
});
