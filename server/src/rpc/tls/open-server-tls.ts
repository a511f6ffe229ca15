/**
 * The server's TLS material from its settings (SB_TLS_*), or undefined for
 * plaintext ports; each accepted new certificate and each refused update is
 * logged. main.ts passes it to RpcServer and closes it at shutdown.
 */
import type { Config } from '../../config/settings.js';
import type { AppLogger } from '../../observability/logger.js';
import { ServerTls } from './server-tls.js';

/** Loads the TLS files (throws when they do not load) and logs the certificate in use; undefined without SB_TLS_CERT_FILE. */
export function openServerTls(config: Config, log: AppLogger): ServerTls | undefined {
  if (config.tlsCertFile === undefined || config.tlsKeyFile === undefined) return undefined;
  const tls = new ServerTls({
    certFile: config.tlsCertFile,
    keyFile: config.tlsKeyFile,
    ...(config.tlsClientCaFile !== undefined ? { clientCaFile: config.tlsClientCaFile } : {}),
    clientAuth: config.tlsClientAuth ?? 'require',
    reloadMs: config.tlsReloadMs,
    onEvent: (e) =>
      e.kind === 'reloaded'
        ? log.info({ fingerprint256: e.fingerprint256 }, 'TLS certificate reloaded')
        : log.error({ err: e.err }, 'TLS certificate update refused'),
  });
  log.info(
    { fingerprint256: tls.fingerprint256, clientAuth: tls.requestClientCertificate ? (config.tlsClientAuth ?? 'require') : 'none' },
    'TLS on both ports',
  );
  return tls;
}
