/**
 * Sends raw fuzz cases (fuzz-frames.ts) with node:http2 and node:http and
 * judges the answers by issue 8's rules: an answer within the deadline, no
 * INTERNAL / UNKNOWN / DATA_LOSS, an ErrorInfo of domain smarterbase.v1 on
 * every error status, and for requests broken at the HTTP level a clean
 * 4xx or stream reset instead.
 */
import * as http from 'node:http';
import type * as http2 from 'node:http2';
import { fromBinary } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { ErrorInfoSchema } from '../../server/src/gen/google/rpc/error_details_pb.js';
import { StatusSchema } from '../../server/src/gen/google/rpc/status_pb.js';
import { DOMAIN, FORBIDDEN_CODES } from './fuzz-calls.js';
import type { RawCase } from './fuzz-frames.js';
import { h2Connect } from './raw-wire.js';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { status as GrpcStatus } from '@grpc/grpc-js';

/** What a raw case came to: `label` is counted, `failure` (when set) breaks the rules. */
export interface RawVerdict {
  readonly label: string;
  readonly failure?: string;
}

/** The ErrorInfo domain packed in a serialized google.rpc.Status (undefined when none). */
function domainOfStatus(details: Uint8Array | undefined): string | undefined {
  if (details === undefined) return undefined;
  try {
    const status = fromBinary(StatusSchema, details);
    for (const any of status.details) {
      const info = anyUnpack(any, ErrorInfoSchema);
      if (info !== undefined) return info.domain;
    }
  } catch {
    return 'undecodable grpc-status-details-bin';
  }
  return undefined;
}

/** The rules for an error status `code` that came with ErrorInfo domain `domain`. */
function judgeStatus(code: string, domain: string | undefined, message: string): string | undefined {
  if (FORBIDDEN_CODES.has(code)) return `status ${code}: ${message}`;
  if (code === 'OK') return undefined;
  if (domain === undefined) return `${code} without ErrorInfo: ${message}`;
  if (domain !== DOMAIN) return `${code} with ErrorInfo domain ${domain}`;
  return undefined;
}

/** HTTP/2 sessions to one port, shared by cases whose headers are well-formed, replaced when they close. */
export class SessionPool {
  private sessions: (http2.ClientHttp2Session | undefined)[];
  private next = 0;

  constructor(
    private readonly port: number,
    size: number,
  ) {
    this.sessions = new Array<http2.ClientHttp2Session | undefined>(size).fill(undefined);
  }

  /** A live session (round robin). */
  async get(): Promise<http2.ClientHttp2Session> {
    const i = this.next++ % this.sessions.length;
    const s = this.sessions[i];
    if (s !== undefined && !s.closed && !s.destroyed) return s;
    const fresh = await h2Connect(this.port);
    fresh.on('error', () => undefined);
    this.sessions[i] = fresh;
    return fresh;
  }

  /** Closes every session. */
  close(): void {
    for (const s of this.sessions) s?.destroy();
    this.sessions = [];
  }
}

/** What a raw gRPC call got. */
interface GrpcAnswer {
  readonly httpStatus: number;
  readonly grpcStatus?: number;
  readonly grpcMessage?: string;
  readonly details?: Buffer;
  readonly rstCode?: number;
}

/**
 * One raw gRPC call. Answered means: trailers (or a trailers-only response)
 * arrived, or the stream closed. A server may answer before it read the
 * whole request body, so the call does not wait for the body to be sent.
 * Rejects with "no answer" after `timeoutMs`, or with the client's refusal.
 */
function rawGrpcAnswer(session: http2.ClientHttp2Session, c: RawCase, timeoutMs: number): Promise<GrpcAnswer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': c.path,
      'content-type': 'application/grpc',
      te: 'trailers',
      ...c.headers,
    });
    let httpStatus = 0;
    const finish = (meta: http2.IncomingHttpHeaders | undefined): void => {
      clearTimeout(timer);
      const status = meta?.['grpc-status'];
      const details = meta?.['grpc-status-details-bin'];
      const message = meta?.['grpc-message'];
      resolve({
        httpStatus,
        grpcStatus: status === undefined ? undefined : Number(status),
        grpcMessage: typeof message === 'string' ? safeDecode(message) : undefined,
        details: typeof details === 'string' ? Buffer.from(details, 'base64') : undefined,
        rstCode: meta === undefined ? stream.rstCode : undefined,
      });
      if (!stream.closed) stream.close(0x8);
    };
    const timer = setTimeout(() => {
      stream.close(0x8);
      reject(new Error(`no answer from ${c.path} within ${timeoutMs} ms`));
    }, timeoutMs);
    let webBody: Buffer[] | undefined;
    let webEncoding = '';
    stream.on('response', (h) => {
      httpStatus = Number(h[':status']);
      if (String(h['content-type'] ?? '').startsWith('application/grpc-web')) webBody = [];
      webEncoding = String(h['grpc-encoding'] ?? '');
      if (h['grpc-status'] !== undefined) finish(h);
    });
    stream.on('trailers', (t) => finish(t));
    stream.on('data', (chunk: Buffer) => webBody?.push(chunk));
    // gRPC-Web carries its trailers at the end of the body. The body's end is the answer: Node's
    // client emits 'close' only once it has sent its whole request, which it never does when the
    // server answered early and reset the stream (RST_STREAM NO_ERROR) with a large body unsent.
    stream.on('end', () => {
      const trailers = webBody === undefined ? undefined : grpcWebTrailers(Buffer.concat(webBody), webEncoding);
      if (trailers !== undefined) finish(trailers);
    });
    stream.on('error', () => undefined);
    stream.on('close', () => finish(undefined));
    stream.end(c.body);
  });
}

/**
 * The trailers of a gRPC-Web response body (the envelope flagged 0x80, compressed with the
 * response's `grpc-encoding` when its 0x01 flag is set, as connect does for a large one), or
 * undefined when it has none.
 */
export function grpcWebTrailers(body: Buffer, encoding = ''): http2.IncomingHttpHeaders | undefined {
  for (let at = 0; at + 5 <= body.length;) {
    const flags = body[at]!;
    const len = body.readUInt32BE(at + 1);
    let payload = body.subarray(at + 5, at + 5 + len);
    at += 5 + len;
    if ((flags & 0x80) === 0) continue;
    if ((flags & 0x01) !== 0) payload = encoding === 'br' ? brotliDecompressSync(payload) : gunzipSync(payload);
    const headers: http2.IncomingHttpHeaders = {};
    for (const line of payload.toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return headers;
  }
  return undefined;
}

/** True when a grpc-timeout header value asks for longer than `ms`, read as leniently as grpc-js reads it (an unparsable one does not). */
function outlivesTest(timeout: unknown, ms: number): boolean {
  const m = typeof timeout === 'string' ? /(\d+)([HMSmun])/.exec(timeout) : null;
  if (m === null) return false;
  const unit: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };
  return Number(m[1]) * (unit[m[2]!] ?? 0) > ms;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Sends a gRPC raw case on `session` and judges the answer. */
export async function sendGrpcCase(session: http2.ClientHttp2Session, c: RawCase, deadlineMs: number): Promise<RawVerdict> {
  let r: GrpcAnswer;
  try {
    r = await rawGrpcAnswer(session, c, deadlineMs);
  } catch (e) {
    const msg = (e as Error).message;
    // A Hold may wait for its lock as long as its client allows: with a deadline far beyond the
    // test's, silence is the right answer (the test cancels it; the abuse suite proves cancels end it).
    if (msg.startsWith('no answer') && c.path.endsWith('/Hold') && outlivesTest(c.headers['grpc-timeout'], deadlineMs))
      return { label: 'HOLD WAITING' };
    if (msg.startsWith('no answer')) return { label: 'HANG', failure: 'no answer by the deadline + slack' };
    return { label: 'CLIENT_REFUSED' };
  }
  if (r.grpcStatus === undefined) {
    if (c.brokenHttp && r.httpStatus >= 400 && r.httpStatus < 500) return { label: `HTTP ${r.httpStatus}` };
    if (c.brokenHttp && r.rstCode !== undefined && r.rstCode !== 2) return { label: `RST ${r.rstCode}` };
    return {
      label: r.rstCode !== undefined ? `RST ${r.rstCode}` : `HTTP ${r.httpStatus}`,
      failure: `no grpc-status (HTTP ${r.httpStatus}, RST_STREAM ${r.rstCode ?? 'none'})`,
    };
  }
  const code = (GrpcStatus[r.grpcStatus] as string | undefined) ?? `code ${r.grpcStatus}`;
  return { label: code, failure: judgeStatus(code, domainOfStatus(r.details), r.grpcMessage ?? '') };
}

/** The end-stream error of a Connect streaming body, or undefined when it ended without one. */
function connectStreamError(
  body: Buffer,
  encoding: string,
): { code?: string; message?: string; details?: { type: string; value: string }[] } | undefined {
  let at = 0;
  while (at + 5 <= body.length) {
    const flags = body[at]!;
    const len = body.readUInt32BE(at + 1);
    let payload = body.subarray(at + 5, at + 5 + len);
    at += 5 + len;
    // A large end-stream message is compressed like the others when the client accepts it.
    if ((flags & 1) !== 0) payload = encoding === 'br' ? brotliDecompressSync(payload) : gunzipSync(payload);
    if ((flags & 2) !== 0) return (JSON.parse(payload.toString('utf8')) as { error?: { code?: string } }).error;
  }
  return undefined;
}

/** The ErrorInfo domain among Connect JSON error details (undefined when none). */
function domainOfConnectDetails(details: { type: string; value: string }[] | undefined): string | undefined {
  for (const d of details ?? []) {
    if (d.type !== 'google.rpc.ErrorInfo') continue;
    try {
      return fromBinary(ErrorInfoSchema, Buffer.from(d.value, 'base64')).domain;
    } catch {
      return 'undecodable ErrorInfo';
    }
  }
  return undefined;
}

/** Sends a Connect raw case over HTTP/1.1 with `agent` and judges the answer. */
export function sendConnectCase(port: number, agent: http.Agent, c: RawCase, deadlineMs: number): Promise<RawVerdict> {
  return new Promise((resolve) => {
    const headers = Object.fromEntries(Object.entries(c.headers).filter(([k]) => !k.startsWith(':'))) as http.OutgoingHttpHeaders;
    const req = http.request({
      host: '127.0.0.1',
      port,
      method: 'POST',
      path: c.path,
      agent,
      headers: { ...headers, 'content-length': c.body.length },
    });
    const timer = setTimeout(() => {
      req.destroy();
      resolve({ label: 'HANG', failure: 'no answer by the deadline + slack' });
    }, deadlineMs);
    req.on('error', (e) => {
      clearTimeout(timer);
      resolve({ label: 'CONNECTION_ERROR', failure: `connection error: ${e.message}` });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('error', () => undefined);
      res.on('end', () => {
        clearTimeout(timer);
        const body = Buffer.concat(chunks);
        const status = res.statusCode ?? 0;
        const streaming = String(res.headers['content-type'] ?? '').startsWith('application/connect+');
        let error: { code?: string; message?: string; details?: { type: string; value: string }[] } | undefined;
        try {
          error =
            streaming && status === 200
              ? connectStreamError(body, String(res.headers['connect-content-encoding'] ?? 'gzip'))
              : status === 200
                ? undefined
                : JSON.parse(body.toString('utf8'));
        } catch {
          resolve(
            status >= 400 && status < 500
              ? { label: `HTTP ${status}` }
              : { label: `HTTP ${status}`, failure: `HTTP ${status} without a Connect error body` },
          );
          return;
        }
        if (error === undefined) {
          resolve({ label: 'OK' });
          return;
        }
        const code = (error.code ?? 'unknown').toUpperCase().replace('CANCELED', 'CANCELLED');
        resolve({ label: code, failure: judgeStatus(code, domainOfConnectDetails(error.details), error.message ?? '') });
      });
    });
    req.end(c.body);
  });
}
