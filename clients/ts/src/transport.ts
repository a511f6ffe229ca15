/**
 * Builds the Connect transport a client talks through, and a function that
 * releases its connections.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Interceptor, Transport } from '@connectrpc/connect';
import { createConnectTransport, createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import type { ClientOptions } from './options.js';
import { apiKeyInterceptor, tlsNodeOptions } from './tls.js';

/** A transport and the function that closes its connections. */
export interface OwnedTransport {
  /** The transport to create the service client with. */
  readonly transport: Transport;
  /** Closes the connections the transport opened (no-op for a caller-supplied transport). */
  readonly close: () => void;
}

/** The base URL from options: baseUrl as is, or http://<address> (https:// with `tls`). */
export function resolveBaseUrl(options: Pick<ClientOptions, 'address' | 'baseUrl' | 'tls'>): string {
  if (options.baseUrl) {
    if (options.tls !== undefined && !options.baseUrl.startsWith('https:')) throw new TypeError('tls needs an https:// baseUrl');
    return options.baseUrl.replace(/\/+$/, '');
  }
  if (options.address) return `${options.tls !== undefined ? 'https' : 'http'}://${options.address}`;
  throw new TypeError('createClient needs an address ("host:port") or a baseUrl');
}

/** Creates the transport named by options.transport with `retry` (the retry interceptor, or none), TLS and the API key header. */
export function buildTransport(options: ClientOptions, retry: Interceptor[]): OwnedTransport {
  const kind = options.transport ?? 'grpc';
  if (typeof kind === 'object') return { transport: kind, close: () => undefined };
  const baseUrl = resolveBaseUrl(options);
  const defaultTimeoutMs = options.timeoutMs;
  const tls = options.tls === undefined ? {} : tlsNodeOptions(options.tls);
  // Innermost: every attempt of a retried call carries the key.
  const interceptors = options.apiKey === undefined ? retry : [...retry, apiKeyInterceptor(options.apiKey)];
  if (kind === 'grpc') {
    const sessionManager = new Http2SessionManager(baseUrl, undefined, tls);
    const transport = createGrpcTransport({ baseUrl, interceptors, defaultTimeoutMs, sessionManager });
    return { transport, close: () => sessionManager.abort() };
  }
  if (kind === 'connect') {
    const agent = baseUrl.startsWith('https:') ? new https.Agent({ keepAlive: true, ...tls }) : new http.Agent({ keepAlive: true });
    const transport = createConnectTransport({ baseUrl, httpVersion: '1.1', interceptors, defaultTimeoutMs, nodeOptions: { agent } });
    return { transport, close: () => agent.destroy() };
  }
  throw new TypeError(`unknown transport ${String(kind)}: use 'grpc' or 'connect'`);
}
