/**
 * Five behaviours grpc-js (1.14, pinned) offers no public option for, added
 * through its internals; test/abuse/ and test/fuzz/ prove them against a
 * real server, and if a later grpc-js lacks a hook the stock behaviour
 * remains (each function returns false then):
 * - statuses grpc-js sends by itself (a request it cannot decompress, a bad
 *   grpc-timeout, an oversized message, a missing request message, its own
 *   deadline) get an ErrorInfo from the error table, and those caused by a
 *   malformed request become INVALID_ARGUMENT / MALFORMED_REQUEST instead of
 *   INTERNAL: the server call's `sendStatus` is wrapped;
 * - unknown methods answer UNIMPLEMENTED / METHOD_NOT_FOUND with an
 *   ErrorInfo like every other error (grpc-js sends no details): its
 *   handler lookup `_retrieveHandler` is wrapped;
 * - a connection that has not sent the HTTP/2 preface and SETTINGS within
 *   the headers timeout is destroyed (grpc-js waits forever): its HTTP/2
 *   servers (`http2Servers`) get a session listener;
 * - accepted connections have Nagle's algorithm off (disableNagle);
 * - shutdown can see which sessions are still live (trackSessions).
 */
import type * as http2 from 'node:http2';
import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import * as serverCalls from '@grpc/grpc-js/build/src/server-interceptors';
import { Code, ConnectError } from '@connectrpc/connect';
import { DbError } from '../errors/db-error.js';
import { statusDetailsBin, toConnectError } from './error-table.js';
import { grpcErrorOf } from './grpc-mount.js';

type Lookup = (path: string) => unknown;

/** Makes `server` answer unknown methods with UNIMPLEMENTED / METHOD_NOT_FOUND; returns false when grpc-js offers no hook. */
export function answerUnknownMethods(server: grpc.Server): boolean {
  const s = server as unknown as { _retrieveHandler?: Lookup };
  const original = s._retrieveHandler;
  if (typeof original !== 'function') return false;
  s._retrieveHandler = function retrieve(this: unknown, path: string): unknown {
    const found = original.call(this, path);
    if (found !== null && found !== undefined) return found;
    const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
    return {
      func: (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        call.emit('error', grpcErrorOf(new ConnectError(`unknown method ${shown}`, Code.Unimplemented)));
      },
      serialize: (m: unknown) => m,
      deserialize: (b: Buffer) => b,
      type: 'bidi',
      path,
    };
  };
  return true;
}

/**
 * Destroys connections of `server` whose client has not sent its HTTP/2
 * SETTINGS within `timeoutMs`. Call after bindAsync; returns false when
 * grpc-js offers no hook.
 */
export function closeSilentConnections(server: grpc.Server, timeoutMs: number): boolean {
  const servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return false;
  for (const h2 of servers.keys()) {
    h2.on('session', (session: http2.ServerHttp2Session) => {
      const timer = setTimeout(() => {
        if (!session.destroyed) session.destroy();
      }, timeoutMs);
      timer.unref();
      session.once('remoteSettings', () => clearTimeout(timer));
      session.once('close', () => clearTimeout(timer));
    });
  }
  return servers.size > 0;
}

/**
 * Turns Nagle's algorithm off on every connection `server` accepts (grpc-js
 * leaves Node's default, on, for server sockets; its client turns it off).
 * With Nagle on, a response written in two pieces — the trailers after the
 * message, a second small write — waits for the client's ACK of the first,
 * which a delayed ACK can hold for milliseconds: a sequential caller pays it
 * on every call. Call after bindAsync; returns false when grpc-js offers no hook.
 */
export function disableNagle(server: grpc.Server): boolean {
  const servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return false;
  for (const h2 of servers.keys()) h2.prependListener('connection', (socket: Socket) => socket.setNoDelay(true));
  return servers.size > 0;
}

/**
 * Counts the live (not yet destroyed: a closed session may still finish
 * its streams) HTTP/2 sessions of `server`. grpc-js's tryShutdown waits for the close callback of every
 * session it knows, but a session whose socket the client already destroyed
 * and whose 'close' event is still pending never calls it (Node's
 * `Http2Session.close` returns at once when destroyed; grpc-node #1458): the
 * shutdown then waits its whole grace period. Shutdown uses this count to
 * stop waiting when nothing is left to wait for. Call after bindAsync;
 * undefined when grpc-js offers no hook.
 */
export function trackSessions(server: grpc.Server): { live(): number } | undefined {
  const servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) return undefined;
  const sessions = new Set<http2.ServerHttp2Session>();
  for (const h2 of servers.keys()) {
    h2.on('session', (session: http2.ServerHttp2Session) => {
      sessions.add(session);
      session.once('close', () => sessions.delete(session));
    });
  }
  return {
    live() {
      let n = 0;
      // A closed session may still be finishing its streams (close() is graceful): live until destroyed.
      for (const s of sessions) if (!s.destroyed) n++;
      return n;
    },
  };
}

/** A status as grpc-js's server call sends it. */
export interface TransportStatus {
  code: grpc.status;
  details?: string;
  metadata?: grpc.Metadata | null;
}

/** grpc-js's own messages for statuses caused by a malformed request (not by the server). */
const MALFORMED = /deserializ|decompress|grpc-timeout|grpc-encoding/i;

/** `status` as the error table would send it: with an ErrorInfo, and malformed requests as INVALID_ARGUMENT. */
export function withStatusDetails(status: TransportStatus): TransportStatus {
  if (status.code === grpc.status.OK) return status;
  if (status.metadata !== undefined && status.metadata !== null && status.metadata.get('grpc-status-details-bin').length > 0) return status;
  const details = status.details ?? '';
  const err =
    status.code === grpc.status.INTERNAL && MALFORMED.test(details)
      ? toConnectError(new DbError('invalid', 'MALFORMED_REQUEST', `the request is malformed: ${details}`))
      : toConnectError(new ConnectError(details, status.code as number as Code));
  const metadata = status.metadata?.clone() ?? new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(statusDetailsBin(err)));
  return { code: err.code as number as grpc.status, details: err.rawMessage, metadata };
}

const PATCHED = Symbol.for('smarterbase.grpc-js.sendStatus');

/** Makes every status grpc-js sends carry an ErrorInfo (process-wide, once); returns false when grpc-js offers no hook. */
export function detailTransportStatuses(): boolean {
  const proto = (serverCalls as unknown as { BaseServerInterceptingCall?: { prototype: Record<string | symbol, unknown> } })
    .BaseServerInterceptingCall?.prototype;
  const original = proto?.sendStatus;
  if (proto === undefined || typeof original !== 'function') return false;
  if (proto[PATCHED] === true) return true;
  proto.sendStatus = function sendStatus(this: unknown, status: TransportStatus): unknown {
    return (original as (s: TransportStatus) => unknown).call(this, withStatusDetails(status));
  };
  proto[PATCHED] = true;
  return true;
}
