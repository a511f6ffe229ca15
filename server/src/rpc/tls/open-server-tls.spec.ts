import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/load-config.js';
import type { AppLogger } from '../../observability/logger.js';
import { createTestCa } from '../../../../test/harness/certs.js';
import { openServerTls } from './open-server-tls.js';

test('undefined without SB_TLS_CERT_FILE; otherwise the material, with client auth as set, and one log line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-open-tls-'));
  try {
    const ca = createTestCa(dir);
    const s = ca.issue('s', 'localhost');
    const lines: unknown[][] = [];
    const log = { info: (...a: unknown[]) => lines.push(a), error: (...a: unknown[]) => lines.push(a) } as unknown as AppLogger;
    expect(openServerTls(loadConfig({ argv: [], env: {} }).config, log)).toBeUndefined();
    const env = { SB_TLS_CERT_FILE: s.certFile, SB_TLS_KEY_FILE: s.keyFile, SB_TLS_CLIENT_CA_FILE: ca.certFile };
    const tls = openServerTls(loadConfig({ argv: [], env }).config, log)!;
    try {
      expect([tls.fingerprint256, tls.requireClientCertificate]).toEqual([s.fingerprint256, true]);
      expect(lines).toEqual([[{ fingerprint256: s.fingerprint256, clientAuth: 'require' }, 'TLS on both ports']]);
    } finally {
      tls.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
