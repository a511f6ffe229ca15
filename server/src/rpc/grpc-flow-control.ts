/**
 * HTTP/2 flow-control windows of the gRPC port. grpc-js (1.14) leaves Node's
 * default on server sessions: 64 KiB per stream and per connection, and has
 * no server option for it. An Upload then moves 64 KiB per window update, so
 * its speed is bound by how quickly the event loop answers, not by the bytes
 * (issue 13 benchmark: docs/benchmarks.md, "Objects (issue 13)"). This widens
 * both windows, and the largest frame accepted, on every session the server accepts. Memory stays bounded: a
 * stream whose handler stops reading holds at most its window plus the
 * request buffer's 2 messages (grpc-mount.ts), then flow control stops the client.
 */
import type * as http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';

/** Receive window per stream the server announces (1 MiB: one upload chunk in flight beyond the request buffer). */
export const STREAM_WINDOW_BYTES = 1024 * 1024;

/** Receive window of a whole connection (8 MiB: several streams of one client move at once). */
export const CONNECTION_WINDOW_BYTES = 8 * 1024 * 1024;

/** Largest DATA frame the server accepts (1 MiB, Node's default is 16 KiB): a 1 MiB upload chunk arrives in one frame, not 64. */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** The settings widenFlowControl applies. */
export interface FlowControlWindows {
  /** SETTINGS_INITIAL_WINDOW_SIZE: each stream's receive window. */
  readonly streamBytes: number;
  /** The connection's receive window. */
  readonly connectionBytes: number;
  /** SETTINGS_MAX_FRAME_SIZE (16 KiB to 16 MiB - 1). */
  readonly maxFrameBytes: number;
}

/** The defaults above. */
export const DEFAULT_WINDOWS: FlowControlWindows = {
  streamBytes: STREAM_WINDOW_BYTES,
  connectionBytes: CONNECTION_WINDOW_BYTES,
  maxFrameBytes: MAX_FRAME_BYTES,
};

/** Applies `w` to one session: SETTINGS (stream window, frame size) and the connection window. */
export function widenSession(session: http2.Http2Session, w: FlowControlWindows): void {
  if (session.destroyed) return;
  session.settings({ initialWindowSize: w.streamBytes, maxFrameSize: w.maxFrameBytes });
  session.setLocalWindowSize(w.connectionBytes);
}

/**
 * Widens the receive windows of every session `server` accepts. Call after
 * bindAsync; returns false when grpc-js offers no hook (then Node's defaults stay).
 */
export function widenFlowControl(server: grpc.Server, w: FlowControlWindows = DEFAULT_WINDOWS): boolean {
  const servers = (server as unknown as { http2Servers?: Map<http2.Http2Server, unknown> }).http2Servers;
  if (!(servers instanceof Map)) return false;
  for (const h2 of servers.keys()) h2.on('session', (session: http2.ServerHttp2Session) => widenSession(session, w));
  return servers.size > 0;
}
