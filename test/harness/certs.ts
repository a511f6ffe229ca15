/**
 * Throwaway X.509 material for TLS tests, made with the `openssl` CLI in a
 * directory of the caller's (a temp dir): a CA, then server and client
 * certificates it signs (P-256 keys, valid one day). Every test that needs
 * TLS or mTLS builds its own; nothing here is fit for production.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';

/** A certificate and its key, as PEM files and their contents. */
export interface CertFiles {
  /** The certificate's PEM file. */
  readonly certFile: string;
  /** The private key's PEM file (unencrypted). */
  readonly keyFile: string;
  /** The certificate's PEM text. */
  readonly cert: Buffer;
  /** The key's PEM text. */
  readonly key: Buffer;
  /** The certificate's SHA-256 fingerprint as Node prints it (AA:BB:…), to tell certificates apart. */
  readonly fingerprint256: string;
}

/** What a leaf certificate says about its holder. */
export interface LeafOptions {
  /** subjectAltName entries, e.g. ['DNS:localhost', 'IP:127.0.0.1', 'URI:spiffe://x/y'] (default: localhost and 127.0.0.1). */
  readonly sans?: readonly string[];
  /** 'server' (default) or 'client': the extended key usage. */
  readonly usage?: 'server' | 'client';
}

/** A CA that issues leaf certificates. */
export interface TestCa extends CertFiles {
  /** Issues a certificate for `cn`, its files named after `name` in the CA's directory. */
  issue(name: string, cn: string, options?: LeafOptions): CertFiles;
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function filesOf(certFile: string, keyFile: string): CertFiles {
  const cert = readFileSync(certFile);
  return { certFile, keyFile, cert, key: readFileSync(keyFile), fingerprint256: new X509Certificate(cert).fingerprint256 };
}

const KEY_ARGS = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A new CA named `name` (also its common name) with its files in `dir`. */
export function createTestCa(dir: string, name = 'SmarterBase Test CA'): TestCa {
  const base = join(dir, name.replace(/[^A-Za-z0-9]+/g, '-'));
  openssl(['req', '-x509', ...KEY_ARGS, '-keyout', `${base}.key`, '-out', `${base}.crt`, '-days', '1', '-subj', `/CN=${name}`]);
  const ca = filesOf(`${base}.crt`, `${base}.key`);
  let serial = Math.floor(Math.random() * 1e9);
  return {
    ...ca,
    issue(leafName: string, cn: string, options: LeafOptions = {}): CertFiles {
      const leaf = join(dir, leafName);
      const sans = options.sans ?? ['DNS:localhost', 'IP:127.0.0.1'];
      const usage = options.usage === 'client' ? 'clientAuth' : 'serverAuth';
      writeFileSync(
        `${leaf}.ext`,
        `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=${usage}\nsubjectAltName=${sans.join(',')}\n`,
      );
      openssl(['req', ...KEY_ARGS, '-keyout', `${leaf}.key`, '-out', `${leaf}.csr`, '-subj', `/CN=${cn}`]);
      serial++;
      openssl([
        'x509', '-req', '-in', `${leaf}.csr`, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', String(serial),
        '-days', '1', '-extfile', `${leaf}.ext`, '-out', `${leaf}.crt`,
      ]); // prettier-ignore
      return filesOf(`${leaf}.crt`, `${leaf}.key`);
    },
  };
}
