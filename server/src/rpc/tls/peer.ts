/**
 * The caller's transport identity as the RPC layer sees it: the client
 * certificate its connection presented and the server verified against
 * SB_TLS_CLIENT_CA_FILE (mTLS). Both mounts put a Peer under PEER_KEY in
 * every call's context values, so the authentication step (a decorator of
 * the chain) can map `certificate.subject` / `certificate.sans` to a
 * principal without knowing the transport. A certificate that did not
 * verify never appears here (its connection is refused, see
 * client-auth.ts), nor does one on a plaintext port.
 */
import type { PeerCertificate as NodePeerCertificate, TLSSocket } from 'node:tls';
import { createContextKey, type HandlerContext } from '@connectrpc/connect';

/** A verified client certificate, reduced to what identifies its holder. */
export interface PeerCertificate {
  /** The subject as "CN=…, O=…" (RFC 2253 order of Node's parse), e.g. "CN=billing-api, O=Acme". */
  readonly subject: string;
  /** The subject's common name, when it has one. */
  readonly commonName?: string;
  /** The subjectAltName entries, each as TYPE:value: "DNS:host", "IP:10.0.0.1", "URI:spiffe://…", "email:a@b". */
  readonly sans: readonly string[];
  /** SHA-256 fingerprint (AA:BB:…), to pin one certificate. */
  readonly fingerprint256: string;
  /** Serial number in hex, as the issuing CA assigned it. */
  readonly serialNumber: string;
}

/** What a call knows of its caller from the transport. */
export interface Peer {
  /** The verified client certificate of the call's connection; undefined without mTLS or when the client sent none (optional client auth). */
  readonly certificate: PeerCertificate | undefined;
}

/** A call without a verified certificate (plaintext, TLS without client auth, or none sent). */
export const ANONYMOUS_PEER: Peer = Object.freeze({ certificate: undefined });

/** The context value key of a call's Peer; ANONYMOUS_PEER by default. */
export const PEER_KEY = createContextKey<Peer>(ANONYMOUS_PEER, { description: 'smarterbase transport peer' });

function text(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join('+') : v;
}

/** Node's subjectaltname ("DNS:a, IP Address:1.2.3.4, URI:x") as a list of TYPE:value. */
export function parseSans(altNames: string | undefined): string[] {
  if (altNames === undefined || altNames === '') return [];
  return altNames
    .split(/, (?=[A-Za-z ]+:)/)
    .map((s) => s.trim().replace(/^IP Address:/, 'IP:'))
    .filter((s) => s !== '');
}

/** The PeerCertificate of Node's parsed certificate, or undefined for an empty one (no certificate sent). */
export function peerCertificateOf(cert: NodePeerCertificate | undefined): PeerCertificate | undefined {
  if (cert === undefined || cert === null || cert.raw === undefined) return undefined;
  const subject = Object.entries(cert.subject ?? {})
    .map(([k, v]) => `${k}=${text(v as string | string[])}`)
    .join(', ');
  const commonName = text(cert.subject?.CN);
  return {
    subject,
    ...(commonName !== undefined ? { commonName } : {}),
    sans: parseSans(cert.subjectaltname),
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
  };
}

/** A Peer whose certificate is parsed on first use (most calls never ask). */
export function lazyPeer(read: () => NodePeerCertificate | undefined): Peer {
  let parsed: PeerCertificate | undefined | null = null;
  return {
    get certificate(): PeerCertificate | undefined {
      if (parsed === null) parsed = peerCertificateOf(read());
      return parsed;
    },
  };
}

/**
 * The Peer of an HTTP request's socket (connect mount): a TLS socket whose
 * client certificate verified, else ANONYMOUS_PEER. For HTTP/2 requests the
 * socket is Node's proxy of the session's TLS socket, which forwards both.
 */
export function peerOfSocket(socket: unknown): Peer {
  const tlsSocket = socket as Partial<TLSSocket> | undefined;
  if (tlsSocket?.encrypted !== true || tlsSocket.authorized !== true || typeof tlsSocket.getPeerCertificate !== 'function')
    return ANONYMOUS_PEER;
  return lazyPeer(() => tlsSocket.getPeerCertificate!());
}

/** A grpc-js server call as far as its peer goes (getAuthContext exists from grpc-js 1.14). */
export interface AuthContextCall {
  getAuthContext?(): { readonly sslPeerCertificate?: NodePeerCertificate } | null;
}

/** The Peer of a grpc-js call: grpc-js reports the certificate only when it verified. */
export function peerOfGrpcCall(call: AuthContextCall): Peer {
  if (typeof call.getAuthContext !== 'function') return ANONYMOUS_PEER;
  return lazyPeer(() => call.getAuthContext!()?.sslPeerCertificate);
}

/**
 * The names a call's verified client certificate answers to: its full
 * subject ("CN=billing, O=Example"), its subject alternative names
 * ("DNS:billing.internal"), and "CN=<common name>" alone, so a principal
 * may list whichever it knows (docs/security.md).
 */
export function peerIdentityOf(ctx: HandlerContext): { subject: string; sans: readonly string[] } | undefined {
  const cert = ctx.values.get(PEER_KEY).certificate;
  if (cert === undefined) return undefined;
  return { subject: cert.subject, sans: cert.commonName === undefined ? cert.sans : [...cert.sans, `CN=${cert.commonName}`] };
}
