/**
 * Writes a connect UniversalServerResponse to a Node.js HTTP/1.1 or HTTP/2
 * response, like connect-node's universalResponseToNodeResponse, but through
 * rpc/stream-pump.ts: a client that disconnects or stops reading never leaves
 * the handler waiting for a drain that will not come.
 */
import type * as http from 'node:http';
import * as http2 from 'node:http2';
import type { UniversalServerResponse } from '@connectrpc/connect/protocol';
import { pumpStream, type StreamSink } from './stream-pump.js';

type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;

/** Node header object of web Headers (set-cookie kept as a list). */
export function nodeHeadersOf(h: Headers | undefined): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  if (h === undefined) return out;
  h.forEach((value, key) => {
    if (key === 'set-cookie') return;
    out[key] = value;
  });
  const cookies = h.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

function sinkOf(res: NodeResponse, head: () => void): StreamSink<Uint8Array> {
  const on = (event: string, fn: () => void): (() => void) => {
    (res as http.ServerResponse).on(event, fn);
    return () => {
      (res as http.ServerResponse).off(event, fn);
    };
  };
  return {
    write: (chunk) => {
      head();
      return (res as http.ServerResponse).write(chunk);
    },
    onDrain: (fn) => on('drain', fn),
    onClose: (fn) => on('close', fn),
    isClosed: () => res.destroyed || res.writableEnded,
  };
}

/** Ends a response no status can reach: HTTP/2 streams are reset with CANCEL (so the client sees it even while not reading), HTTP/1.1 sockets destroyed. */
function abandon(res: NodeResponse): void {
  const stream = (res as Partial<http2.Http2ServerResponse>).stream;
  if (stream !== undefined) {
    if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
  } else {
    res.destroy();
  }
}

/** Options of writeNodeResponse. */
export interface WriteResponseOptions {
  /** Aborted when the request is gone (client disconnect or reset). */
  readonly signal: AbortSignal;
  /** How long to wait for a client that reads nothing before destroying the response, in ms. */
  readonly stallTimeoutMs: number;
  /** Called with the trailers once the body is done, just before they are sent (may change them). */
  readonly beforeTrailers?: (trailer: Headers) => void;
}

/**
 * Sends status, headers, body and trailers of `ures`. Headers go out with
 * the first body chunk (so the handler may still set them); a client that
 * stops reading for `stallTimeoutMs` has its response destroyed.
 */
export async function writeNodeResponse(ures: UniversalServerResponse, res: NodeResponse, opts: WriteResponseOptions): Promise<void> {
  const head = (): void => {
    if (!res.headersSent) (res as http.ServerResponse).writeHead(ures.status, nodeHeadersOf(ures.header));
  };
  if (ures.body !== undefined) {
    const end = await pumpStream(ures.body as AsyncIterable<Uint8Array>, sinkOf(res, head), opts);
    if (end === 'closed') return;
    if (end !== 'complete') {
      abandon(res);
      return;
    }
  }
  head();
  if (ures.trailer !== undefined) {
    opts.beforeTrailers?.(ures.trailer);
    (res as http.ServerResponse).addTrailers(nodeHeadersOf(ures.trailer));
  }
  await new Promise<void>((resolve) => {
    if (res.destroyed) return resolve();
    res.once('close', () => resolve());
    (res as http.ServerResponse).end(() => resolve());
  });
}
