/**
 * Mounts a connect-style ServiceImpl on a @grpc/grpc-js Server with
 * protobuf-es codecs. The implementation receives a connect HandlerContext
 * whose signal fires on the call's deadline, on client cancel and on server
 * shutdown; errors leave as a status code, a message and the serialized
 * google.rpc.Status in `grpc-status-details-bin`, so stock clients decode
 * ErrorInfo.
 */
import * as grpc from '@grpc/grpc-js';
import { fromBinary, type DescMessage, type DescService } from '@bufbuild/protobuf';
import type { HandlerContext, ServiceImpl } from '@connectrpc/connect';
import { statusDetailsBin, toConnectError, type InternalErrorLogger } from './error-table.js';
import { grpcStreamSink, resetGrpcCall } from './grpc-stream-sink.js';
import { pumpStream } from './stream-pump.js';
import { decodeRequest } from './decode-request.js';
import type { RequestDecoder } from './decode-pool.js';
import { DEFAULT_LIMITS } from './limits.js';
import { grpcCallContext } from './grpc-call-context.js';
import { encodeMessage } from './wire-encode.js';

/** Options of mountGrpc. */
export interface GrpcMountOptions {
  /** Aborted when the server gives up on in-flight calls (the force phase of shutdown). */
  readonly shutdownSignal?: AbortSignal;
  /** Receives unexpected (non-DbError) errors. */
  readonly logInternal?: InternalErrorLogger;
  /** How long a server stream waits for a client that reads nothing before resetting it, in ms (default 30 s). */
  readonly streamStallTimeoutMs?: number;
  /** Decodes request messages (large ones off the event loop); default: all inline. */
  readonly decoder?: Pick<RequestDecoder, 'decode'>;
}

const INLINE: Pick<RequestDecoder, 'decode'> = { decode: (desc, bytes) => Promise.resolve(decodeRequest(desc, bytes)) };

/** Default of GrpcMountOptions.streamStallTimeoutMs (the settings table's, through rpc/limits.ts). */
export const DEFAULT_STREAM_STALL_TIMEOUT_MS = DEFAULT_LIMITS.streamStallTimeoutMs;

type AnyImpl = (input: unknown, ctx: HandlerContext) => unknown;
type WritableCall = grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;
type AnyCall =
  grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>;

/** The grpc-js StatusObject-like error of any thrown value. */
export function grpcErrorOf(err: unknown, logInternal?: InternalErrorLogger): Partial<grpc.StatusObject> & Error {
  const ce = toConnectError(err, logInternal);
  const metadata = new grpc.Metadata();
  metadata.set('grpc-status-details-bin', Buffer.from(statusDetailsBin(ce)));
  return Object.assign(new Error(ce.rawMessage), { code: ce.code as number as grpc.status, details: ce.rawMessage, metadata });
}

/** Encodes a message (Struct fields written directly: wire-encode.ts) into a Buffer over the same bytes (no copy). */
function serializer(desc: DescMessage): (m: unknown) => Buffer {
  return (m) => {
    const bytes = encodeMessage(desc, m);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

/**
 * The serializer of a server stream's responses: a message object sent on
 * several calls (a change-feed event fanned out to its watchers) is encoded
 * once. Encoded bytes are never written to, so calls can share them.
 */
function sharedSerializer(desc: DescMessage): (m: unknown) => Buffer {
  const encode = serializer(desc);
  const cache = new WeakMap<object, Buffer>();
  return (m) => {
    if (typeof m !== 'object' || m === null) return encode(m);
    let bytes = cache.get(m);
    if (bytes === undefined) cache.set(m, (bytes = encode(m)));
    return bytes;
  };
}

/** Requests arrive as raw bytes and are decoded by the handler (rpc/decode-request.ts), so a malformed one is INVALID_ARGUMENT, not grpc-js's INTERNAL. */
const rawBytes = (b: Buffer): unknown => b;

/**
 * Request messages a client-streaming call buffers ahead of its handler.
 * grpc-js's request Readable is in object mode with Node's default
 * high-water mark of 16 messages, and its public API has no option for it:
 * it asks HTTP/2 for the next message whenever fewer are buffered, so an
 * Upload whose handler stops reading (waiting for S3) would hold up to 16
 * chunks of up to SB_OBJECT_CHUNK_MAX_BYTES. Two, set on the stream's state,
 * bound that to 2 messages; then the paused HTTP/2 stream's flow-control
 * window stops the client (docs/adr/0013 §7, open question 4).
 */
export const CLIENT_STREAM_BUFFERED_MESSAGES = 2;

/** Lowers the request Readable's high-water mark (see CLIENT_STREAM_BUFFERED_MESSAGES); a no-op if Node's internals change. */
export function boundRequestBuffer(call: grpc.ServerReadableStream<unknown, unknown>): void {
  const state = (call as unknown as { _readableState?: { highWaterMark?: number } })._readableState;
  if (state !== undefined && typeof state.highWaterMark === 'number') state.highWaterMark = CLIENT_STREAM_BUFFERED_MESSAGES;
}

/**
 * The messages of a client stream. Iterating a Readable directly destroys it
 * when the loop ends, which would also kill the response side before its
 * status is sent; this iterator leaves the stream alive.
 */
function requestsOf(
  call: grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  desc: DescMessage,
  decoder: Pick<RequestDecoder, 'decode'>,
  signal: AbortSignal,
): AsyncIterable<unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      for await (const raw of { [Symbol.asyncIterator]: () => call.iterator({ destroyOnReturn: false }) }) {
        yield await decoder.decode(desc, raw as Buffer, signal);
      }
    },
  };
}

/**
 * Sends the handler's messages and then its status. A call whose client left
 * needs nothing more; one whose client stopped reading is reset.
 */
async function streamOut(call: WritableCall, out: AsyncIterable<unknown>, ctx: HandlerContext, stallTimeoutMs: number): Promise<void> {
  const end = await pumpStream(out, grpcStreamSink(call), { signal: ctx.signal, stallTimeoutMs });
  if (end === 'complete') call.end();
  else if (end === 'aborted') throw ctx.signal.reason;
  else if (end === 'stuck') resetGrpcCall(call);
}

/** Builds the grpc-js service definition and handlers of `service` and adds them to `server`. */
export function mountGrpc<S extends DescService>(server: grpc.Server, service: S, impl: ServiceImpl<S>, opts: GrpcMountOptions = {}): void {
  const definition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const handlers: grpc.UntypedServiceImplementation = {};
  const src = impl as unknown as Record<string, AnyImpl>;
  const stallMs = opts.streamStallTimeoutMs ?? DEFAULT_STREAM_STALL_TIMEOUT_MS;
  const decoder = opts.decoder ?? INLINE;
  for (const method of service.methods) {
    const kind = method.methodKind;
    definition[method.localName] = {
      path: `/${service.typeName}/${method.name}`,
      requestStream: kind === 'client_streaming' || kind === 'bidi_streaming',
      responseStream: kind === 'server_streaming' || kind === 'bidi_streaming',
      requestSerialize: serializer(method.input),
      requestDeserialize: rawBytes,
      responseSerialize: method.methodKind === 'server_streaming' ? sharedSerializer(method.output) : serializer(method.output),
      responseDeserialize: (b: Buffer) => fromBinary(method.output, b),
      originalName: method.localName,
    };
    const fn = src[method.localName]?.bind(impl);
    if (fn === undefined) continue;
    if (kind === 'unary') {
      handlers[method.localName] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const ctx = grpcCallContext(service, method, call, opts.shutdownSignal);
        Promise.resolve()
          .then(() => decoder.decode(method.input, call.request as Buffer, ctx.signal))
          .then((req) => fn(req, ctx))
          .then(
            (res) => callback(null, res),
            (e: unknown) => callback(grpcErrorOf(e, opts.logInternal)),
          )
          .finally(() => ctx.finish());
      };
    } else if (kind === 'server_streaming') {
      handlers[method.localName] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const ctx = grpcCallContext(service, method, call, opts.shutdownSignal);
        Promise.resolve()
          .then(() => decoder.decode(method.input, call.request as Buffer, ctx.signal))
          .then((req) => streamOut(call, fn(req, ctx) as AsyncIterable<unknown>, ctx, stallMs))
          .catch((e: unknown) => call.emit('error', grpcErrorOf(e, opts.logInternal)))
          .finally(() => ctx.finish());
      };
    } else if (kind === 'bidi_streaming') {
      handlers[method.localName] = (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        const ctx = grpcCallContext(service, method, call, opts.shutdownSignal);
        Promise.resolve()
          .then(() => streamOut(call, fn(requestsOf(call, method.input, decoder, ctx.signal), ctx) as AsyncIterable<unknown>, ctx, stallMs))
          .catch((e: unknown) => call.emit('error', grpcErrorOf(e, opts.logInternal)))
          .finally(() => ctx.finish());
      };
    } else {
      handlers[method.localName] = (call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const ctx = grpcCallContext(service, method, call as unknown as AnyCall, opts.shutdownSignal);
        boundRequestBuffer(call);
        Promise.resolve()
          // Client streams (Upload) decode inline: a message of one bytes field is cheap to decode, and a
          // worker's structured clone of every 1 MiB chunk would cost more (docs/adr/0013 §7).
          .then(() => fn(requestsOf(call, method.input, INLINE, ctx.signal), ctx))
          .then(
            (res) => callback(null, res),
            (e: unknown) => callback(grpcErrorOf(e, opts.logInternal)),
          )
          .finally(() => ctx.finish());
      };
    }
  }
  server.addService(definition, handlers);
}
