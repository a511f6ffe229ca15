/**
 * Optional client authentication (SB_TLS_CLIENT_AUTH=optional) on both
 * ports: Node's TLS server asks for a certificate but, with
 * rejectUnauthorized off, also completes the handshake with one that does
 * not verify. Such a connection is destroyed as soon as its handshake
 * completes, before any request is read: a caller either presents a
 * certificate the client CA signed, or none (and then needs another
 * credential, e.g. an API key). With 'require', Node refuses both cases in
 * the handshake itself.
 */
import type * as http2 from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';

/** Destroys `socket` when it presented a client certificate that did not verify; true when it did so. */
export function refuseUnverifiedCertificate(socket: TLSSocket): boolean {
  if (socket.authorized) return false;
  const cert = socket.getPeerCertificate();
  if (cert === null || cert === undefined || cert.raw === undefined) return false;
  socket.destroy();
  return true;
}

/**
 * Applies refuseUnverifiedCertificate to every connection of `server`'s
 * TLS ports (grpc-js has no option for it: its `http2Servers` internals get
 * a listener, like rpc/grpc-js-hooks.ts). Call after bindAsync; returns
 * false when grpc-js offers no hook.
 */
export function refuseUnverifiedOnGrpc(server: grpc.Server): boolean {
  const servers = (server as unknown as { http2Servers?: Map<http2.Http2SecureServer, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return false;
  for (const h2 of servers.keys()) h2.on('secureConnection', (socket: TLSSocket) => void refuseUnverifiedCertificate(socket));
  return servers.size > 0;
}
