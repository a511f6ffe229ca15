/**
 * Errors that connect-node produces by itself on the HTTP port (before or
 * around our handlers) get the same shape as ours: an ErrorInfo, a bounded
 * message, and INVALID_ARGUMENT / MALFORMED_REQUEST instead of connect's
 * INTERNAL "parse binary: …" for a request that does not decode. Errors
 * that already carry an ErrorInfo (every error of our handlers) pass
 * unchanged. Also builds an answer that carries only an error (an unknown
 * method, a request refused before decoding) in each protocol.
 */
import { Code, ConnectError } from '@connectrpc/connect';
import type { UniversalServerResponse } from '@connectrpc/connect/protocol';
import {
  codeToHttpStatus,
  endStreamFlag,
  endStreamFromJson,
  endStreamToJson,
  errorFromJsonBytes,
  errorToJsonBytes,
} from '@connectrpc/connect/protocol-connect';
import { findTrailerError, setTrailerStatus } from '@connectrpc/connect/protocol-grpc';
import { trailerFlag, trailerParse, trailerSerialize } from '@connectrpc/connect/protocol-grpc-web';
import { DbError } from '../errors/db-error.js';
import { ERROR_DETAIL_REGISTRY, toConnectError, type InternalErrorLogger } from './error-table.js';

/** The wire protocol of a request on the HTTP port, from its content type. */
export type HttpProtocol = 'grpc' | 'grpc-web' | 'connect-unary' | 'connect-stream';

/** The protocol of `contentType` (Connect unary when unknown: plain HTTP clients read its JSON errors). */
export function protocolOf(contentType: string | null | undefined): HttpProtocol {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.startsWith('application/grpc-web')) return 'grpc-web';
  if (ct.startsWith('application/grpc')) return 'grpc';
  if (ct.startsWith('application/connect+')) return 'connect-stream';
  return 'connect-unary';
}

/** connect's messages for INTERNAL errors that a malformed request causes (undecodable bytes, an envelope compressed without a known encoding). */
const MALFORMED = /parse binary|compressed envelope|decompress/;

/** Our version of an error connect built: decode failures become MALFORMED_REQUEST, every error gets an ErrorInfo. */
export function normalizeError(err: ConnectError): ConnectError {
  if (err.code === Code.Internal && MALFORMED.test(err.rawMessage)) {
    return toConnectError(
      new DbError(
        'invalid',
        'MALFORMED_REQUEST',
        `the request does not decode: ${err.rawMessage.replace(/^(\[internal\] )?parse binary: /, '')}`,
        { cause: err },
      ),
    );
  }
  return toConnectError(err);
}

const JSON_OPTIONS = { registry: ERROR_DETAIL_REGISTRY };

/** Normalizes the gRPC status in `trailer` (in place); call it once the body is done, before the trailers are sent. */
export function fixGrpcTrailer(trailer: Headers): void {
  const err = findTrailerError(trailer);
  if (err !== undefined) setTrailerStatus(trailer, normalizeError(err));
}

/** One enveloped chunk with its trailer / end-stream envelope (flag `flag`) rewritten by `fix`; others unchanged. */
function fixEnvelope(chunk: Uint8Array, flag: number, fix: (data: Uint8Array) => Uint8Array): Uint8Array {
  if (chunk.length < 5 || (chunk[0]! & flag) !== flag || (chunk[0]! & 0x01) !== 0) return chunk;
  const data = fix(chunk.subarray(5));
  const out = new Uint8Array(5 + data.length);
  out[0] = chunk[0]!;
  new DataView(out.buffer).setUint32(1, data.length);
  out.set(data, 5);
  return out;
}

async function* mapChunks(body: AsyncIterable<Uint8Array>, fn: (chunk: Uint8Array) => Uint8Array): AsyncGenerator<Uint8Array> {
  for await (const chunk of body) yield fn(chunk);
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const p of body) parts.push(p);
  return Buffer.concat(parts);
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/**
 * `ures` with the errors connect built normalized: gRPC-Web trailers and
 * Connect end-stream messages as they pass, Connect unary error bodies at
 * once. (gRPC trailers are known only after the body: see fixGrpcTrailer.)
 */
export async function normalizeResponse(ures: UniversalServerResponse, protocol: HttpProtocol): Promise<UniversalServerResponse> {
  if (protocol === 'grpc' || ures.body === undefined) return ures; // gRPC: fixGrpcTrailer when the trailers go out
  if (protocol === 'grpc-web') {
    return {
      ...ures,
      body: mapChunks(ures.body, (c) =>
        fixEnvelope(c, trailerFlag, (d) => {
          const t = trailerParse(d);
          fixGrpcTrailer(t);
          return trailerSerialize(t);
        }),
      ),
    };
  }
  if (protocol === 'connect-stream') {
    return {
      ...ures,
      body: mapChunks(ures.body, (c) =>
        fixEnvelope(c, endStreamFlag, (d) => {
          const end = endStreamFromJson(d);
          if (end.error === undefined) return d;
          return new TextEncoder().encode(JSON.stringify(endStreamToJson(end.metadata, normalizeError(end.error), JSON_OPTIONS)));
        }),
      ),
    };
  }
  // Compressed error bodies are large ones, which only our handlers build (with an ErrorInfo already).
  if (ures.status < 400 || ures.header?.has('content-encoding') === true) return ures;
  const bytes = await collect(ures.body);
  let parsed: ConnectError;
  try {
    parsed = errorFromJsonBytes(bytes, undefined, new ConnectError('unknown error', Code.Unknown));
  } catch {
    return { ...ures, body: once(bytes) };
  }
  const err = normalizeError(parsed);
  const header = new Headers(ures.header);
  header.delete('content-length');
  return { ...ures, status: codeToHttpStatus(err.code), header, body: once(errorToJsonBytes(err, JSON_OPTIONS)) };
}

/**
 * An answer that carries only `err` (a DbError, a ConnectError or anything
 * thrown), in the request's protocol (`contentType`: the request's; it names
 * a Connect stream's framing). The error goes through the error table once
 * here; errors without an ErrorInfo get one, unexpected ones go to
 * `logInternal`.
 */
export function errorResponse(
  err: unknown,
  protocol: HttpProtocol,
  contentType = '',
  logInternal?: InternalErrorLogger,
): UniversalServerResponse {
  const full = toConnectError(err, logInternal);
  const status = setTrailerStatus(new Headers(), full);
  if (protocol === 'grpc') {
    // Headers, then the status in the trailers (HTTP/2).
    return { status: 200, header: new Headers({ 'content-type': 'application/grpc' }), trailer: status };
  }
  if (protocol === 'grpc-web') {
    // Trailers-only: the status travels in the headers (gRPC-Web over HTTP/1.1 has no trailers).
    const header = new Headers({ 'content-type': 'application/grpc-web+proto' });
    status.forEach((v, k) => header.set(k, v));
    return { status: 200, header };
  }
  if (protocol === 'connect-stream') {
    // A stream that ends at once with the error in its end-stream message.
    const json = new TextEncoder().encode(JSON.stringify(endStreamToJson(new Headers(), full, JSON_OPTIONS)));
    const envelope = new Uint8Array(5 + json.length);
    envelope[0] = endStreamFlag;
    new DataView(envelope.buffer).setUint32(1, json.length);
    envelope.set(json, 5);
    return { status: 200, header: new Headers({ 'content-type': contentType }), body: once(envelope) };
  }
  return {
    status: codeToHttpStatus(full.code),
    header: new Headers({ 'content-type': 'application/json' }),
    body: once(errorToJsonBytes(full, JSON_OPTIONS)),
  };
}

/** The answer to a request for a method this server does not have, in the request's protocol (`contentType`: the request's). */
export function unknownMethodResponse(path: string, protocol: HttpProtocol, contentType = ''): UniversalServerResponse {
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  return errorResponse(new ConnectError(`unknown method ${shown}`, Code.Unimplemented), protocol, contentType);
}
