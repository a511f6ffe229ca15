/**
 * The TLS front of the HTTP port (connect-mount.ts): a tls.Server with ALPN
 * h2 and http/1.1 and the client-certificate policy of a ServerTls, whose
 * certificate follows the ServerTls's reloads (setSecureContext). Each
 * connection that completes its handshake (and, with optional client auth,
 * did not present an unverified certificate) is handed on decrypted, to be
 * routed like a plaintext one.
 */
import type * as net from 'node:net';
import * as tls from 'node:tls';
import { refuseUnverifiedCertificate } from './client-auth.js';
import type { ServerTls } from './server-tls.js';

/** What the listener does with its connections. */
export interface SecureListenerHooks {
  /** Longest TLS handshake, in ms. */
  readonly handshakeTimeoutMs: number;
  /** Receives each accepted, decrypted connection. */
  readonly onConnection: (socket: tls.TLSSocket) => void;
  /** Receives each raw TCP socket as it arrives (so shutdown can end handshakes in progress too). */
  readonly onRawSocket: (socket: net.Socket) => void;
}

/** A TLS server over `material` (see the file comment); listen() it like a net.Server. */
export function secureListener(material: ServerTls, hooks: SecureListenerHooks): tls.Server {
  const server = tls.createServer(
    {
      ...material.secureContextOptions(),
      ALPNProtocols: ['h2', 'http/1.1'],
      requestCert: material.requestClientCertificate,
      rejectUnauthorized: material.requireClientCertificate,
      handshakeTimeout: hooks.handshakeTimeoutMs,
      noDelay: true,
    },
    (socket) => {
      if (!refuseUnverifiedCertificate(socket)) hooks.onConnection(socket);
    },
  );
  server.on('connection', hooks.onRawSocket);
  // A failed handshake (wrong CA, a plaintext client, no certificate under 'require') only closes its socket.
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  const unsubscribe = material.onChange((options) => server.setSecureContext(options));
  server.once('close', unsubscribe);
  return server;
}
