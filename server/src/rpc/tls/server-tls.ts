/**
 * The server's TLS material, loaded from PEM files and reloaded while the
 * server runs: one source for both ports. grpc-js reads the files itself
 * through its experimental FileWatcherCertificateProvider (polled every
 * `reloadMs`); this class sits between that watcher and grpc-js's
 * certificate-provider credentials and passes a new certificate, key or
 * client CA on only when it changed and loads (tls.createSecureContext):
 * grpc-js would otherwise drop every new connection after a bad pair, or
 * after reading a certificate whose key was not written yet. A refused
 * update is reported and the previous material stays in use; a later read
 * of a good pair takes over. The HTTP port subscribes with onChange() and
 * calls setSecureContext with the same material.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type {
  CaCertificateUpdateListener,
  CertificateProvider,
  IdentityCertificateUpdateListener,
} from '@grpc/grpc-js/build/src/certificate-provider';

/** Whether a client certificate is required, or verified when sent but optional. */
export type ClientAuth = 'require' | 'optional';

/** Where the TLS material lives and how often it is re-read. */
export interface ServerTlsOptions {
  /** PEM certificate file (leaf first, then intermediates). */
  readonly certFile: string;
  /** PEM private key file of the certificate. */
  readonly keyFile: string;
  /** PEM CA bundle client certificates must chain to; omit for no client certificates (no mTLS). */
  readonly clientCaFile?: string;
  /** With clientCaFile: refuse connections without a certificate ('require', the default) or accept them ('optional'). */
  readonly clientAuth?: ClientAuth;
  /** How often the files are read for a change, in ms (default 5000). */
  readonly reloadMs?: number;
  /** Told of every accepted new certificate (its SHA-256 fingerprint) and every refused update (why). */
  readonly onEvent?: (event: TlsReloadEvent) => void;
}

/** What a reload did. */
export type TlsReloadEvent =
  { readonly kind: 'reloaded'; readonly fingerprint256: string } | { readonly kind: 'refused'; readonly err: Error };

/** The material in use. */
interface Material {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
}

function fingerprintOf(cert: Buffer): string {
  return new X509Certificate(cert).fingerprint256;
}

/** Throws when `m` does not make a secure context (unparsable PEM, a key that does not match the certificate). */
function checkLoads(m: Material): void {
  createSecureContext({ cert: m.cert, key: m.key, ...(m.ca !== undefined ? { ca: m.ca } : {}) });
}

/** The TLS material of both ports (see the file comment). */
export class ServerTls implements CertificateProvider {
  /** Whether clients must present a verified certificate (mTLS with clientAuth 'require'). */
  readonly requireClientCertificate: boolean;
  /** Whether clients are asked for a certificate at all (a client CA is set). */
  readonly requestClientCertificate: boolean;
  private material: Material;
  private readonly watcher: grpc.experimental.FileWatcherCertificateProvider;
  private readonly identityListeners = new Set<IdentityCertificateUpdateListener>();
  private readonly caListeners = new Set<CaCertificateUpdateListener>();
  private readonly changeListeners = new Set<(options: SecureContextOptions) => void>();
  private pending: { cert?: Buffer; key?: Buffer; ca?: Buffer } = {};
  private closed = false;

  /** Reads and checks the files now (throws when they do not load), then watches them. */
  constructor(private readonly opts: ServerTlsOptions) {
    this.requestClientCertificate = opts.clientCaFile !== undefined;
    this.requireClientCertificate = this.requestClientCertificate && (opts.clientAuth ?? 'require') === 'require';
    const material: Material = {
      cert: readFileSync(opts.certFile),
      key: readFileSync(opts.keyFile),
      ca: opts.clientCaFile === undefined ? undefined : readFileSync(opts.clientCaFile),
    };
    try {
      checkLoads(material);
    } catch (e) {
      throw new Error(`TLS certificate ${opts.certFile} with key ${opts.keyFile} does not load: ${(e as Error).message}`, { cause: e });
    }
    this.material = material;
    this.watcher = new grpc.experimental.FileWatcherCertificateProvider({
      certificateFile: opts.certFile,
      privateKeyFile: opts.keyFile,
      ...(opts.clientCaFile !== undefined ? { caCertificateFile: opts.clientCaFile } : {}),
      refreshIntervalMs: opts.reloadMs ?? 5000,
    });
    this.watcher.addIdentityCertificateListener(this.onIdentity);
    if (opts.clientCaFile !== undefined) this.watcher.addCaCertificateListener(this.onCa);
  }

  /** The SHA-256 fingerprint of the certificate in use. */
  get fingerprint256(): string {
    return fingerprintOf(this.material.cert);
  }

  /** The options of a Node TLS server with the material in use (certificate, key, client CA). */
  secureContextOptions(): SecureContextOptions {
    const { cert, key, ca } = this.material;
    return { cert, key, ...(ca !== undefined ? { ca } : {}) };
  }

  /** Calls `listener` with the new options after every accepted change; returns the unsubscribe function. */
  onChange(listener: (options: SecureContextOptions) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** grpc-js server credentials that follow this material (its certificate-provider credentials). */
  grpcCredentials(): grpc.ServerCredentials {
    // grpc-js 1.14's declaration names the first argument caCertificateProvider, but its code uses the
    // first as the identity provider and the second (null: no client certificates) as the CA provider.
    return grpc.experimental.createCertificateProviderServerCredentials(
      this,
      this.requestClientCertificate ? this : null,
      this.requireClientCertificate,
    );
  }

  /** Stops watching the files. */
  close(): void {
    this.closed = true;
    this.watcher.removeIdentityCertificateListener(this.onIdentity);
    this.watcher.removeCaCertificateListener(this.onCa);
  }

  addIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => listener({ certificate: this.material.cert, privateKey: this.material.key }));
  }

  removeIdentityCertificateListener(listener: IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }

  addCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    const ca = this.material.ca;
    if (ca !== undefined) process.nextTick(() => listener({ caCertificate: ca }));
  }

  removeCaCertificateListener(listener: CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  // The watcher calls the identity listener, then the CA listener, after each read; a failed read is null.
  private readonly onIdentity: IdentityCertificateUpdateListener = (update) => {
    this.pending = update === null ? {} : { cert: update.certificate, key: update.privateKey };
    if (this.opts.clientCaFile === undefined) this.settle();
  };

  private readonly onCa: CaCertificateUpdateListener = (update) => {
    this.pending = { ...this.pending, ...(update !== null ? { ca: update.caCertificate } : {}) };
    this.settle();
  };

  private settle(): void {
    const { cert, key, ca } = this.pending;
    this.pending = {};
    if (this.closed) return;
    if (cert === undefined || key === undefined || (this.opts.clientCaFile !== undefined && ca === undefined)) {
      this.refuse(new Error('a TLS certificate, key or client CA file could not be read'));
      return;
    }
    const next: Material = { cert, key, ca };
    const old = this.material;
    if (next.cert.equals(old.cert) && next.key.equals(old.key) && (next.ca?.equals(old.ca ?? Buffer.alloc(0)) ?? old.ca === undefined))
      return;
    try {
      checkLoads(next);
    } catch (e) {
      this.refuse(new Error(`the new TLS material does not load, the previous stays in use: ${(e as Error).message}`, { cause: e }));
      return;
    }
    this.material = next;
    this.lastRefusal = '';
    for (const l of this.identityListeners) l({ certificate: next.cert, privateKey: next.key });
    if (next.ca !== undefined) for (const l of this.caListeners) l({ caCertificate: next.ca });
    const options = this.secureContextOptions();
    for (const l of this.changeListeners) l(options);
    this.opts.onEvent?.({ kind: 'reloaded', fingerprint256: fingerprintOf(next.cert) });
  }

  private lastRefusal = '';

  private refuse(err: Error): void {
    // Reported once per distinct failure: the watcher re-reads the same bad files every interval.
    if (err.message === this.lastRefusal) return;
    this.lastRefusal = err.message;
    this.opts.onEvent?.({ kind: 'refused', err });
  }
}
