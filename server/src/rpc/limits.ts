/**
 * The resource limits of the transport edge (docs/limits.md): per
 * connection, per call and per server. One object, filled from the
 * configuration by main.ts; every default is the settings table's
 * (config/settings.ts, mirrored by docs/configuration.md).
 */
import { createContextKey } from '@connectrpc/connect';
import { numericDefault } from '../config/settings.js';

/** Limits applied by both ports. */
export interface ServerLimits {
  /** A server stream whose client reads nothing for this long is reset, in ms. */
  readonly streamStallTimeoutMs: number;
  /** Most concurrent calls (HTTP/2 streams) on one connection. */
  readonly maxConcurrentStreams: number;
  /** Most calls served at once by the server, both ports together (health aside). */
  readonly maxCallsInFlight: number;
  /** Most LockService.Hold streams open on one connection. */
  readonly maxHoldsPerConnection: number;
  /** A connection without activity for this long is closed, in ms. */
  readonly idleConnectionTimeoutMs: number;
  /** Time a new connection has to send its first request headers (HTTP/1.1) or preface (HTTP/2), in ms. */
  readonly headersTimeoutMs: number;
  /** Interval of keepalive pings on a quiet HTTP/2 connection, in ms. */
  readonly keepaliveTimeMs: number;
  /** An unanswered keepalive ping closes the connection after this long, in ms. */
  readonly keepaliveTimeoutMs: number;
  /** Request messages larger than this many bytes are decoded in a worker thread (rpc/decode-pool.ts); 0 = all inline. */
  readonly decodeOffloadBytes: number;
  /** Worker threads that decode large requests. */
  readonly decodeWorkers: number;
  /** Large requests that may wait for a decode worker; more are RESOURCE_EXHAUSTED. */
  readonly decodeMaxQueued: number;
}

/** The defaults: each read from the settings table (config/settings.ts), never spelled here. */
export const DEFAULT_LIMITS: ServerLimits = Object.freeze({
  streamStallTimeoutMs: numericDefault('streamStallTimeoutMs'),
  maxConcurrentStreams: numericDefault('maxConcurrentStreams'),
  maxCallsInFlight: numericDefault('maxCallsInFlight'),
  maxHoldsPerConnection: numericDefault('maxHoldsPerConnection'),
  idleConnectionTimeoutMs: numericDefault('idleConnectionTimeoutMs'),
  headersTimeoutMs: numericDefault('headersTimeoutMs'),
  keepaliveTimeMs: numericDefault('keepaliveTimeMs'),
  keepaliveTimeoutMs: numericDefault('keepaliveTimeoutMs'),
  decodeOffloadBytes: numericDefault('decodeOffloadBytes'),
  decodeWorkers: numericDefault('decodeWorkers'),
  decodeMaxQueued: numericDefault('decodeMaxQueued'),
});

/** The default largest message received or sent, in bytes (the settings table's maxMessageBytes). */
export const DEFAULT_MAX_MESSAGE_BYTES: number = numericDefault('maxMessageBytes');

/**
 * The connection a call arrived on ("remote address:port" of its socket),
 * set by both mounts in the handler context's values; '' when unknown.
 */
export const CONNECTION_KEY = createContextKey<string>('', { description: 'smarterbase connection id' });
