/**
 * The HTTP port's pre-decode scan, the counterpart of the grpc-js port's
 * (decode-request.ts): before connect decodes a binary request message, its
 * top-level fields are counted, so that a request repeating a field hundreds
 * of thousands of times is refused in a few milliseconds instead of holding
 * the event loop (and every other client) while it decodes.
 *
 * Only requests that carry one binary message uncompressed are scanned:
 * Connect unary `application/proto` without a content encoding, and gRPC,
 * gRPC-Web and Connect streaming requests of unary and server-streaming
 * methods whose first envelope is not compressed. JSON, compressed and GET
 * requests pass as they are; connect decodes them under its own limits.
 */
import type { DescMessage, DescMethod } from '@bufbuild/protobuf';
import type { UniversalServerRequest } from '@connectrpc/connect/protocol';
import type { HttpProtocol } from './connect-errors.js';
import { scanTopLevel } from './decode-request.js';

/** How a request body holds its message: the bare message, or in length-prefixed envelopes. */
export type BodyFraming = 'bare' | 'enveloped';

const ENVELOPE_HEAD = 5;
const COMPRESSED_FLAG = 0x01;

/**
 * How the body of a request to `method` holds a binary message that the scan
 * can read, or undefined when it does not (JSON, compressed, not POST, or a
 * client stream of several messages).
 */
export function binaryFraming(method: DescMethod, httpMethod: string, header: Headers, protocol: HttpProtocol): BodyFraming | undefined {
  if (method.methodKind !== 'unary' && method.methodKind !== 'server_streaming') return undefined;
  if (httpMethod !== 'POST') return undefined;
  const ct = (header.get('content-type') ?? '').toLowerCase().split(';', 1)[0]!.trim();
  if (protocol === 'connect-unary') {
    const encoding = header.get('content-encoding');
    return ct === 'application/proto' && (encoding === null || encoding === 'identity') ? 'bare' : undefined;
  }
  if (protocol === 'connect-stream') return ct === 'application/connect+proto' ? 'enveloped' : undefined;
  return /^application\/grpc(-web)?(\+proto)?$/.test(ct) ? 'enveloped' : undefined;
}

function isBytes(body: UniversalServerRequest['body']): body is AsyncIterable<Uint8Array> {
  return typeof body === 'object' && body !== null && Symbol.asyncIterator in body;
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  return Buffer.concat(chunks, total);
}

/** The bytes already read, then whatever `rest` still yields. */
async function* replay(head: Uint8Array, rest: AsyncIterator<Uint8Array> | undefined): AsyncGenerator<Uint8Array> {
  if (head.length > 0) yield head;
  if (rest === undefined) return;
  for (;;) {
    const r = await rest.next();
    if (r.done === true) return;
    yield r.value;
  }
}

/** Length of the envelope the chunks start, header included; undefined before its header is complete. */
function envelopeLength(chunks: Uint8Array[], total: number): number | undefined {
  if (total < ENVELOPE_HEAD) return undefined;
  const head = concat(chunks, total).subarray(0, ENVELOPE_HEAD); // once: the first chunks only
  return ENVELOPE_HEAD + new DataView(head.buffer, head.byteOffset, ENVELOPE_HEAD).getUint32(1);
}

/** A deeper check of a whole message (the decode workers' verdict, decode-pool.ts); throws DbError. */
export type MessageCheck = (desc: DescMessage, bytes: Uint8Array, signal: AbortSignal) => Promise<void>;

/**
 * `req` unchanged when its body is not scanned; otherwise reads the message
 * (at most `readMaxBytes` of it, plus an envelope header), runs scanTopLevel
 * on it (which throws DbError invalid for a field repeated too often or a
 * broken top level) and then `check`, and returns a request whose body
 * yields the same bytes. A message over `readMaxBytes` is not scanned:
 * connect refuses it.
 */
export async function prescanRequest(
  req: UniversalServerRequest,
  method: DescMethod,
  protocol: HttpProtocol,
  readMaxBytes: number,
  check?: MessageCheck,
): Promise<UniversalServerRequest> {
  const framing = binaryFraming(method, req.method, req.header, protocol);
  if (framing === undefined || !isBytes(req.body)) return req;
  const it = req.body[Symbol.asyncIterator]();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  let want = framing === 'bare' ? Infinity : ENVELOPE_HEAD;
  while (total < want && total <= readMaxBytes + ENVELOPE_HEAD) {
    const r = await it.next();
    if (r.done === true) {
      ended = true;
      break;
    }
    chunks.push(r.value);
    total += r.value.length;
    if (framing === 'enveloped' && want === ENVELOPE_HEAD) want = envelopeLength(chunks, total) ?? ENVELOPE_HEAD;
  }
  const bytes = concat(chunks, total);
  const next: UniversalServerRequest = { ...req, body: replay(bytes, ended ? undefined : it) };
  let message: Uint8Array | undefined;
  if (framing === 'bare') {
    if (ended && total <= readMaxBytes) message = bytes;
  } else if (total >= want && want - ENVELOPE_HEAD <= readMaxBytes && (bytes[0]! & COMPRESSED_FLAG) === 0) {
    message = bytes.subarray(ENVELOPE_HEAD, want);
  }
  if (message !== undefined) {
    scanTopLevel(method.input, message);
    await check?.(method.input, message, req.signal);
  }
  return next;
}
