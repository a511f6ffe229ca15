/**
 * Two behaviours grpc-js (1.14, pinned) offers no public option for, added
 * through its internals; test/abuse/ proves both against a real server, and
 * if a later grpc-js lacks a hook the stock behaviour remains (each function
 * returns false then):
 * - unknown methods answer UNIMPLEMENTED / METHOD_NOT_FOUND with an
 *   ErrorInfo like every other error (grpc-js sends no details): its
 *   handler lookup `_retrieveHandler` is wrapped;
 * - a connection that has not sent the HTTP/2 preface and SETTINGS within
 *   the headers timeout is destroyed (grpc-js waits forever): its HTTP/2
 *   servers (`http2Servers`) get a session listener.
 */
import type * as http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';
import { Code, ConnectError } from '@connectrpc/connect';
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
      const timer = setTimeout(() => { if (!session.destroyed) session.destroy(); }, timeoutMs);
      timer.unref();
      session.once('remoteSettings', () => clearTimeout(timer));
      session.once('close', () => clearTimeout(timer));
    });
  }
  return servers.size > 0;
}
