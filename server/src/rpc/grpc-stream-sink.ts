/**
 * The grpc-js side of a server stream, for rpc/stream-pump.ts: a StreamSink
 * over a ServerWritableStream, and a reset for calls whose client stopped
 * reading. grpc-js sends a status only after every queued message was
 * flushed, so a call blocked on a client that reads nothing can only be
 * ended by resetting its HTTP/2 stream (the client sees CANCELLED).
 */
import * as http2 from 'node:http2';
import type * as grpc from '@grpc/grpc-js';
import type { StreamSink } from './stream-pump.js';

type WritableCall = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** A StreamSink writing to a grpc-js server stream. */
export function grpcStreamSink(call: WritableCall): StreamSink<unknown> {
  const on = (event: string, fn: () => void): (() => void) => {
    call.on(event, fn);
    return () => {
      call.off(event, fn);
    };
  };
  return {
    write: (m) => call.write(m),
    onDrain: (fn) => on('drain', fn),
    onClose: (fn) => {
      const offs = [on('cancelled', fn), on('close', fn), on('finish', fn)];
      return () => offs.forEach((off) => off());
    },
    isClosed: () => call.cancelled || call.destroyed || call.writableFinished,
  };
}

/** The HTTP/2 stream under a grpc-js server call (grpc-js 1.14 keeps it on its intercepting call, which is the base call when the server has no interceptors). */
function http2StreamOf(call: WritableCall): http2.ServerHttp2Stream | undefined {
  const inner = (call as unknown as { call?: { stream?: unknown } }).call;
  const stream = inner?.stream as Partial<http2.ServerHttp2Stream> | undefined;
  return typeof stream?.close === 'function' && typeof stream.respond === 'function' ? (stream as http2.ServerHttp2Stream) : undefined;
}

/**
 * Ends a call whose client reads nothing: resets its HTTP/2 stream with
 * CANCEL, which frees its buffers and makes grpc-js report it cancelled.
 * Returns false when the stream could not be found (then the call is destroyed instead).
 */
export function resetGrpcCall(call: WritableCall): boolean {
  const stream = http2StreamOf(call);
  if (stream === undefined) {
    call.destroy();
    return false;
  }
  if (!stream.destroyed && !stream.closed) stream.close(http2.constants.NGHTTP2_CANCEL);
  return true;
}
