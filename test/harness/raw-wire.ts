/**
 * Hostile-client plumbing for abuse and fuzz suites: raw HTTP/2 gRPC calls
 * whose reading, cancelling and disconnecting the test controls, raw
 * HTTP/1.1 Connect streaming calls, and a /metrics scraper.
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import { readFile } from 'node:fs/promises';

/** A gRPC length-prefixed message frame (uncompressed). */
export function grpcFrame(payload: Uint8Array): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(payload.length, 1);
  return Buffer.concat([head, Buffer.from(payload)]);
}

/** An HTTP/2 connection to a gRPC server (h2c). */
export function h2Connect(port: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const s = http2.connect(`http://127.0.0.1:${port}`);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/**
 * Starts a gRPC call on `session` with `body` (already framed) and returns
 * its stream paused: nothing is read until the test resumes it, so the
 * server soon blocks on HTTP/2 flow control.
 */
export function unreadGrpcCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Buffer,
  headers: http2.OutgoingHttpHeaders = {},
): http2.ClientHttp2Stream {
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
  stream.on('error', () => undefined);
  stream.end(body);
  stream.pause();
  return stream;
}

/** The outcome of a raw gRPC call read to its end. */
export interface RawGrpcResult {
  readonly httpStatus: number;
  /** grpc-status of the trailers (or of the headers of a trailers-only answer); undefined when the stream was reset. */
  readonly grpcStatus?: number;
  readonly grpcMessage?: string;
  /** Raw grpc-status-details-bin, base64-decoded. */
  readonly details?: Buffer;
  /** Bytes of the response body. */
  readonly bodyBytes: number;
  readonly rstCode?: number;
}

/** Sends `body` as one raw gRPC call and reads the whole answer (with a guard timeout). */
export function rawGrpcCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Buffer,
  timeoutMs = 10_000,
  headers: http2.OutgoingHttpHeaders = {},
): Promise<RawGrpcResult> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    let httpStatus = 0;
    let meta: http2.IncomingHttpHeaders = {};
    let bodyBytes = 0;
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`no answer from ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on('response', (h) => {
      httpStatus = Number(h[':status']);
      if (h['grpc-status'] !== undefined) meta = h;
    });
    stream.on('trailers', (t) => {
      meta = t;
    });
    stream.on('data', (d: Buffer) => {
      bodyBytes += d.length;
    });
    stream.on('error', () => undefined);
    stream.on('close', () => {
      clearTimeout(timer);
      const status = meta['grpc-status'];
      const details = meta['grpc-status-details-bin'];
      resolve({
        httpStatus,
        grpcStatus: status === undefined ? undefined : Number(status),
        grpcMessage: typeof meta['grpc-message'] === 'string' ? decodeURIComponent(meta['grpc-message']) : undefined,
        details: typeof details === 'string' ? Buffer.from(details, 'base64') : undefined,
        bodyBytes,
        rstCode: stream.rstCode,
      });
    });
    stream.end(body);
  });
}

/** Starts a Connect server-streaming call over HTTP/1.1 and never reads its response. */
export function unreadConnectStream(port: number, path: string, message: Uint8Array): http.ClientRequest {
  const env = Buffer.alloc(5);
  env.writeUInt32BE(message.length, 1);
  const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers: { 'content-type': 'application/connect+proto' } });
  req.on('response', (res) => res.pause());
  req.on('error', () => undefined);
  req.end(Buffer.concat([env, Buffer.from(message)]));
  return req;
}

/** The sum of every sample of `metric` (Prometheus name) at a /metrics endpoint. */
export async function scrapeSum(metricsPort: number, metric: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(metric)) continue;
    const rest = line.slice(metric.length);
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** Polls `probe` every 100 ms until it returns true or `timeoutMs` passes; resolves to the last result. */
export async function eventually(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Resident set size of a process in bytes (Linux /proc). */
export async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb === null ? 0 : Number(kb[1]) * 1024;
}
